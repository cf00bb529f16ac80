listener "https" "tls" {
  address = "0.0.0.0:443"
}

certificate "api" {
  listener    = listener.https.tls
  certificate = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
  key         = file("certs/api.key")
}
