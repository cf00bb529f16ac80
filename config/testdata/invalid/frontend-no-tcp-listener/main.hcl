listener "http" "public" {
  address = "0.0.0.0:80"
}

cluster "db" {
  tcp_frontend {
    address = "0.0.0.0:5432"
  }
}
