listener "https" "tls" {
  address = "0.0.0.0:443"
}

certificate "old" {
  listener    = listener.https.tls
  certificate = file("certs/old.pem")
  key         = file("certs/old.key")
}
