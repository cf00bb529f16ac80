package live

import (
	"context"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// serveSim runs the simulator, preloaded with st, on a fresh socket.
func serveSim(t testing.TB, st *state.State) string {
	t.Helper()
	s, err := sim.New(sim.Options{Preload: st, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	path := testsock.Path(t)
	ln, err := sim.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	return path
}

// TestAgainstSimulator reads the simulator's configuration both ways: each
// read must give back exactly the configuration it was started with.
func TestAgainstSimulator(t *testing.T) {
	tests := []struct {
		name string
		st   *state.State
	}{
		{"empty", state.New()},
		{"one HTTPS listener", fixture(t, "0.0.0.0:443")},
		{"two HTTPS listeners", fixture(t, "0.0.0.0:443", "[::]:8443")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, serveSim(t, tc.st))
			dir := privateDir(t)
			got, err := ReadSaveState(context.Background(), c, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.st) {
				t.Errorf("save_state read: got %d objects, want %d", got.Len(), tc.st.Len())
			}
			if left := entries(t, dir); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}

			got, warns, err := ReadQueries(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.st) {
				t.Errorf("queries read: got %d objects, want %d; warnings %q", got.Len(), tc.st.Len(), warns)
			}
			if len(warns) != 2 {
				t.Errorf("warnings %q, want only the two standing ones", warns)
			}
		})
	}
}

// TestAgainstSimulatorBuiltOverTheSocket builds the configuration with
// requests sent over the socket to an empty simulator, then reads it back
// both ways: each read must give exactly the configuration built.
func TestAgainstSimulatorBuiltOverTheSocket(t *testing.T) {
	want := fixture(t, "0.0.0.0:443", "[::]:8443")
	c := dial(t, serveSim(t, nil))
	for _, r := range want.Requests() {
		if _, err := c.Send(context.Background(), r, nil); err != nil {
			t.Fatalf("building: %v", err)
		}
	}
	got, err := ReadSaveState(context.Background(), c, privateDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Errorf("save_state read: got %d objects, want %d", got.Len(), want.Len())
	}
	got, warns, err := ReadQueries(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Errorf("queries read: got %d objects, want %d; warnings %q", got.Len(), want.Len(), warns)
	}
}
