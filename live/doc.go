// Package live reads the configuration of a running Sōzu into a
// state.State, through the command socket.
//
// Sōzu has no request that returns its whole configuration, so there are two
// ways, with different trade-offs (docs/live-read.md):
//
//   - ReadSaveState asks Sōzu to save_state into a file and reads that file
//     with package statefile. It is the only complete export (listeners with
//     their active flag, clusters, backends, every frontend, certificates
//     with their listener address, chain and key), but the tool must be able
//     to read what Sōzu writes: same host, same filesystem view.
//   - ReadQueries combines list_listeners, list_frontends,
//     query_clusters_hashes, query_cluster_by_id and
//     query_certificates_from_the_state. It needs nothing but the socket, at
//     the price of gaps it reports as warnings.
//
// Both read the main process's view of the configuration, not the workers'.
// Package live imports sozu, state and statefile; the command line and the
// applier import it.
package live
