cluster "api" {
}

cluster "api" {
}
