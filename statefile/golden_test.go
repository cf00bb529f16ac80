package statefile

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
)

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
	golden.Check(t, filepath.Join("testdata", "sozu-2.1.0-all.saved.state"), out.Bytes())
	back, err := LoadReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Skipped) != 0 || !back.State.Equal(res.State) {
		t.Errorf("the saved state reads back different (skipped %v)", back.Skipped)
	}
}
