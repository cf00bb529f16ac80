cluster "api" {
  health_check {
    uri      = "/healthz"
    interva = 10
  }
}
