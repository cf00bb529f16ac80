package applier

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func TestApplySuccess(t *testing.T) {
	f := startSim(t, sim.Options{Workers: 2})
	desired := withTLS(t, site(t, 3, 2))
	var events []Event
	res, err := Run(context.Background(), f.opts(&events), planTo(desired, planner.Options{}))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Outcome != Applied {
		t.Fatalf("outcome %s, want applied", res.Outcome)
	}
	if !f.sim.MainState().Equal(desired) {
		t.Fatal("the simulator's state is not the desired state")
	}
	if !res.Verification.OK() || len(res.Verification.Workers) != 2 {
		t.Fatalf("verification: %+v", res.Verification)
	}
	if res.Applied != len(res.Plan.Requests) || res.Applied == 0 {
		t.Fatalf("applied %d of %d", res.Applied, len(res.Plan.Requests))
	}
	for _, p := range []string{res.Checkpoint, res.AfterCheckpoint} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if !strings.HasSuffix(res.Checkpoint, "-before.state") || !strings.HasPrefix(res.Checkpoint, f.dir) {
		t.Errorf("checkpoint path %s", res.Checkpoint)
	}
	want := "Apply complete: " + strconv.Itoa(res.Plan.Summary.Create) + " added, 0 changed, 0 replaced, 0 destroyed."
	if got := res.Summary(); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	// The lock is released; the journal's last run is finished.
	if _, err := os.Stat(f.dir + "/" + LockFile); !os.IsNotExist(err) {
		t.Errorf("lock still there: %v", err)
	}
	run, err := LastRun(f.dir)
	if err != nil || run == nil || !run.Finished() || run.End.Outcome != string(Applied) {
		t.Fatalf("journal: %+v, %v", run, err)
	}
	if len(run.Applied()) != res.Applied {
		t.Errorf("journal has %d applied, want %d", len(run.Applied()), res.Applied)
	}
	// Events: one request and one answer per request, in order.
	var req, ans int
	for _, e := range events {
		switch e.Type {
		case EventRequest:
			req++
		case EventAnswer:
			ans++
			if e.Status != StatusOK {
				t.Errorf("answer %+v", e)
			}
		}
	}
	if req != res.Applied || ans != res.Applied {
		t.Errorf("%d request and %d answer events for %d requests", req, ans, res.Applied)
	}

	// Applying again: no changes, no checkpoint.
	before := len(countFiles(t, f.dir, "-before.state"))
	res, err = Run(context.Background(), f.opts(nil), planTo(desired, planner.Options{}))
	if err != nil || res.Outcome != NoChanges {
		t.Fatalf("second run: %v, %v", res, err)
	}
	if n := len(countFiles(t, f.dir, "-before.state")); n != before {
		t.Errorf("a plan without changes took a checkpoint")
	}
}

// The faults that stop a run, each followed by the rollback to the
// checkpoint: the live state is equal to the one before, exit code 1.
func TestApplyFailureRollsBack(t *testing.T) {
	base := site(t, 2, 2)
	desired := withTLS(t, site(t, 4, 3))
	for _, tc := range []struct {
		name   string
		faults sim.Faults
		reason string
		status string
	}{
		{"worker failure", sim.Faults{FailRequest: 4}, "failure", StatusFailure},
		{"main process rejection", sim.Faults{RejectRequest: 4}, "failure", StatusFailure},
		{"broken socket", sim.Faults{DropAfter: 4}, "closed", StatusClosed},
		{"first request rejected", sim.Faults{RejectRequest: 1}, "failure", StatusFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startSim(t, sim.Options{Workers: 2, Faults: tc.faults, Preload: base})
			res, err := Run(context.Background(), f.opts(nil), planTo(desired, planner.Options{}))
			var ae *ApplyError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want *ApplyError", err)
			}
			if ae.ExitCode() != 1 || res.Outcome != RolledBack || !res.AtCheckpoint {
				t.Fatalf("code %d outcome %s at checkpoint %v: %v", ae.ExitCode(), res.Outcome, res.AtCheckpoint, err)
			}
			if !f.sim.MainState().Equal(base) {
				t.Fatal("the live state is not the checkpoint's")
			}
			for i := 0; i < f.sim.Workers(); i++ {
				if tc.faults.FailRequest == 0 && !f.sim.Worker(i).State().Equal(base) {
					t.Errorf("worker %d is not back at the checkpoint", i)
				}
			}
			if res.Stopped.Reason != tc.reason || res.Stopped.Request.Status != tc.status {
				t.Errorf("stopped %+v", res.Stopped)
			}
			if !strings.Contains(err.Error(), "back at its checkpoint") && !strings.Contains(err.Error(), "nothing was changed") {
				t.Errorf("message %q", err)
			}
			run, _ := LastRun(f.dir)
			if run == nil || run.End == nil || run.End.Outcome != string(RolledBack) {
				t.Errorf("journal end: %+v", run)
			}
		})
	}
}

