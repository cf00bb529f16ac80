// Package planfile owns the saved-plan format of `plan --out FILE`: a
// versioned file holding everything `apply FILE` needs (the plan with its
// ordered requests, the base's source and fingerprint, the desired
// fingerprint, the options the plan was made with) and no private key.
//
// A private key is recorded by where it came from: the absolute path of
// its file and its SHA-256 (Read reads the file again and checks the hash),
// or the name of the sensitive variable that held it and its SHA-256
// (the variable must be given again: File.Resolve). A key computed by an
// expression is recorded by its hash alone and can only be found again by
// loading the configuration (ResolveOptions.Lookup, KeysOf).
//
// The format (version 1) is one JSON document:
//
//	{"format": "sozuctl-plan plan", "version": 1, "sha256": "<hex>", "body": {...}}
//
// where sha256 is the SHA-256 of the body's bytes exactly as written, so
// that a file changed by hand or cut short is refused as corrupt. In the
// body, requests and the before and after values of changes are binary
// protobuf (Sōzu 2.1.0's command.proto: command.Request and the message of
// each kind of object) in standard base64, with every private key field
// emptied; the keys list says which request field each key goes back
// into. Other values a configuration marks sensitive (a header value from
// a sensitive variable) are kept, as apply must send them, and their paths
// are recorded so that every view masks them: keep plan files private
// (Write makes them 0600).
//
// The package imports planner, config (for where keys came from) and the
// generated protocol; the command line imports it.
package planfile
