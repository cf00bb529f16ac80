listener "http" "public" {
  address = "0.0.0.0:80"
}
locals { addrs = [for l in listener.http : l.address] }
dynamic "listener" {
  for_each = local.addrs
  labels   = ["tcp", "x${listener.key}"]
  content { address = "0.0.0.0:9${listener.key}" }
}
