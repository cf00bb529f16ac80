locals {
  a = local.b
  b = local.a
}

cluster "api" {
  backend "api-1" {
    address = local.a
  }
}
