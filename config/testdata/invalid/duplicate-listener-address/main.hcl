listener "http" "public" {
  address = "0.0.0.0:80"
}

listener "http" "again" {
  address = "0.0.0.0:80"
}
