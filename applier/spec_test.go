package applier

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// The before-checkpoint is named <dir>/<UTC time to the millisecond>-<pid>-
// before.state, absolute, and its time is the run's.
func TestCheckpointName(t *testing.T) {
	f := startSim(t, sim.Options{})
	start := time.Now().UTC().Truncate(time.Millisecond)
	res, err := Run(context.Background(), f.opts(nil), planTo(site(t, 1, 1), planner.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().UTC()
	if !filepath.IsAbs(res.Checkpoint) || filepath.Dir(res.Checkpoint) != f.dir {
		t.Errorf("checkpoint %s is not an absolute path in %s", res.Checkpoint, f.dir)
	}
	pid := strconv.Itoa(os.Getpid())
	m := regexp.MustCompile(`^(\d{8}T\d{6}\.\d{3}Z)-` + pid + `-before\.state$`).FindStringSubmatch(filepath.Base(res.Checkpoint))
	if m == nil {
		t.Fatalf("checkpoint name %s", filepath.Base(res.Checkpoint))
	}
	at, err := time.Parse("20060102T150405.000Z", m[1])
	if err != nil || at.Before(start) || at.After(end) {
		t.Errorf("checkpoint time %s (%v) not within the run [%s, %s]", m[1], err, start, end)
	}
	if !regexp.MustCompile(`^\d{8}T\d{6}\.\d{3}Z-` + pid + `-after\.state$`).MatchString(filepath.Base(res.AfterCheckpoint)) {
		t.Errorf("after-checkpoint name %s", res.AfterCheckpoint)
	}
}

// relay forwards a unix socket to the simulator's and, while stall is
// set, holds each chunk of answer for delay before passing it on.
// With one set, it takes a single connection and then stops listening.
type relay struct {
	socket string
	stall  atomic.Bool
	delay  time.Duration
	one    bool
}

func startRelay(t *testing.T, f *fixture, delay time.Duration) *relay {
	t.Helper()
	return startRelayWith(t, f, &relay{delay: delay})
}

func startRelayWith(t *testing.T, f *fixture, r *relay) *relay {
	t.Helper()
	r.socket = filepath.Join(f.dir, "r.sock")
	ln, err := net.Listen("unix", r.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if r.one {
				ln.Close()
			}
			s, err := net.Dial("unix", f.socket)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(s, c); s.Close() }()
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						if r.stall.Load() {
							time.Sleep(r.delay)
						}
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return r
}

// A request whose answer does not come within the timeout stops the run
// after it: nothing more is sent, the live state is read again and the
// request, which the proxy applied all the same, is rolled back (exit 1).
func TestApplyTimeoutStops(t *testing.T) {
	f := startSim(t, sim.Options{})
	r := startRelay(t, f, 400*time.Millisecond)
	o := f.opts(nil)
	o.Socket = r.socket
	o.CheckpointDir = f.dir
	o.Timeout = 100 * time.Millisecond
	o.Events = func(e Event) {
		switch {
		case e.Type == EventRequest && e.Phase == PhaseApply && e.Index == 2:
			r.stall.Store(true)
		case e.Type == EventStopped:
			r.stall.Store(false)
		}
	}
	res, err := Run(context.Background(), o, planTo(site(t, 2, 1), planner.Options{}))
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.ExitCode() != 1 {
		t.Fatalf("error %v", err)
	}
	if res.Stopped == nil || res.Stopped.Reason != "timeout" || len(res.Requests) != 2 ||
		res.Requests[1].Status != StatusTimeout || res.Applied != 1 {
		t.Fatalf("stopped %+v, requests %+v", res.Stopped, res.Requests)
	}
	if got := f.sim.Received(); got != 2+len(res.Rollback.Requests) {
		t.Errorf("the proxy received %d requests: %d sent and %d to roll back", got, 2, len(res.Rollback.Requests))
	}
	if !res.AtCheckpoint || f.sim.MainState().Len() != 0 {
		t.Errorf("not back at the checkpoint: %d objects", f.sim.MainState().Len())
	}
}

// The proxy changes between the live read and the checkpoint (while the plan
// is shown for approval): the run is refused as stale, with the checkpoint
// holding the new state, and nothing of the plan is sent.
func TestApplyChangedDuringApproval(t *testing.T) {
	f := startSim(t, sim.Options{})
	o := f.opts(nil)
	o.Confirm = func(ctx context.Context, _ *planner.Plan) error {
		c, err := sozu.Dial(ctx, f.socket)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Send(ctx, clusterReq("meanwhile"), nil)
		return err
	}
	res, err := Run(context.Background(), o, planTo(site(t, 2, 1), planner.Options{}))
	var se *StaleError
	if !errors.As(err, &se) || res != nil {
		t.Fatalf("error %v, result %+v", err, res)
	}
	if f.sim.Received() != 1 {
		t.Errorf("%d requests reached the proxy, want only the one made meanwhile", f.sim.Received())
	}
	cks := countFiles(t, f.dir, "-before.state")
	if len(cks) != 1 {
		t.Fatalf("checkpoints %v", cks)
	}
	if _, err := os.Stat(filepath.Join(f.dir, JournalFile)); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote the journal: %v", err)
	}
}

// The workers' hashes are read on a second connection while the
// after-checkpoint is read; when Sōzu takes no second connection, they are
// read on the run's own afterwards, and the run verifies all the same.
func TestApplyHashesWithoutSecondConnection(t *testing.T) {
	f := startSim(t, sim.Options{Workers: 2})
	r := startRelayWith(t, f, &relay{one: true})
	o := f.opts(nil)
	o.Socket = r.socket
	o.CheckpointDir = f.dir
	res, err := Run(context.Background(), o, planTo(site(t, 2, 1), planner.Options{}))
	if err != nil || res.Outcome != Applied {
		t.Fatalf("outcome %v, error %v", res, err)
	}
	v := res.Verification
	if !v.OK() || len(v.Workers) != 2 {
		t.Errorf("verification %+v", v)
	}
	if _, err := os.Stat(r.socket); !os.IsNotExist(err) {
		t.Errorf("the relay still listens: %v", err)
	}
}
