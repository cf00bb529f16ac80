cluster "api" {
  backend "api-1" {
    address = "backend.internal:8080"
  }
}
