package applier

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
)

func writeLock(t *testing.T, dir string, h Holder) {
	t.Helper()
	data, _ := json.Marshal(h)
	if err := os.WriteFile(filepath.Join(dir, LockFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1) to make a dead pid")
	}
	return cmd.Process.Pid
}

func TestLock(t *testing.T) {
	host, _ := os.Hostname()
	for _, tc := range []struct {
		name     string
		holder   *Holder
		wait     time.Duration
		wantErr  bool
		takeover bool
	}{
		{name: "free"},
		{name: "held by a live process", holder: &Holder{PID: os.Getppid(), Host: host, Command: "apply other"}, wantErr: true},
		{name: "held, waiting in vain", holder: &Holder{PID: os.Getppid(), Host: host}, wait: 250 * time.Millisecond, wantErr: true},
		{name: "held on another host", holder: &Holder{PID: 1, Host: host + "-elsewhere"}, wantErr: true},
		{name: "stale: holder gone", holder: &Holder{PID: -1, Host: host}, takeover: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.holder != nil {
				writeLock(t, dir, *tc.holder)
			}
			start := time.Now()
			l, err := AcquireLock(context.Background(), dir, CurrentHolder("test"), tc.wait)
			if tc.wantErr {
				var le *LockHeldError
				if !errors.As(err, &le) || le.Holder == nil || le.Holder.PID != tc.holder.PID {
					t.Fatalf("error %v, want *LockHeldError naming pid %d", err, tc.holder.PID)
				}
				if !strings.Contains(err.Error(), "force-unlock") {
					t.Errorf("message %q", err)
				}
				if time.Since(start) < tc.wait {
					t.Errorf("returned before waiting %s", tc.wait)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (l.TookOver != nil) != tc.takeover {
				t.Errorf("took over %v", l.TookOver)
			}
			h, err := ReadLock(dir)
			if err != nil || h.PID != os.Getpid() {
				t.Fatalf("lock holds %+v, %v", h, err)
			}
			fi, _ := os.Stat(l.Path())
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("lock mode %v", fi.Mode().Perm())
			}
			// A second acquisition fails while this one holds it.
			if _, err := AcquireLock(context.Background(), dir, CurrentHolder("again"), 0); err == nil {
				t.Error("lock taken twice")
			}
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadLock(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("lock after release: %v", err)
			}
		})
	}
}

func TestLockStaleRealPID(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	writeLock(t, dir, Holder{PID: deadPID(t), Host: host})
	l, err := AcquireLock(context.Background(), dir, CurrentHolder("test"), 0)
	if err != nil || l.TookOver == nil {
		t.Fatalf("%v, %+v", err, l)
	}
	l.Release()
}

func TestLockWaitsForRelease(t *testing.T) {
	dir := t.TempDir()
	first, err := AcquireLock(context.Background(), dir, CurrentHolder("first"), 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(150 * time.Millisecond)
		first.Release()
	}()
	second, err := AcquireLock(context.Background(), dir, CurrentHolder("second"), 5*time.Second)
	if err != nil {
		t.Fatalf("waiting: %v", err)
	}
	second.Release()
}

func TestLockUnreadable(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, LockFile), []byte("garbage"), 0o600)
	_, err := AcquireLock(context.Background(), dir, CurrentHolder("x"), 0)
	var le *LockHeldError
	if !errors.As(err, &le) || le.Holder != nil {
		t.Fatalf("%v", err)
	}
	h, err := ForceUnlock(dir)
	if err != nil || h != nil {
		t.Fatalf("force-unlock: %+v %v", h, err)
	}
	if _, err := ForceUnlock(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second force-unlock: %v", err)
	}
}

// A run refuses at once when another process holds the lock, changing
// nothing; with a lock whose holder is gone it goes on and says so.
func TestRunLock(t *testing.T) {
	f := startSim(t, sim.Options{})
	host, _ := os.Hostname()
	writeLock(t, f.dir, Holder{PID: os.Getppid(), Host: host, Command: "apply elsewhere"})
	_, err := Run(context.Background(), f.opts(nil), planTo(site(t, 1, 1), planner.Options{}))
	var le *LockHeldError
	if !errors.As(err, &le) || f.sim.Received() != 0 {
		t.Fatalf("%v", err)
	}
	writeLock(t, f.dir, Holder{PID: -1, Host: host, Command: "apply crashed"})
	var events []Event
	if _, err := Run(context.Background(), f.opts(&events), planTo(site(t, 1, 1), planner.Options{})); err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Type != EventLockTakeover || !strings.Contains(events[0].Message, "apply crashed") {
		t.Errorf("first event %+v", events[0])
	}
}
