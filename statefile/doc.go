// Package statefile reads and writes Sōzu's state files: the files that
// Sōzu's save_state request writes and its load_state request replays.
//
// A state file is a sequence of records. Each record is one WorkerRequest
// encoded as JSON in the shape of Sōzu's serde derive on its prost types
// (not protojson), followed by a newline and a NUL byte:
//
//	{"id":"SAVE-0","content":{"request_type":{"ADD_CLUSTER":{...}}}}\n\0
//
// The codec (Decode, Encode, MarshalRecord, UnmarshalRecord) is driven by
// the protobuf descriptors of package sozupb, so it covers every message of
// the schema with one encoder and one decoder. Read, ReadState, Write and
// WriteRequests turn files into values of package state and back, writing
// atomically with mode 0600, since state files hold private keys.
//
// The JSON shape, as Sōzu 2.1.0 writes it:
//   - field names are the proto's snake_case names, in declaration order,
//     with oneofs after the other fields;
//   - a oneof is an object with one key, the Rust variant name in
//     SCREAMING_SNAKE_CASE ("ADD_CLUSTER", "LOGGING", "V4"), or null;
//   - enums are integers (any 32-bit number reads, named by the schema or
//     not, as in Sōzu); bytes are arrays of numbers;
//   - unset optional fields are null; repeated fields are arrays and maps
//     are objects sorted by key, empty ones included.
//
// Reading is more forgiving than Sōzu in one way: a missing repeated or map
// field reads as empty (files written by Sōzu 1.1.x lack the newer ones).
// A missing required scalar or message is an error, as it is in Sōzu.
//
// Package statefile is imported by the command line, the applier, the
// simulator and the importer; it imports only proto and state.
package statefile
