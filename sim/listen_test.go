package sim

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// TestListenAndServe: the socket has mode 0600, serves until the context
// ends, and is removed afterwards.
func TestListenAndServe(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testsock.Dir(t), "l.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, path) }()

	var c *sozu.Client
	deadline := time.Now().Add(5 * time.Second)
	for c == nil {
		c, err = sozu.Dial(ctx, path)
		if err != nil {
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	defer c.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("socket mode %o, want 600", m)
	}
	if _, err := c.Send(ctx, addCluster("a"), nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe: %v", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket still there after shutdown: %v", err)
	}
}

func TestListenRefusesLiveSocketAndReplacesStaleOne(t *testing.T) {
	dir := testsock.Dir(t)
	live := filepath.Join(dir, "live.sock")
	ln, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := Listen(live); err == nil || !strings.Contains(err.Error(), "already served") {
		t.Errorf("Listen on a live socket: %v", err)
	}

	stale := filepath.Join(dir, "stale.sock")
	l2, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l2.(*net.UnixListener).SetUnlinkOnClose(false)
	l2.Close()
	l3, err := Listen(stale)
	if err != nil {
		t.Fatalf("Listen on a stale socket: %v", err)
	}
	l3.Close()

	plain := filepath.Join(dir, "file")
	os.WriteFile(plain, nil, 0o600)
	if _, err := Listen(plain); err == nil {
		t.Error("Listen replaced a regular file")
	}
}
