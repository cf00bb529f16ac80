listener "http" "public" {
  adress = "0.0.0.0:80"
}
