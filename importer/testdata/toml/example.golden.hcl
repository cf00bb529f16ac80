listener "http" "http_0_0_0_0_8080" {
  address = "0.0.0.0:8080"
  http_answers {
    answer_404 = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
  }
  answers = {
    "404" = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
  }
}

listener "https" "https_0_0_0_0_8443" {
  address     = "0.0.0.0:8443"
  cipher_list = ["TLS13_AES_256_GCM_SHA384", "TLS13_AES_128_GCM_SHA256"]
}

listener "tcp" "tcp_0_0_0_0_8081" {
  address = "0.0.0.0:8081"
}

listener "udp" "udp_0_0_0_0_5353" {
  address              = "0.0.0.0:5353"
  max_rx_datagram_size = 1200
}

cluster "pg" {
  proxy_protocol = "SEND_HEADER"

  backend "pg-0-127.0.0.1:4000" {
    address = "127.0.0.1:4000"
  }

  backend "pg-1-127.0.0.1:4001" {
    address = "127.0.0.1:4001"
    weight  = 50
  }

  tcp_frontend {
    listener = listener.tcp.tcp_0_0_0_0_8081
    tags = {
      owner = "db"
    }
  }
}

cluster "resolver" {
  backend "resolver-0-127.0.0.1:53" {
    address = "127.0.0.1:53"
  }

  udp_frontend {
    listener = listener.udp.udp_0_0_0_0_5353
  }
}

cluster "shop" {
  backend "shop-1-127.0.0.1:1027" {
    address = "127.0.0.1:1027"
  }

  backend "shop-main" {
    address = "127.0.0.1:1026"
  }

  http_frontend {
    listener    = listener.http.http_0_0_0_0_8080
    hostname    = "shop.example.com"
    path_prefix = "/api"
    position    = "PRE"
    tags = {
      owner = "web"
    }
  }

  https_frontend {
    listener = listener.https.https_0_0_0_0_8443
    hostname = "api.example.com"
    position = "PRE"
  }
}

certificate "api_example_com" {
  listener          = listener.https.https_0_0_0_0_8443
  certificate       = file("certs/api_example_com.pem")
  certificate_chain = [file("certs/api_example_com-chain-1.pem")]
  key               = file("certs/api_example_com.key")
}
