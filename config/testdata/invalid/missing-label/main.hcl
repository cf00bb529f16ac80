cluster {
}
