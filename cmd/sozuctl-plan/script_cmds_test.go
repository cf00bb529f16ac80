package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJSON is the script command "json FILE": it fails unless FILE holds
// one JSON document, or one JSON document per line (an event stream), and
// nothing else.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: json FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(bytes.TrimSpace(data)) == 0 {
		ts.Fatalf("%s is empty", args[0])
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			ts.Fatalf("%s: document %d is not JSON: %v", args[0], n, err)
		}
	}
}

// cmdModes0600 is the script command "modes0600 PATTERN...": every file
// that each glob PATTERN names must exist and have mode 0600.
func cmdModes0600(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: modes0600 PATTERN...")
	}
	for _, pattern := range args {
		matches, err := filepath.Glob(ts.MkAbs(pattern))
		ts.Check(err)
		if len(matches) == 0 {
			ts.Fatalf("no file matches %s", pattern)
		}
		for _, m := range matches {
			fi, err := os.Stat(m)
			ts.Check(err)
			if got := fi.Mode().Perm(); got != 0o600 {
				ts.Fatalf("%s has mode %#o, want 0600", filepath.Base(m), got)
			}
		}
	}
}
