package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestExitCodeFor(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"plain", errors.New("x"), exitFailure},
		{"usage", usageErrorf(nil, "bad"), exitFailure},
		{"quiet changes", exitWith(exitChanges), exitChanges},
		{"exit error", &exitError{Code: exitNotAtCheckpoint, Err: errors.New("x")}, exitNotAtCheckpoint},
		{"wrapped exit error", fmt.Errorf("apply: %w", exitWith(3)), 3},
		{"exit coder", fmt.Errorf("apply: %w", &codedError{code: 3}), 3},
		{"quiet zero", exitWith(0), exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCodeFor(tt.err); got != tt.want {
				t.Errorf("exitCodeFor(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestReportError(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		want     string
	}{
		{"nil", nil, 0, ""},
		{"plain", errors.New("reading main.hcl: boom"), 1, "Error: reading main.hcl: boom\n"},
		{"quiet", exitWith(2), 2, ""},
		{"usage", &usageError{cmd: "sozuctl-plan plan", err: errors.New("unknown flag: --x")}, 1,
			"Error: unknown flag: --x\nRun 'sozuctl-plan plan --help' for usage.\n"},
		{"bare EOF", io.EOF, 1, "Error: the input or connection ended unexpectedly (EOF)\n"},
		{"bare unexpected EOF", io.ErrUnexpectedEOF, 1, "Error: the input or connection ended unexpectedly (unexpected EOF)\n"},
		{"wrapped EOF keeps its context", fmt.Errorf("reading answer: %w", io.EOF), 1, "Error: reading answer: EOF\n"},
		{"empty message", errors.New(""), 1, "Error: unknown error\n"},
		{"paragraphs cut", errors.New("first\n\nDid you mean this?\n\tx"), 1, "Error: first\n"},
		{"exit error with message", &exitError{Code: 3, Err: errors.New("rollback failed")}, 3, "Error: rollback failed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			code := reportError(&b, tt.err)
			if code != tt.wantCode || b.String() != tt.want {
				t.Errorf("reportError = %d, %q; want %d, %q", code, b.String(), tt.wantCode, tt.want)
			}
		})
	}
}

func TestExitErrorMessage(t *testing.T) {
	if got := exitWith(2).Error(); got != "exit status 2" {
		t.Errorf("quiet exit error says %q", got)
	}
	inner := errors.New("inner")
	e := &exitError{Code: 1, Err: inner}
	if !errors.Is(e, inner) || e.Error() != "inner" {
		t.Errorf("exitError does not wrap its error: %v", e)
	}
}

func TestJoinChoices(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"human"}, "human"},
		{[]string{"human", "json"}, "human or json"},
		{[]string{"human", "json", "markdown"}, "human, json or markdown"},
	}
	for _, tt := range tests {
		if got := joinChoices(tt.in); got != tt.want {
			t.Errorf("joinChoices(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
