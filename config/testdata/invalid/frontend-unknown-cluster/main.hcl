listener "http" "public" {
  address = "0.0.0.0:80"
}

http_frontend {
  listener    = listener.http.public
  hostname    = "api.example.com"
  path_prefix = "/"
  cluster_id  = "nowhere"
}
