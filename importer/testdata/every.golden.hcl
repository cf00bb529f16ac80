listener "http" "http_0_0_0_0_80" {
  address       = "0.0.0.0:80"
  front_timeout = 120
  answers = {
    "503" = "HTTP/1.1 503 Busy\r\n\r\n"
  }
}

listener "https" "https_0_0_0_0_443" {
  address           = "0.0.0.0:443"
  certificate       = file("certs/https_0_0_0_0_443.pem")
  certificate_chain = [file("certs/https_0_0_0_0_443-chain-1.pem")]
  key               = file("certs/https_0_0_0_0_443.key")
  versions          = ["TLS_V1_3"]
  alpn_protocols    = ["http/1.1"]
  hsts {
    enabled = true
    max_age = 31536000
  }
}

listener "tcp" "tcp_1_5432" {
  address      = "[::1]:5432"
  active       = false
  expect_proxy = true
}

listener "udp" "udp_0_0_0_0_53" {
  address = "0.0.0.0:53"
}

cluster "api" {
  sticky_session = true
  load_balancing = "LEAST_LOADED"
  load_metric    = "REQUESTS"
  answers = {
    "404" = "gone"
  }
  health_check {
    uri             = "/healthz"
    timeout         = 2
    expected_status = 200
  }

  backend "api-0-10.0.0.1:8080" {
    address = "10.0.0.1:8080"
  }

  backend "api-2" {
    address   = "10.0.0.2:8080"
    weight    = 5
    sticky_id = "s2"
    backup    = true
  }

  http_frontend {
    listener = listener.http.http_0_0_0_0_80
    hostname = "api.example.com"
    position = "PRE"
    tags = {
      team = "core"
    }
  }

  https_frontend {
    listener   = listener.https.https_0_0_0_0_443
    hostname   = "api.example.com"
    path_regex = "/v[0-9]+"
    method     = "GET"
    position   = "POST"
    header {
      position = "RESPONSE"
      key      = "x-served-by"
      val      = "sozu"
    }
    header {
      position = "REQUEST"
      key      = "x-drop"
      val      = ""
    }
    hsts {
      enabled = false
    }
  }
}

cluster "db" {
  proxy_protocol = "EXPECT_HEADER"

  backend "db-1" {
    address = "[fd00::1]:5432"
  }

  tcp_frontend {
    listener = listener.tcp.tcp_1_5432
    tags = {
      k = "v"
    }
  }
}

cluster "dns" {
  udp {
    affinity_key = "SOURCE_IP"
    health {
      mode              = "UDP_PROBE"
      udp_probe_payload = "ping"
    }
  }

  udp_frontend {
    listener = listener.udp.udp_0_0_0_0_53
  }
}

http_frontend {
  listener        = listener.http.http_0_0_0_0_80
  hostname        = "old.example.com"
  path_equals     = "/x"
  redirect        = "PERMANENT"
  redirect_scheme = "USE_HTTPS"
}

certificate "api_example_com" {
  listener          = listener.https.https_0_0_0_0_443
  certificate       = file("certs/api_example_com.pem")
  certificate_chain = [file("certs/api_example_com-chain-1.pem")]
  key               = file("certs/api_example_com.key")
}
