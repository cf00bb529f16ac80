cluster "api" {
  https_redirect = "sometimes"
}
