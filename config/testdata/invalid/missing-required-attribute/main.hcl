cluster "api" {
  backend "api-1" {
    weight = 10
  }
}
