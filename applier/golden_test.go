package applier

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
)

// TestJournalGolden pins the journal of a run that fails at its third
// request and rolls back, with times, run ids, pids and paths blanked.
func TestJournalGolden(t *testing.T) {
	f := startSim(t, sim.Options{Faults: sim.Faults{FailRequest: 3}})
	_, err := Run(context.Background(), f.opts(nil), planTo(site(t, 1, 2), planner.Options{}))
	if err == nil {
		t.Fatal("want a failure")
	}
	data, err := os.ReadFile(filepath.Join(f.dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("journal line %q: %v", line, err)
		}
		r.Time, r.Run, r.PID = time.Time{}, "RUN", 0
		if r.Checkpoint != "" {
			r.Checkpoint = "DIR/" + filepath.Base(r.Checkpoint)[len("20060102T150405.000Z-"):]
			r.Checkpoint = "DIR/TIME-PID-" + r.Checkpoint[strings.LastIndex(r.Checkpoint, "-")+1:]
		}
		r.Socket = strings.ReplaceAll(r.Socket, f.dir, "DIR")
		r.Message = strings.ReplaceAll(r.Message, f.dir, "DIR")
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(append(b, '\n'))
	}
	golden.Check(t, filepath.Join("testdata", "journal.golden"), out.Bytes())
}
