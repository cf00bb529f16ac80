package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// FuzzLoadState runs load_state over arbitrary file contents: the answers
// must follow Sōzu's sequences (one PROCESSING then FAILURE when the file
// stops being readable, else two PROCESSING and the terminal answer), and
// whatever was applied, each worker's copy of the state must stay what the
// main process accepted, since nothing else changed it. The seeds are the
// statefile package's sample files and the corpus under
// testdata/fuzz/FuzzLoadState.
func FuzzLoadState(f *testing.F) {
	for _, name := range []string{"sozu-1.1.1.state", "sozu-1.1.1-save.state", "sozu-2.1.0-all.state"} {
		b, err := os.ReadFile(filepath.Join("..", "statefile", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "/f.state"
		s, err := New(Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		answers := s.replayFile(path, data, []*sozupb.Response{processing("Parsing state file from " + path + "...")})
		last := answers[len(answers)-1]
		switch {
		case len(answers) == 2 && last.GetStatus() == sozupb.ResponseStatus_FAILURE:
			if last.GetMessage() != msgConsumeFailed {
				t.Fatalf("read stopped with %q", last.GetMessage())
			}
		case len(answers) == 3:
			if !loadCounts.MatchString(strings.ReplaceAll(last.GetMessage(), path, "P")) {
				t.Fatalf("terminal answer %q", last.GetMessage())
			}
		default:
			t.Fatalf("%d answers, the last %v", len(answers), last)
		}
		for i, a := range answers[:len(answers)-1] {
			if a.GetStatus() != sozupb.ResponseStatus_PROCESSING {
				t.Fatalf("answer %d is %v", i+1, a.GetStatus())
			}
		}
		main := s.MainState()
		for i := range s.Workers() {
			if !s.Worker(i).State().Equal(main) {
				t.Fatalf("worker %d's state copy differs from the main process's", i)
			}
		}
	})
}
