package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errNotInteractive is returned by confirm when stdin is not a terminal, so
// nobody can answer. Commands turn it into their own sentence (apply: "use
// --auto-approve").
var errNotInteractive = errors.New("no terminal to ask for approval")

// confirm prints question on Stdout, then asks for "yes" on Stdin, as
// Terraform does: only the exact word "yes" (surrounding spaces aside)
// approves. It refuses with errNotInteractive when Stdin is not a terminal,
// and returns ctx's error when the run is interrupted while waiting.
func (g *globalOptions) confirm(ctx context.Context, question string) (bool, error) {
	if !g.StdinIsTerminal {
		return false, errNotInteractive
	}
	if _, err := fmt.Fprintf(g.Stdout, "%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question); err != nil {
		return false, fmt.Errorf("asking for approval: %w", err)
	}
	type answer struct {
		line string
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(g.Stdin).ReadString('\n')
		answers <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(g.Stdout)
		return false, fmt.Errorf("waiting for approval: %w", ctx.Err())
	case a := <-answers:
		fmt.Fprintln(g.Stdout)
		if a.err != nil && !errors.Is(a.err, io.EOF) {
			return false, fmt.Errorf("reading the answer: %w", a.err)
		}
		return strings.TrimSpace(a.line) == "yes", nil
	}
}
