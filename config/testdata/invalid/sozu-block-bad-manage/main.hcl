sozu {
  socket = "/run/sozu/sozu.sock"
  manage = ["listeners", "clusterz"]
}
