listener "http" "public" {
  address    = "0.0.0.0:80"
  stiky_name = "SOZUBALANCEID"
}
