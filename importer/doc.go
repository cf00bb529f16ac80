// Package importer turns an existing Sōzu configuration into the HCL of
// sozuctl-plan (SPEC §7).
//
// It owns two conversions:
//
//   - FromTOML reads Sōzu's own config.toml and builds the state.State that
//     Sōzu's main process holds right after booting from that file: listeners
//     with the loader's defaults, listeners created for frontend addresses
//     that no listener declares, clusters, HTTP and HTTPS frontends (HTTPS
//     when a certificate is given or inherited from the listener), TCP and
//     UDP frontends, backends with their default ids and weights, and the
//     certificates of HTTPS frontends;
//   - Render and WriteHCL write a state as formatted HCL that the config
//     package loads back into an Equal state, so that `plan` against the
//     source of the import shows no changes. Certificates, their chains and
//     private keys go to files beside the HCL (keys with mode 0600), read
//     back with file().
//
// State files and the live proxy need no reader here: statefile.Read and
// package live give their states. The command line imports this package;
// it imports state, config (for the enum tables) and proto.
package importer
