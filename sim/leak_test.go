package sim

import (
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
)

// TestCloseLeavesNoGoroutine: after Close, nothing the simulator started
// is left running, whatever its clients were doing: idle, in the middle of
// a frame, or waiting for an answer that was delayed.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := New(Options{Faults: Faults{Delay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testsock.Dir(t), "g.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()

	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()                                                // idle
	dial().Write([]byte{0x20, 0, 0, 0, 0, 0, 0, 0, 0x32}) // half a frame
	waiting := dial()                                     // an answer on its way
	waiting.Write(rawFrame(t, addCluster("a")))
	time.Sleep(20 * time.Millisecond)

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
