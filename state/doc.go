// Package state is the one model of a Sōzu configuration that the rest of
// sozuctl-plan shares: the desired configuration built from HCL, a state file,
// the live proxy, the simulator's main process and every checkpoint are values
// of it, and the planner compares two of them.
//
// It owns Sōzu's identity keys (listeners by protocol and address, clusters by
// id, backends by cluster, id and address, HTTP(S) frontends by route key,
// certificates by listener address and fingerprint), applies requests with the
// rules of Sōzu's main process (ConfigState::dispatch in Sōzu 2.1.0), rebuilds
// the requests that recreate a state, and compares states by effective value.
package state
