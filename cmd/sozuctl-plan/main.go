// Command sozuctl-plan manages a running Sōzu reverse proxy declaratively:
// it reads HCL into a desired configuration, plans the Sōzu requests that
// take a base (a state file, the live proxy or nothing) there, and applies
// them over Sōzu's unix command socket.
//
// This package owns the command line only: flags, wiring, exit codes and
// terminal detection, one file per command. It is imported by nothing.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() { os.Exit(Main()) }

// Main runs sozuctl-plan with the process's arguments, streams and
// environment, and returns the exit code. The first Ctrl-C or SIGTERM
// cancels the command's context, so that it can stop cleanly (apply stops
// after the request in flight); a second one ends the process at once.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer func() {
		signal.Stop(signals)
		cancel()
	}()
	go func() {
		select {
		case <-signals:
			// Restore the default action before the command can see the
			// cancellation, so that a second signal always ends the process.
			signal.Stop(signals)
			cancel()
		case <-ctx.Done():
		}
	}()
	return run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}

// run is Main with everything it touches passed in, so tests can drive it.
// A panic is reported as an internal error, never as a stack trace (the
// trace goes to the debug log).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) (code int) {
	g := newGlobalOptions(stdin, stdout, stderr, getenv)
	defer func() {
		if r := recover(); r != nil {
			g.Logger.Debug("panic", "value", fmt.Sprint(r), "stack", string(debug.Stack()))
			fmt.Fprintf(stderr, "Error: internal error: %v (please report this; --log-level debug shows where)\n", r)
			code = exitFailure
		}
	}()
	return execute(ctx, args, g)
}
