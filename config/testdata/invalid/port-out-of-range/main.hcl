listener "http" "public" {
  address = "0.0.0.0:70000"
}
