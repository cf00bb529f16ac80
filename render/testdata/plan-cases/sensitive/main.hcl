# A header value and a private key from sensitive variables.
variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-token-value"
}

variable "tls_key" {
  type      = string
  sensitive = true
  default   = ""
}

listener "https" "tls" {
  address = "0.0.0.0:443"
}

cluster "api" {
  backend "api-1" {
    address = "10.0.0.1:8080"
  }

  https_frontend {
    listener    = listener.https.tls
    hostname    = "api.example.com"
    path_prefix = "/"
    header {
      position = "REQUEST"
      key      = "x-token"
      val      = var.token
    }
  }
}

certificate "api" {
  listener    = listener.https.tls
  certificate = file("../../../../examples/basic/certs/api.pem")
  key         = var.tls_key
}
