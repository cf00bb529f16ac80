package statefile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update rewrites the golden files under testdata instead of comparing:
// go test ./statefile -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with the file testdata/name, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to refresh it)\n got: %q\nwant: %q", name, got, want)
	}
}

// TestLoadAllStateFileModel pins the state that the every-kind file builds
// when replayed as Sōzu's load_state replays it: the golden is that state
// as Sōzu's save_state would write it (listeners with their patches
// applied, the removed frontend gone, the replaced certificate in place of
// the old one, the cluster removed while its backends and frontends stay).
func TestLoadAllStateFileModel(t *testing.T) {
	res, err := Load(filepath.Join("testdata", "sozu-2.1.0-all.state"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Encode(&out, Records(res.State.Requests())); err != nil {
		t.Fatal(err)
	}
	golden(t, "sozu-2.1.0-all.saved.state", out.Bytes())
	back, err := LoadReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Skipped) != 0 || !back.State.Equal(res.State) {
		t.Errorf("the saved state reads back different (skipped %v)", back.Skipped)
	}
}
