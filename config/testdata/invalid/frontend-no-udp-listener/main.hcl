listener "tcp" "dns" {
  address = "0.0.0.0:53"
}

cluster "dns" {
  udp_frontend {
    listener = listener.tcp.dns
  }
}
