listener "http" "public" {
  address = "0.0.0.0:80"
}

listener "http" "public" {
  address = "0.0.0.0:8080"
}
