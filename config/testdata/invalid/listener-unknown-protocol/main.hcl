listener "quic" "public" {
  address = "0.0.0.0:443"
}
