// Package golden compares test output with golden files kept under a
// package's testdata directory, and rewrites those files instead when the
// test binary runs with -update:
//
//	go test ./render -update
//
// It registers the -update flag itself, once per test binary, so a test
// package that imports it must not declare its own -update flag.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ instead of comparing with them")

// Updating reports whether the test binary runs with -update, for tests
// that rewrite other checked-in files than the ones Check handles.
func Updating() bool { return *update }

// Check compares got with the golden file at path (usually under
// testdata/). With -update it writes got to path instead, creating the
// directory if needed, and the test passes. A missing golden file or a
// difference fails the test with the first differing line and both
// contents.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := write(path, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -update and review the diff)\n%s\n--- got:\n%s\n--- want:\n%s",
			path, FirstDiff(want, got), got, want)
	}
}

// CheckString is Check for output held in a string.
func CheckString(t testing.TB, path, got string) {
	t.Helper()
	Check(t, path, []byte(got))
}

// FirstDiff describes the first line where want and got differ, or
// returns "" when they are equal.
func FirstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || (i >= len(wl)) != (i >= len(gl)) {
			return fmt.Sprintf("first difference at line %d:\n- %q\n+ %q", i+1, w, g)
		}
	}
	return ""
}

// write stores data at path, creating its directory.
func write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("golden: create directory: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("golden: write %s: %w", path, err)
	}
	return nil
}
