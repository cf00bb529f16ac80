package applier

import (
	"bytes"
	"testing"
)

// FuzzLastRun reads arbitrary journals: the reader never fails on content (only
// on I/O), never panics, and what it reports is consistent.
func FuzzLastRun(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte(`{"run":"a","type":"start","requests":2}` + "\n" +
		`{"run":"a","type":"request","index":1,"verb":"add_cluster","address":"cluster.api"}` + "\n" +
		`{"run":"a","type":"answer","index":1,"status":"OK"}` + "\n"))
	f.Add([]byte("{\"run\":\"a\",\"type\":\"end\"}\n{\"run\":\"b\",\"type\":\"start\"}\n{\"run\":\"b\",\"ty"))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := readLastRun(bytes.NewReader(data))
		if err != nil {
			// Only a line longer than the reader's bound is an error.
			return
		}
		if run == nil {
			return
		}
		if run.Start.Type != RecordStart {
			t.Fatalf("a run starts with %q", run.Start.Type)
		}
		for _, r := range run.Records {
			if r.Run != run.Start.Run || r.Type == RecordStart || r.Type == RecordEnd {
				t.Fatalf("record %+v in run %q", r, run.Start.Run)
			}
		}
		_ = DescribeUnfinished(run)
		if f := run.InFlight(); f != nil && f.Type != RecordRequest {
			t.Fatalf("in flight: %+v", f)
		}
	})
}

// FuzzReadLock reads arbitrary lock files without panicking.
func FuzzReadLock(f *testing.F) {
	f.Add([]byte(`{"pid":4242,"host":"build-7","user":"ci","time":"2026-01-02T03:04:05Z","command":"sozuctl-plan apply"}`))
	f.Add([]byte("not json"))
	f.Add([]byte(`{"pid":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := parseHolder(data)
		if err == nil {
			_ = h.String()
		}
	})
}
