// Package testsock gives tests a place for unix sockets. A socket address
// holds at most 108 bytes on Linux (104 on the BSDs), and the directories
// of testing.T.TempDir, named after the test, can be longer than that, so
// the sockets of the live, planner, sim and sozu tests go into a directory
// with a short name directly under the system's temporary directory.
package testsock

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir creates a new directory with a short name under the system's
// temporary directory, removed with its content when t ends. Cleanups
// registered after Dir run before the removal, so a server closed in one
// still has its socket file.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sk")
	if err != nil {
		t.Fatalf("socket directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Path returns the path of a socket called s.sock in a new Dir.
func Path(t testing.TB) string {
	t.Helper()
	return filepath.Join(Dir(t), "s.sock")
}
