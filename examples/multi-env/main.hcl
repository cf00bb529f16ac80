# One configuration for every environment: what differs between them is in
# vars/<environment>.hcl, passed with --var-file.

variable "environment" {
  type = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "The environment must be \"staging\" or \"production\"."
  }
}

variable "domain" {
  type        = string
  description = "The public domain the web cluster answers for."
}

variable "web_backends" {
  type        = map(string)
  description = "Backend id to \"ip:port\"."
}

variable "backend_weight" {
  type    = number
  default = 100
}

locals {
  hostname = "www.${var.domain}"
}

listener "http" "public" {
  address = "0.0.0.0:80"
}

cluster "web" {
  load_balancing = var.environment == "production" ? "LEAST_LOADED" : "ROUND_ROBIN"

  dynamic "backend" {
    for_each = var.web_backends
    labels   = [backend.key]
    content {
      address = backend.value
      weight  = var.backend_weight
    }
  }

  http_frontend {
    listener    = listener.http.public
    hostname    = local.hostname
    path_prefix = "/"
  }
}
