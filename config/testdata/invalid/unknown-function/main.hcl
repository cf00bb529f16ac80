locals {
  host = uppercase("api.example.com")
}
