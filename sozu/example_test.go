package sozu_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// standIn serves one connection on a new socket, answering each request
// with the given answers, and returns the socket's path.
func standIn(answers ...*sozupb.Response) (path string, cleanup func()) {
	dir, err := os.MkdirTemp("", "ex")
	if err != nil {
		panic(err)
	}
	path = filepath.Join(dir, "sozu.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		panic(err)
	}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			if _, err := sozu.ReadRequest(conn, 0); err != nil {
				return
			}
			for _, a := range answers {
				sozu.WriteFrame(conn, a)
			}
		}
	}()
	return path, func() { ln.Close(); os.RemoveAll(dir) }
}

func answer(s sozupb.ResponseStatus, msg string) *sozupb.Response {
	return &sozupb.Response{Status: s.Enum(), Message: proto.String(msg)}
}

func ExampleClient_Send() {
	path, cleanup := standIn(
		answer(sozupb.ResponseStatus_PROCESSING, "Processing worker request..."),
		answer(sozupb.ResponseStatus_OK, "Successfully applied request to all workers"),
	)
	defer cleanup()

	ctx := context.Background()
	c, err := sozu.Dial(ctx, path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	req := &sozupb.Request{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "api"}}
	resp, err := c.Send(ctx, req, func(p *sozupb.Response) {
		fmt.Println("processing:", p.GetMessage())
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.GetStatus(), resp.GetMessage())
	// Output:
	// processing: Processing worker request...
	// OK Successfully applied request to all workers
}

func ExampleFailureError() {
	path, cleanup := standIn(answer(sozupb.ResponseStatus_FAILURE,
		"could not dispatch request on the main process state: Did not find Cluster with address or id 'api'"))
	defer cleanup()

	ctx := context.Background()
	c, err := sozu.Dial(ctx, path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	_, err = c.Send(ctx, &sozupb.Request{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "api"}}, nil)
	var fe *sozu.FailureError
	if errors.As(err, &fe) {
		// No PROCESSING came first: the main process refused the request and
		// nothing changed.
		fmt.Println(fe.Verb, fe.Processing, fe.Message)
	}
	// Output:
	// remove_cluster 0 could not dispatch request on the main process state: Did not find Cluster with address or id 'api'
}

func ExampleVerb() {
	fmt.Println(sozu.Verb(&sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "info"}}))
	fmt.Println(sozu.Verb(&sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: "/var/lib/sozu/state"}}))
	// Output:
	// logging
	// save_state
}
