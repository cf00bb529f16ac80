package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func init() { registerCommand(newSimCommand) }

// simOptions are the flags of "sim" beyond the common ones (--socket and
// --state come from globalOptions).
type simOptions struct {
	global  *globalOptions
	workers int
	faults  sim.Faults
}

// newSimCommand builds "sim".
func newSimCommand(g *globalOptions) *cobra.Command {
	opts := &simOptions{global: g}
	cmd := &cobra.Command{
		Use:   "sim --socket PATH [--state FILE]",
		Short: "Run the built-in Sōzu command-socket simulator",
		Long: `Serve Sōzu's command protocol on a unix socket, with a simulated main process
and workers that follow Sōzu 2.1.0's rules, so that plan and apply can be tried
without a Sōzu installation. --state preloads a Sōzu state file. The fault flags
count the state-changing requests received on the socket, from 1. The simulator
runs until it is interrupted (Ctrl-C or SIGTERM) and then removes its socket.`,
		Example: `  sozuctl-plan sim --socket sozu.sock
  sozuctl-plan sim --socket sozu.sock --state sozu.state --workers 4
  sozuctl-plan sim --socket sozu.sock --fail-request 3 --delay 50ms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman); err != nil {
				return err
			}
			if g.Socket == "" {
				return usageErrorf(cmd, "sim needs --socket PATH (or SOZU_SOCKET) to know where to listen")
			}
			if opts.workers < 1 || opts.workers > sim.MaxWorkers {
				return usageErrorf(cmd, "--workers must be between 1 and %d, not %d", sim.MaxWorkers, opts.workers)
			}
			for name, v := range map[string]int{
				"--fail-request": opts.faults.FailRequest, "--reject-request": opts.faults.RejectRequest,
				"--drop-after": opts.faults.DropAfter, "--lose-worker": opts.faults.LoseWorker,
			} {
				if v < 0 {
					return usageErrorf(cmd, "%s must be a request number from 1 (0 disables it), not %d", name, v)
				}
			}
			if opts.faults.Delay < 0 {
				return usageErrorf(cmd, "--delay must not be negative")
			}
			return opts.run(cmd)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.workers, "workers", sim.DefaultWorkers, "number of simulated workers")
	f.IntVar(&opts.faults.FailRequest, "fail-request", 0, "the Nth state-changing request fails in a worker (the main state keeps it)")
	f.IntVar(&opts.faults.RejectRequest, "reject-request", 0, "the main process rejects the Nth state-changing request")
	f.IntVar(&opts.faults.DropAfter, "drop-after", 0, "apply the Nth state-changing request, then close the connection instead of answering")
	f.IntVar(&opts.faults.LoseWorker, "lose-worker", 0, "the last worker never applies the Nth state-changing request; the answer is OK")
	f.DurationVar(&opts.faults.Delay, "delay", 0, "wait this long before every answer")
	cmd.AddCommand(newSimWaitCommand(g))
	return cmd
}

// newSimWaitCommand builds "sim wait", which scripts use after starting the
// simulator in the background.
func newSimWaitCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "wait --socket PATH",
		Short: "Wait until a simulator (or Sōzu) answers on the socket",
		Long: `Wait until the command socket accepts a connection and answers ListWorkers,
for at most --timeout, then print how many workers answered. Use it after
starting "sozuctl-plan sim" in the background.`,
		Example: `  sozuctl-plan sim --socket sozu.sock &
  sozuctl-plan sim wait --socket sozu.sock --timeout 5s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman); err != nil {
				return err
			}
			if g.Socket == "" {
				return usageErrorf(cmd, "sim wait needs --socket PATH (or SOZU_SOCKET)")
			}
			n, err := waitForSocket(cmd.Context(), g.Socket, g.Timeout)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.Stdout, "%d workers answering on %s\n", n, g.Socket)
			return nil
		},
	}
}

// waitForSocket dials socketPath until it answers ListWorkers or timeout
// passes, and returns the number of workers listed.
func waitForSocket(ctx context.Context, socketPath string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req := &sozupb.Request{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}}
	for {
		c, err := sozu.Dial(ctx, socketPath, sozu.WithTimeout(timeout))
		if err == nil {
			resp, err := c.Send(ctx, req, nil)
			c.Close()
			if err == nil {
				return len(resp.GetContent().GetWorkers().GetVec()), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("nothing answered on %s within %s", socketPath, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (o *simOptions) run(cmd *cobra.Command) error {
	g := o.global
	var preload *state.State
	if g.State != "" {
		st, err := statefile.Read(g.State)
		if err != nil {
			return fmt.Errorf("reading --state: %w", err)
		}
		preload = st
	}
	s, err := sim.New(sim.Options{Workers: o.workers, Faults: o.faults, Preload: preload, Logger: g.Logger})
	if err != nil {
		return err
	}
	ln, err := sim.Listen(g.Socket)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "Sōzu simulator listening on %s (%d workers)\n", g.Socket, o.workers)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case <-cmd.Context().Done():
		s.Close()
		<-errc
		return nil
	case err := <-errc:
		s.Close()
		return err
	}
}
