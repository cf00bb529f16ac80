# A small but complete configuration: one listener of each TCP-based
# protocol, an HTTP and HTTPS cluster with two backends, a TCP cluster and
# the certificate served on the HTTPS listener.

locals {
  api_host = "api.example.com"
}

listener "http" "public" {
  address = "0.0.0.0:80"
}

listener "https" "public_tls" {
  address        = "0.0.0.0:443"
  versions       = ["TLS_V1_2", "TLS_V1_3"]
  alpn_protocols = ["h2", "http/1.1"]
}

listener "tcp" "postgres" {
  address = "0.0.0.0:5432"
}

cluster "api" {
  load_balancing = "ROUND_ROBIN"
  https_redirect = true

  health_check {
    uri      = "/healthz"
    interval = 10
  }

  backend "api-1" {
    address = "10.0.0.1:8080"
    weight  = 100
  }

  backend "api-2" {
    address = "10.0.0.2:8080"
    weight  = 100
  }

  # Plain HTTP requests are redirected to HTTPS (https_redirect above).
  http_frontend {
    listener    = listener.http.public
    hostname    = local.api_host
    path_prefix = "/"
  }

  https_frontend {
    listener    = listener.https.public_tls
    hostname    = local.api_host
    path_prefix = "/"
  }
}

cluster "db" {
  tcp_frontend {
    listener = listener.tcp.postgres
  }

  backend "db-1" {
    address = "10.0.1.1:5432"
  }
}

certificate "api" {
  listener    = listener.https.public_tls
  certificate = file("../../../../examples/basic/certs/api.pem")
  key         = file("../../../../examples/basic/certs/api.key") # sensitive: never printed
}
