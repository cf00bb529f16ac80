listener "https" "tls" {
  address  = "0.0.0.0:443"
  versions = ["TLS_V1_2", "TLS_V1_4"]
}
