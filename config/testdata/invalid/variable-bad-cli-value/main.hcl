variable "weight" {
  type = number
}

cluster "api" {
  backend "api-1" {
    address = "10.0.0.1:8080"
    weight  = var.weight
  }
}
