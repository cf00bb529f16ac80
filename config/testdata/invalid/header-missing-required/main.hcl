listener "http" "public" {
  address = "0.0.0.0:80"
}

cluster "api" {
  http_frontend {
    listener    = listener.http.public
    hostname    = "api.example.com"
    path_prefix = "/"
    header {
      position = "RESPONSE"
      key      = "x-served-by"
    }
  }
}
