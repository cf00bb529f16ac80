// Package sim is a stand-in for a running Sōzu: it serves Sōzu's command
// protocol on a unix socket and models the two layers a real Sōzu has.
//
// The main process is a state.State, which accepts or rejects each request
// with the rules of Sōzu's main process. Every worker holds its own copy of
// that state (updated before its proxies apply a request, whatever the
// outcome, as a Sōzu worker does) and its own proxy tables, which follow the
// workers' rules: one cluster per TCP/UDP listener, backends removed by
// address, hostnames lowercased, HTTP(S) rules kept in PRE, POST and TREE sets
// chosen by the request's position, listeners that need an explicit
// activation, certificates keyed by fingerprint.
//
// Answers follow Sōzu 2.1.0's sequences (PROCESSING then OK or FAILURE, a
// single terminal answer for main-process reads, none for empty requests),
// and faults can be injected by counting the state-changing requests that
// arrive on the socket. The package depends on the state, statefile and
// proto packages only: it never imports the planner or the applier, so that
// it stays an independent picture of Sōzu against which they are tested.
package sim
