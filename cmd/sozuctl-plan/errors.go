package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes of sozuctl-plan, as docs/cli.md documents them. Main returns
// one of them; nothing else in the program chooses a process exit status.
const (
	// exitOK: success; with --detailed-exitcode, a plan without changes.
	exitOK = 0
	// exitFailure: an error; for apply, it failed and the proxy is at its
	// checkpoint again, or nothing had been changed.
	exitFailure = 1
	// exitChanges: with --detailed-exitcode, the plan has changes.
	exitChanges = 2
	// exitNotAtCheckpoint: apply failed and the proxy is not at its
	// checkpoint (rollback failed or --no-rollback), or every request
	// succeeded but verification found the proxy different from the plan.
	exitNotAtCheckpoint = 3
)

// exitError asks Main to exit with Code. Err, when not nil, is printed as the
// error sentence; a nil Err exits quietly (the command has already said what
// there was to say).
type exitError struct {
	Code int
	Err  error
}

// Error returns Err's message, or a note of the exit code when Err is nil.
func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *exitError) Unwrap() error { return e.Err }

// exitWith returns an error that makes Main exit with code and print nothing.
func exitWith(code int) error { return &exitError{Code: code} }

// exitCoder is implemented by errors, from any package, that know the exit
// code they stand for.
type exitCoder interface {
	ExitCode() int
}

// usageError is a mistake in the command line: an unknown command or flag, a
// bad flag value, the wrong number of arguments. It exits 1 and is followed by
// a hint to the command's --help.
type usageError struct {
	cmd string // the command path, such as "sozuctl-plan plan"
	err error
}

// Error returns the message of the mistake.
func (e *usageError) Error() string { return e.err.Error() }

// Unwrap returns the underlying error.
func (e *usageError) Unwrap() error { return e.err }

// usageErrorf returns a usageError for cmd with a formatted message.
func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	path := "sozuctl-plan"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	return &usageError{cmd: path, err: fmt.Errorf(format, args...)}
}

// exitCodeFor maps an error returned by a command to the process exit code.
// It is the only place where that mapping is made.
func exitCodeFor(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return exitFailure
}

// reportError prints err on w as "Error: <message>" (plus a --help hint for
// usage errors) and returns the exit code it stands for.
func reportError(w io.Writer, err error) int {
	code := exitCodeFor(err)
	if err == nil {
		return code
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.Err == nil {
		return code
	}
	fmt.Fprintf(w, "Error: %s\n", errorMessage(err))
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", ue.cmd)
	}
	return code
}

// errorMessage turns err into the sentence shown to the user. A bare end of
// input (io.EOF and friends carry no context) is spelled out, and an empty
// message is never printed as nothing.
func errorMessage(err error) string {
	msg := strings.TrimSpace(err.Error())
	switch msg {
	case "":
		return "unknown error"
	case io.EOF.Error(), io.ErrUnexpectedEOF.Error():
		return "the input or connection ended unexpectedly (" + msg + ")"
	}
	// Keep it to one paragraph: cobra and pflag sometimes add lines.
	if i := strings.Index(msg, "\n\n"); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	return msg
}