func TestApplyNoRollback(t *testing.T) {
	base := site(t, 1, 1)
	desired := site(t, 3, 2)
	f := startSim(t, sim.Options{Faults: sim.Faults{FailRequest: 3}, Preload: base})
	o := f.opts(nil)
	o.NoRollback = true
	res, err := Run(context.Background(), o, planTo(desired, planner.Options{}))
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.ExitCode() != 3 || res.Outcome != NotAtCheckpoint {
		t.Fatalf("got %v, %+v", err, res)
	}
	if res.Rollback != nil || res.AtCheckpoint || len(res.Remaining) == 0 {
		t.Fatalf("rollback %+v, remaining %v", res.Rollback, res.Remaining)
	}
	if res.Applied != 2 {
		t.Errorf("applied %d, want 2", res.Applied)
	}
	if f.sim.MainState().Equal(base) {
		t.Error("the partial state was undone")
	}
	if !strings.Contains(err.Error(), "sozuctl-plan rollback "+res.Checkpoint) {
		t.Errorf("message does not offer the rollback: %v", err)
	}
	// rollback CHECKPOINT brings it back.
	res, err = Rollback(context.Background(), res.Checkpoint, f.opts(nil))
	if err != nil || res.Outcome != Applied {
		t.Fatalf("rollback: %v %+v", err, res)
	}
	if !f.sim.MainState().Equal(base) {
		t.Fatal("rollback did not restore the checkpoint")
	}
}

func TestApplyLostWorker(t *testing.T) {
	f := startSim(t, sim.Options{Workers: 3, Faults: sim.Faults{LoseWorker: 3}})
	desired := site(t, 3, 2)
	res, err := Run(context.Background(), f.opts(nil), planTo(desired, planner.Options{}))
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.ExitCode() != 3 || res.Outcome != VerifyFailed {
		t.Fatalf("got %v, %+v", err, res)
	}
	if !res.Verification.StateMatches {
		t.Error("the main process's state should match")
	}
	if len(res.Verification.HashMismatches) != 1 || !strings.Contains(res.Verification.HashMismatches[0], "worker 2") {
		t.Errorf("mismatches %v", res.Verification.HashMismatches)
	}
	if !f.sim.MainState().Equal(desired) {
		t.Error("verification rolled back")
	}
	if res.Verification.Unseen == "" {
		t.Error("no note of what hashes cannot see")
	}
}

