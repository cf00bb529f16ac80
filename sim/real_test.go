package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// TestAgainstRealSozu sends the same requests to the simulator and to the
// Sōzu whose command socket SOZU_TEST_SOCKET names, and compares the answer
// sequences: the number of PROCESSING answers, the terminal status and the
// start of its message. It adds and removes one cluster with a unique id on
// that Sōzu, and leaves everything else alone.
func TestAgainstRealSozu(t *testing.T) {
	path := os.Getenv("SOZU_TEST_SOCKET")
	if path == "" {
		t.Skip("SOZU_TEST_SOCKET is not set")
	}
	real, err := sozu.Dial(context.Background(), path, sozu.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	h := start(t, Options{})

	id := fmt.Sprintf("sozuctl-plan-sim-test-%d", time.Now().UnixNano())
	steps := []*sozupb.Request{
		{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}},
		{RequestType: &sozupb.Request_Status{Status: &sozupb.Status{}}},
		hashesReq(),
		addCluster(id),
		addCluster(id),
		removeCluster(id),
		removeCluster(id),
	}
	type outcome struct {
		proc   int
		status sozupb.ResponseStatus
		msg    string
	}
	run := func(c *sozu.Client, req *sozupb.Request) outcome {
		n := 0
		resp, err := c.Send(context.Background(), req, func(*sozupb.Response) { n++ })
		var fe *sozu.FailureError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("%s: %v", sozu.Verb(req), err)
		}
		msg, _, _ := strings.Cut(resp.GetMessage(), ":")
		return outcome{n, resp.GetStatus(), msg}
	}
	for _, req := range steps {
		want, got := run(real, req), run(h.c, req)
		if want != got {
			t.Errorf("%s: Sōzu answered %+v, the simulator %+v", sozu.Verb(req), want, got)
		}
	}
}
