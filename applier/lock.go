package applier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"syscall"
	"time"
)

// LockFile is the name of the lock file in the checkpoint directory.
const LockFile = "sozuctl-plan.lock"

// lockPoll is how often a waiting AcquireLock looks at the lock again.
const lockPoll = 100 * time.Millisecond

// Holder describes the process that holds a lock; it is what the lock file
// contains, as one JSON object.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	User    string    `json:"user"`
	Time    time.Time `json:"time"`
	Command string    `json:"command"`
}

// String describes the holder in one clause, for messages.
func (h Holder) String() string {
	cmd := h.Command
	if cmd == "" {
		cmd = "sozuctl-plan"
	}
	return fmt.Sprintf("%q (pid %d, user %s, host %s, since %s)",
		cmd, h.PID, orUnknown(h.User), orUnknown(h.Host), h.Time.UTC().Format(time.RFC3339))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// CurrentHolder describes this process, running command.
func CurrentHolder(command string) Holder {
	h := Holder{PID: os.Getpid(), Time: time.Now().UTC(), Command: command}
	h.Host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	}
	return h
}

// Alive reports whether the holder's process may still be running: always
// true for a holder on another host, which cannot be checked from here.
func (h Holder) Alive() bool {
	host, _ := os.Hostname()
	if h.Host != host {
		return true
	}
	if h.PID <= 0 {
		return false
	}
	// Signal 0 checks that the process exists; EPERM means it does, under
	// another user. A pid reused by another process reads as alive: the
	// safe side.
	err := syscall.Kill(h.PID, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// LockHeldError reports a lock held by another live process. Holder is nil
// when the lock file exists but does not read.
type LockHeldError struct {
	Path   string
	Holder *Holder
	Waited time.Duration // how long AcquireLock waited before giving up
}

// Error names the holder.
func (e *LockHeldError) Error() string {
	who := "another process (the lock file does not say which)"
	if e.Holder != nil {
		who = e.Holder.String()
	}
	msg := fmt.Sprintf("the lock %s is held by %s", e.Path, who)
	if e.Waited > 0 {
		msg += fmt.Sprintf("; waited %s", e.Waited.Round(time.Millisecond))
	}
	return msg + `; if that process is gone, run "sozuctl-plan force-unlock"`
}

// Lock is a held lock; Release gives it back.
type Lock struct {
	path   string
	holder Holder
	// TookOver is the holder of the stale lock this one replaced, if any.
	TookOver *Holder
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release removes the lock file, if it is still this process's.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	h, err := ReadLock(filepath.Dir(l.path))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("releasing the lock %s: %w", l.path, err)
	}
	if h.PID != l.holder.PID || !h.Time.Equal(l.holder.Time) || h.Host != l.holder.Host {
		return fmt.Errorf("releasing the lock %s: it is now held by %s", l.path, h)
	}
	if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("releasing the lock: %w", err)
	}
	return nil
}

// ReadLock returns the holder recorded in dir's lock file. A missing lock is
// an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadLock(dir string) (*Holder, error) {
	path := filepath.Join(dir, LockFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h, err := parseHolder(data)
	if err != nil {
		return nil, fmt.Errorf("the lock file %s does not read: %w", path, err)
	}
	return h, nil
}

// parseHolder decodes a lock file's content.
func parseHolder(data []byte) (*Holder, error) {
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// AcquireLock takes the lock of dir for holder. When another live process
// holds it, AcquireLock waits up to wait (0: not at all), looking again every
// 100ms, then returns a *LockHeldError naming the holder. A lock whose holder
// ran on this host and is no longer running is taken over; Lock.TookOver then
// names it. ctx ends the wait.
func AcquireLock(ctx context.Context, dir string, holder Holder, wait time.Duration) (*Lock, error) {
	path := filepath.Join(dir, LockFile)
	data, err := json.Marshal(holder)
	if err != nil {
		return nil, fmt.Errorf("encoding the lock: %w", err)
	}
	start := time.Now()
	var tookOver *Holder
	for {
		err := createExclusive(path, append(data, '\n'))
		if err == nil {
			return &Lock{path: path, holder: holder, TookOver: tookOver}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking the lock %s: %w", path, err)
		}
		old, rerr := os.ReadFile(path)
		if errors.Is(rerr, fs.ErrNotExist) {
			continue // released meanwhile
		}
		var h *Holder
		if rerr == nil {
			var v Holder
			if json.Unmarshal(old, &v) == nil {
				h = &v
			}
		}
		if h != nil && !h.Alive() {
			// Remove the stale lock only if it is still the one read, so
			// that a process that took it over meanwhile keeps it.
			if now, err := os.ReadFile(path); err == nil && string(now) == string(old) {
				if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("taking over the stale lock %s: %w", path, err)
				}
				tookOver = h
			}
			continue
		}
		waited := time.Since(start)
		if waited >= wait {
			e := &LockHeldError{Path: path, Holder: h}
			if wait > 0 {
				e.Waited = waited.Truncate(time.Millisecond)
			}
			return nil, e
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the lock %s: %w", path, ctx.Err())
		case <-time.After(min(lockPoll, wait-waited)):
		}
	}
}

// createExclusive creates path with data, mode 0600, failing when it exists.
// The content is written to a temporary file first and linked into place, so
// that a reader never sees a half-written lock.
func createExclusive(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sozuctl-plan-lock-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	// link fails with EEXIST when path exists: the exclusive step.
	return os.Link(tmp.Name(), path)
}

// ForceUnlock removes dir's lock file whatever its holder, and returns the
// holder it named (nil when the file did not read). A missing lock is an
// error satisfying errors.Is(err, fs.ErrNotExist).
func ForceUnlock(dir string) (*Holder, error) {
	path := filepath.Join(dir, LockFile)
	h, err := ReadLock(dir)
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no lock to remove at %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("removing the lock %s: %w", path, err)
	}
	return h, nil
}
