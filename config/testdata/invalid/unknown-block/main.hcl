clustr "api" {
}
