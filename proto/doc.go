// Package sozupb holds Sōzu's command protocol: command.proto, a faithful
// proto2 description of the messages Sōzu 2.1.0 exchanges on its command
// socket and stores in its state files, and the Go code generated from it.
//
// The generated code is committed and never edited by hand; run
// `go generate ./proto` (it needs protoc on the PATH) after changing the
// schema. Helpers built on these types live in other packages.
package sozupb

//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --go_out=. --go_opt=paths=source_relative command.proto"
