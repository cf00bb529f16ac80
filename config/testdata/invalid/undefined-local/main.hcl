locals {
  port = 8080
}

cluster "api" {
  backend "api-1" {
    address = "10.0.0.1:${local.prot}"
  }
}
