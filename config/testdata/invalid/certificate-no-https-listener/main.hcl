listener "http" "public" {
  address = "0.0.0.0:80"
}

certificate "api" {
  address     = "0.0.0.0:80"
  certificate = file("certs/api.pem")
  key         = file("certs/api.key")
}