func TestApplyStalePlan(t *testing.T) {
	f := startSim(t, sim.Options{Preload: site(t, 1, 1)})
	p, err := planner.Compute(state.New(), site(t, 2, 1), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(context.Background(), p, f.opts(nil))
	var se *StaleError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want *StaleError", err)
	}
	if f.sim.Received() != 0 || len(countFiles(t, f.dir, ".state")) != 0 {
		t.Error("a stale plan changed something or took a checkpoint")
	}
	// The same plan, computed from the live state, applies.
	p, err = planner.Compute(site(t, 1, 1), site(t, 2, 1), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(context.Background(), p, f.opts(nil)); err != nil {
		t.Fatalf("fresh plan: %v", err)
	}
}

func TestApplyMassRemovalGuard(t *testing.T) {
	base := site(t, 12, 1)
	desired := site(t, 2, 1)
	f := startSim(t, sim.Options{Preload: base})
	_, err := Run(context.Background(), f.opts(nil), planTo(desired, planner.Options{}))
	var me *MassRemovalError
	if !errors.As(err, &me) || f.sim.Received() != 0 {
		t.Fatalf("error %v, received %d", err, f.sim.Received())
	}
	o := f.opts(nil)
	o.AllowMassRemoval = true
	if _, err := Run(context.Background(), o, planTo(desired, planner.Options{})); err != nil {
		t.Fatalf("with AllowMassRemoval: %v", err)
	}
	// A rollback to the checkpoint brings the 10 clusters back: exempt.
	cks := countFiles(t, f.dir, "-before.state")
	if len(cks) != 1 {
		t.Fatalf("checkpoints %v", cks)
	}
	if _, err := Rollback(context.Background(), cks[0], f.opts(nil)); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if !f.sim.MainState().Equal(base) {
		t.Fatal("not back")
	}
	// And removing them again through a rollback is exempt too.
	after := countFiles(t, f.dir, "-after.state")
	if _, err := Rollback(context.Background(), after[0], f.opts(nil)); err != nil {
		t.Fatalf("rollback removing most: %v", err)
	}
}

func TestApplyInterrupt(t *testing.T) {
	f := startSim(t, sim.Options{Faults: sim.Faults{Delay: 20 * time.Millisecond}})
	desired := site(t, 4, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := f.opts(nil)
	o.Events = func(e Event) {
		if e.Type == EventAnswer && e.Index == 3 && e.Phase == PhaseApply {
			cancel()
		}
	}
	res, err := Run(ctx, o, planTo(desired, planner.Options{}))
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.ExitCode() != 1 {
		t.Fatalf("got %v", err)
	}
	if res.Stopped.Reason != "interrupted" || res.Applied != 3 {
		t.Fatalf("stopped %+v after %d", res.Stopped, res.Applied)
	}
	if f.sim.MainState().Len() != 0 {
		t.Fatal("the rollback did not run after the interrupt")
	}
}

func TestApplyNoPrivateKeyInJournalOrEvents(t *testing.T) {
	f := startSim(t, sim.Options{Faults: sim.Faults{FailRequest: 6}})
	desired := withTLS(t, site(t, 2, 1))
	var events []Event
	_, err := Run(context.Background(), f.opts(&events), planTo(desired, planner.Options{}))
	if err == nil {
		t.Fatal("want a failure")
	}
	data, err := os.ReadFile(f.dir + "/" + JournalFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "PRIVATE KEY") {
		t.Error("the journal holds a private key")
	}
	if fi, _ := os.Stat(f.dir + "/" + JournalFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v", fi.Mode().Perm())
	}
	for _, e := range events {
		if strings.Contains(e.Message, "PRIVATE KEY") || strings.Contains(e.Address, "PRIVATE KEY") {
			t.Errorf("event %+v holds a key", e)
		}
	}
}

// A proxy that comes back empty after a stop (Sōzu restarted without its
// state) is restored with one load_state of the checkpoint.
func TestApplyRestartedEmptyLoadsCheckpoint(t *testing.T) {
	base := site(t, 2, 2)
	f := startSim(t, sim.Options{Preload: base, Faults: sim.Faults{DropAfter: 3}})
	o := f.opts(nil)
	var fresh *sim.Simulator
	o.Events = func(e Event) {
		if e.Type != EventStopped {
			return
		}
		// Sōzu restarts, empty, on the same socket.
		f.sim.Close()
		s, err := sim.New(sim.Options{})
		if err != nil {
			t.Error(err)
			return
		}
		ln, err := sim.Listen(f.socket)
		if err != nil {
			t.Error(err)
			return
		}
		fresh = s
		go s.Serve(ln)
	}
	res, err := Run(context.Background(), o, planTo(site(t, 4, 2), planner.Options{}))
	if fresh != nil {
		defer fresh.Close()
	}
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.ExitCode() != 1 {
		t.Fatalf("got %v", err)
	}
	if res.Rollback == nil || !res.Rollback.LoadState || !res.AtCheckpoint {
		t.Fatalf("rollback %+v at checkpoint %v", res.Rollback, res.AtCheckpoint)
	}
	if fresh == nil || !fresh.MainState().Equal(base) {
		t.Fatal("the restarted proxy did not get the checkpoint back")
	}
}
