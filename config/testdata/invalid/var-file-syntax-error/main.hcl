variable "weight" {
  type    = number
  default = 100
}
