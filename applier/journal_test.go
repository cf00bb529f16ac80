package applier

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
)

func TestLastRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lines    string
		nilRun   bool
		finished bool
		applied  int
		inFlight int
	}{
		{name: "no journal", nilRun: true},
		{name: "finished", lines: `{"run":"a","type":"start","requests":1}
{"run":"a","type":"request","index":1,"verb":"add_cluster"}
{"run":"a","type":"answer","index":1,"status":"OK"}
{"run":"a","type":"end","outcome":"applied"}
`, finished: true, applied: 1},
		{name: "cut short in flight", lines: `{"run":"a","type":"start"}
{"run":"a","type":"end"}
{"run":"b","type":"start","requests":3,"checkpoint":"/x/b-before.state"}
{"run":"b","type":"request","index":1,"verb":"add_cluster","address":"cluster.api"}
{"run":"b","type":"answer","index":1,"status":"OK"}
{"run":"b","type":"request","index":2,"verb":"add_backend","address":"cluster.api.backend.a"}
{"run":"b","type":"ans`, applied: 1, inFlight: 2},
		{name: "garbage and foreign lines skipped", lines: `not json
{"run":"c","type":"start"}
{"run":"z","type":"answer","index":1,"status":"OK"}
{"run":"c","type":"request","index":1}
{"run":"c","type":"answer","index":1,"status":"FAILURE","message":"no"}
`, applied: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.lines != "" {
				os.WriteFile(filepath.Join(dir, JournalFile), []byte(tc.lines), 0o600)
			}
			run, err := LastRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tc.nilRun {
				if run != nil {
					t.Fatalf("run %+v", run)
				}
				return
			}
			if run.Finished() != tc.finished || len(run.Applied()) != tc.applied {
				t.Fatalf("finished %v applied %d", run.Finished(), len(run.Applied()))
			}
			f := run.InFlight()
			if (tc.inFlight == 0) != (f == nil) || (f != nil && f.Index != tc.inFlight) {
				t.Fatalf("in flight %+v", f)
			}
		})
	}
}

// After a crash (a journal whose last run has no end), the next run
// reports exactly what was applied and offers the rollback, then goes on.
func TestJournalReplayAfterCrash(t *testing.T) {
	f := startSim(t, sim.Options{})
	journal := `{"time":"2026-01-02T03:04:05Z","run":"r1","type":"start","pid":4242,"phase":"apply","requests":3,"checkpoint":"/ck/r1-before.state"}
{"run":"r1","type":"request","index":1,"verb":"add_cluster","address":"cluster.api"}
{"run":"r1","type":"answer","index":1,"verb":"add_cluster","address":"cluster.api","status":"OK"}
{"run":"r1","type":"request","index":2,"verb":"add_backend","address":"cluster.api.backend.api-1"}
`
	os.WriteFile(filepath.Join(f.dir, JournalFile), []byte(journal), 0o600)
	var events []Event
	res, err := Run(context.Background(), f.opts(&events), planTo(site(t, 1, 1), planner.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Unfinished == nil || len(res.Unfinished.Applied()) != 1 {
		t.Fatalf("unfinished %+v", res.Unfinished)
	}
	var msg string
	for _, e := range events {
		if e.Type == EventUnfinishedRun {
			msg = e.Message
		}
	}
	for _, want := range []string{
		"1 of 3 request(s) were applied",
		"applied: 1. add_cluster cluster.api",
		"unknown (sent, no answer recorded): 2. add_backend cluster.api.backend.api-1",
		"sozuctl-plan rollback /ck/r1-before.state",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	// The run that followed finished: the next one reports nothing.
	events = nil
	if _, err := Run(context.Background(), f.opts(&events), planTo(site(t, 1, 1), planner.Options{})); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Type == EventUnfinishedRun {
			t.Errorf("reported again: %s", e.Message)
		}
	}
}

// A journal whose last line was cut short (a crash in the middle of a
// write) still gets the next run's records on lines of their own: that run
// is the last one read back, finished.
func TestJournalAfterTornLine(t *testing.T) {
	f := startSim(t, sim.Options{})
	journal := `{"time":"2026-01-02T03:04:05Z","run":"r1","type":"start","pid":4242,"phase":"apply","requests":3,"checkpoint":"/ck/r1-before.state"}
{"run":"r1","type":"request","index":1,"verb":"add_cluster","address":"cluster.api"}
{"run":"r1","type":"answer","index":1,"verb":"add_clu`
	if err := os.WriteFile(filepath.Join(f.dir, JournalFile), []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), f.opts(nil), planTo(site(t, 1, 1), planner.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Unfinished == nil || len(res.Unfinished.Applied()) != 0 || res.Unfinished.InFlight() == nil {
		t.Fatalf("the cut run read back as %+v", res.Unfinished)
	}
	last, err := LastRun(f.dir)
	if err != nil || last == nil || last.Start.Run == "r1" || !last.Finished() {
		t.Fatalf("last run %+v, %v", last, err)
	}
}
