environment    = "production"
domain         = "example.com"
backend_weight = 50

web_backends = {
  "web-1" = "10.20.0.1:8080"
  "web-2" = "10.20.0.2:8080"
  "web-3" = "10.20.0.3:8080"
}
