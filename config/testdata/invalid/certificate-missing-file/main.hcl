listener "https" "tls" {
  address = "0.0.0.0:443"
}

certificate "api" {
  listener    = listener.https.tls
  certificate = file("certs/nowhere.pem")
  key         = file("certs/api.key")
}
