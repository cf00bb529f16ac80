listener "https" "tls" {
  address = "0.0.0.0:443"
}

certificate "api" {
  listener    = listener.https.tls
  certificate = file("certs/api.pem")
  key         = file("certs/api.key")
}

cluster "shop" {
  https_frontend {
    listener    = listener.https.tls
    hostname    = "shop.example.com"
    path_prefix = "/"
  }
}
