cluster "api" {
  http_frontend {
    address     = "0.0.0.0:8080"
    hostname    = "api.example.com"
    path_prefix = "/"
  }
}
