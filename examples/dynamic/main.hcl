# Clusters, their backends and their routes generated from one variable:
# a nested dynamic block per repeatable block.

variable "services" {
  type = map(object({
    hostname = string
    paths    = list(string)
    backends = map(string)
  }))
  default = {
    shop = {
      hostname = "shop.example.com"
      paths    = ["/", "/api"]
      backends = { "shop-1" = "10.1.0.1:8080", "shop-2" = "10.1.0.2:8080" }
    }
    blog = {
      hostname = "blog.example.com"
      paths    = ["/"]
      backends = { "blog-1" = "10.2.0.1:8080" }
    }
  }
}

listener "http" "public" {
  address = "0.0.0.0:80"
}

dynamic "cluster" {
  for_each = var.services
  labels   = [cluster.key]
  content {
    load_balancing = "ROUND_ROBIN"

    dynamic "backend" {
      for_each = cluster.value.backends
      labels   = [backend.key]
      content {
        address = backend.value
      }
    }

    dynamic "http_frontend" {
      for_each = cluster.value.paths
      content {
        listener    = listener.http.public
        hostname    = cluster.value.hostname
        path_prefix = http_frontend.value
      }
    }
  }
}
