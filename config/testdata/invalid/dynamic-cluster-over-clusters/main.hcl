listener "http" "public" {
  address = "0.0.0.0:80"
}
cluster "a" {}
dynamic "cluster" {
  for_each = cluster
  labels   = ["${cluster.key}-copy"]
  content {}
}
