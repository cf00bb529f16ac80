package sim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

func TestFaultFailRequest(t *testing.T) {
	h := start(t, Options{Faults: Faults{FailRequest: 2}})
	h.ok(addCluster("a"))
	proc, msg := h.fail(addCluster("b"))
	if proc != 1 || !strings.HasPrefix(msg, "0: ") || !strings.Contains(msg, "1: OK") {
		t.Errorf("FAILURE after %d PROCESSING: %q", proc, msg)
	}
	if _, ok := h.sim.MainState().Clusters["b"]; !ok {
		t.Error("the main state did not keep the failed request")
	}
	if h.sim.Worker(0).HasCluster("b") || !h.sim.Worker(1).HasCluster("b") {
		t.Error("want worker 0 without b and worker 1 with it")
	}
	h.ok(addCluster("c"))
}

func TestFaultRejectRequest(t *testing.T) {
	h := start(t, Options{Faults: Faults{RejectRequest: 1}})
	before := h.sim.MainState()
	proc, msg := h.fail(addCluster("a"))
	if proc != 0 || !strings.HasPrefix(msg, msgDispatchFailed) {
		t.Errorf("FAILURE after %d PROCESSING: %q", proc, msg)
	}
	if !h.sim.MainState().Equal(before) || h.sim.Worker(0).HasCluster("a") {
		t.Error("a rejected request changed something")
	}
	h.ok(addCluster("a"))
}

func TestFaultDropAfter(t *testing.T) {
	h := start(t, Options{Faults: Faults{DropAfter: 2}})
	h.ok(addCluster("a"))
	// Queries do not count.
	h.ok(hashesReq())
	_, _, err := h.send(addCluster("b"))
	var closed *sozu.ClosedError
	if !errors.As(err, &closed) {
		t.Fatalf("error = %v, want a closed connection", err)
	}
	if _, ok := h.sim.MainState().Clusters["b"]; !ok {
		t.Error("the dropped request was not applied")
	}
	if !h.sim.Worker(1).HasCluster("b") {
		t.Error("the dropped request did not reach the workers")
	}
	h.c = h.dial()
	h.ok(addCluster("c"))
}

func TestFaultLoseWorker(t *testing.T) {
	h := start(t, Options{Workers: 3, Faults: Faults{LoseWorker: 2}})
	h.ok(addCluster("a"))
	h.ok(addBackend("a", "a-1", "10.0.0.1:80")) // lost by worker 2, answered OK
	hs := h.hashes()
	if hs["0"]["a"] != hs["main"]["a"] || hs["1"]["a"] != hs["main"]["a"] {
		t.Error("workers 0 and 1 disagree with the main process")
	}
	if hs["2"]["a"] == hs["main"]["a"] {
		t.Error("the lost worker's hash matches the main process")
	}
	if n := len(h.sim.Worker(2).Backends("a")); n != 0 {
		t.Errorf("lost worker has %d backends", n)
	}
}

func TestFaultDelay(t *testing.T) {
	const d = 30 * time.Millisecond
	h := start(t, Options{Faults: Faults{Delay: d}})
	begin := time.Now()
	h.ok(addCluster("a")) // two answers
	if el := time.Since(begin); el < 2*d {
		t.Errorf("answered in %v, want at least %v", el, 2*d)
	}
}

// TestFaultCountsOnlyStateChanges: rejected requests count, queries,
// status, save_state and load_state do not.
func TestFaultCountsOnlyStateChanges(t *testing.T) {
	h := start(t, Options{Faults: Faults{FailRequest: 3}})
	h.fail(removeCluster("missing")) // 1, rejected by the main process
	h.ok(&sozupb.Request{RequestType: &sozupb.Request_Status{Status: &sozupb.Status{}}})
	h.ok(&sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: testsock.Dir(t) + "/s.state"}})
	h.ok(addCluster("a")) // 2
	if _, msg := h.fail(addCluster("b")); !strings.Contains(msg, "fault injection") {
		t.Errorf("third state change: %q", msg)
	}
	if got := h.sim.Received(); got != 3 {
		t.Errorf("Received = %d, want 3", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{Workers: -1}, {Workers: MaxWorkers + 1}, {Faults: Faults{DropAfter: -1}}, {Faults: Faults{Delay: -time.Second}}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
