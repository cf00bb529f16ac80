variable "weight" {
  type    = number
  default = 500

  validation {
    condition     = var.weight >= 0 && var.weight <= 256
    error_message = "The weight must be between 0 and 256."
  }
}

cluster "api" {
  backend "api-1" {
    address = "10.0.0.1:8080"
    weight  = var.weight
  }
}
