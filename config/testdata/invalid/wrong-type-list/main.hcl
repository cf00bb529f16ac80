listener "http" "public" {
  address = "0.0.0.0:80"
}
listener "https" "tls" {
  address  = "0.0.0.0:443"
  versions = "TLS_V1_3"
}
