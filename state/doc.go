// Package state is the one model of a Sōzu configuration that the rest of
// sozuctl-plan shares: the desired configuration built from HCL, a state file,
// the live proxy, the simulator's main process and every checkpoint are values
// of it, and the planner compares two of them. It imports only the generated
// protocol package; everything else imports it.
//
// It owns:
//
//   - Sōzu's identity keys: listeners by protocol and address (FormatAddress),
//     clusters by id, backends by cluster, id and address, HTTP(S) frontends
//     by RouteKey, TCP/UDP frontends by cluster, address and tags,
//     certificates by listener address and CertificateFingerprint;
//   - State.Apply, the rules of Sōzu 2.1.0's main process
//     (ConfigState::dispatch), including its rejections (*Error, with Sōzu's
//     wording) and the requests it half-applies, and State.ApplyOwned, the
//     same for a request the caller hands over (no copies);
//   - State.Requests, the requests that rebuild a state, in the order of
//     Sōzu's state files, and FromRequests, its inverse;
//   - the defaults of the whole project (defaults.go): the listeners Sōzu's
//     config.toml loader builds, and Normalize, the effective value of an
//     object, on which State.Equal and State.Fingerprint rest;
//   - State.Objects, every object with its Kind and key, for inventories and
//     planners.
package state
