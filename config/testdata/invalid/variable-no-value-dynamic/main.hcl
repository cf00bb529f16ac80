variable "backends" {
  type = map(string)
}

cluster "web" {
  dynamic "backend" {
    for_each = var.backends
    labels   = [backend.key]
    content {
      address = backend.value
    }
  }
}
