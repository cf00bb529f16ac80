variable "ports" {
  type    = list(number)
  default = ["eighty"]
}
