cluster "api" {
  dynamic "backends" {
    for_each = { "api-1" = "10.0.0.1:8080" }
    labels   = [backends.key]
    content {
      address = backends.value
    }
  }
}
