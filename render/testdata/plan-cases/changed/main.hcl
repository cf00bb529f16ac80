# examples/basic, changed: a cluster setting and answer, a backend weight,
# a backend replaced by another, a listener timeout (a patch), the HTTPS
# listener's TLS versions (a rebuild), the TCP cluster and listener gone.
locals {
  api_host = "api.example.com"
}

listener "http" "public" {
  address       = "0.0.0.0:80"
  front_timeout = 120
}

listener "https" "public_tls" {
  address        = "0.0.0.0:443"
  versions       = ["TLS_V1_3"]
  alpn_protocols = ["h2", "http/1.1"]
}

cluster "api" {
  load_balancing = "LEAST_LOADED"
  https_redirect = true
  answers = {
    "503" = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 5\r\n\r\n"
  }

  health_check {
    uri      = "/healthz"
    interval = 10
  }

  backend "api-1" {
    address = "10.0.0.1:8080"
    weight  = 50
  }

  backend "api-3" {
    address = "10.0.0.3:8080"
    weight  = 100
  }

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

certificate "api" {
  listener    = listener.https.public_tls
  certificate = file("../../../../examples/basic/certs/api.pem")
  key         = file("../../../../examples/basic/certs/api.key")
}
