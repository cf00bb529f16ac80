listener "http" "public" {
  address = "0.0.0.0:80"
}

cluster "api" {
  backend "api-1" {
    address = var.api_address
  }
}
