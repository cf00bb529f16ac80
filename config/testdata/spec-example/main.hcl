sozu {                                  # optional: connection and scope
  socket = "/run/sozu/sozu.sock"
  manage = ["listeners", "clusters", "certificates"]   # default: all three
  ignore_clusters = ["legacy-*"]        # glob patterns left untouched by plans
}

variable "api_backends" {
  type    = map(string)
  default = { "api-1" = "10.0.0.1:8080", "api-2" = "10.0.0.2:8080" }
}

locals { api_host = "api.example.com" }

listener "http" "public" {              # labels: protocol (http|https|tcp|udp), local name
  address = "0.0.0.0:80"
}

listener "https" "public_tls" {
  address  = "0.0.0.0:443"
  versions = ["TLS_V1_2", "TLS_V1_3"]
  alpn_protocols = ["h2", "http/1.1"]
}

listener "tcp" "postgres" {
  address = "0.0.0.0:5432"
}

cluster "api" {                         # label: cluster_id
  load_balancing = "ROUND_ROBIN"
  https_redirect = true
  health_check {
    uri      = "/healthz"
    interval = 10
  }

  dynamic "backend" {                   # HCL dynamic blocks work for every repeatable block
    for_each = var.api_backends
    labels   = [backend.key]
    content {
      address = backend.value
      weight  = 100
    }
  }

  http_frontend {
    listener    = listener.http.public  # or: address = "0.0.0.0:80"
    hostname    = local.api_host
    path_prefix = "/"                   # exactly one of path_prefix, path_regex, path_equals
  }

  https_frontend {
    listener    = listener.https.public_tls
    hostname    = local.api_host
    path_prefix = "/v1"
    method      = "GET"
    header {
      position = "RESPONSE"
      key      = "x-served-by"
      val      = "sozu"
    }
  }
}

cluster "db" {
  tcp_frontend { listener = listener.tcp.postgres }
  backend "db-1" { address = "10.0.1.1:5432" }
}

certificate "api" {
  listener    = listener.https.public_tls
  certificate = file("certs/api.pem")
  certificate_chain = [file("certs/intermediate.pem")]
  key         = file("certs/api.key")   # sensitive: never printed
  names       = ["api.example.com"]
}
