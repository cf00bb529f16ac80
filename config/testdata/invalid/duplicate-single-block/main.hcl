cluster "api" {
  health_check {
    uri = "/healthz"
  }
  health_check {
    uri = "/ready"
  }
}
