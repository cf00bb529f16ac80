// Package sozupb holds Sōzu's command protocol: command.proto, a faithful
// proto2 description of the messages Sōzu 2.1.0 exchanges on its command
// socket and stores in its state files, and the Go code generated from it.
// Every other package speaks Sōzu through these types; helpers built on them
// live elsewhere (addresses in state, framing in sozu).
//
// The generated code is committed and never edited by hand; run
// `go generate ./proto` (it needs protoc on the PATH) after changing the
// schema. The tests keep three promises: the declarations are exactly
// Sōzu's (TestDescriptorsMatchSozu, against a listing rendered from Sōzu's
// own file), command.pb.go is what the pinned generator makes of
// command.proto (TestGeneratedCodeIsFresh), and every message, enum and
// request is documented (TestEveryDeclarationIsCommented).
//
// Two things to know when using the types. Go enforces proto2 `required`
// fields when marshalling (Sōzu does not: it fills in declared defaults), so
// set them all or marshal with AllowPartial. When unmarshalling, Go does not
// check required fields inside a oneof member, such as any Request payload
// or ResponseContent: call proto.CheckInitialized where that matters, or
// unmarshal with AllowPartial and rely on the getters' declared defaults.
package sozupb

//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --go_out=. --go_opt=paths=source_relative command.proto"
