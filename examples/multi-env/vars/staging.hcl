environment = "staging"
domain      = "staging.example.com"

web_backends = {
  "web-1" = "10.10.0.1:8080"
}
