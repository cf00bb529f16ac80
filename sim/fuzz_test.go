package sim

import (
	"io"
	"net"
	"testing"
	"time"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// FuzzServe feeds arbitrary bytes to a connection of the simulator: it must
// neither panic nor hang, whatever the frames and requests say. The seed
// corpus under testdata/fuzz/FuzzServe holds valid frames of several verbs,
// pipelined frames, a short frame and an oversized declared length.
func FuzzServe(f *testing.F) {
	for _, r := range []*sozupb.Request{
		addCluster("a"), addHTTPListener("0.0.0.0:80", true), removeCluster("a"), hashesReq(),
	} {
		b, err := sozu.AppendFrame(nil, r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := New(Options{Workers: 2, Faults: Faults{FailRequest: 2, LoseWorker: 3}})
		if err != nil {
			t.Fatal(err)
		}
		s.noFiles = true
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			s.serveConn(server)
			close(done)
		}()
		drained := make(chan struct{})
		go func() {
			io.Copy(io.Discard, client)
			close(drained)
		}()
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the connection did not end after its input")
		}
		<-drained
	})
}
