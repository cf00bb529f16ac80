listener "http" "public" {
  address = "0.0.0.0:80"
}

cluster "api" {
  https_frontend {
    address     = "0.0.0.0:80"
    hostname    = "api.example.com"
    path_prefix = "/"
  }
}
