cluster "api" {
  load_balancing = "ROUND_ROBBIN"
}
