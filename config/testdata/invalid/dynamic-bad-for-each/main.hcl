cluster "api" {
  dynamic "backend" {
    for_each = "api-1"
    labels   = [backend.key]
    content {
      address = "10.0.0.1:8080"
    }
  }
}
