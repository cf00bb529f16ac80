package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestConfirm(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		input    string
		want     bool
		wantErr  error
	}{
		{"yes", true, "yes\n", true, nil},
		{"yes with spaces", true, "  yes \n", true, nil},
		{"yes without newline", true, "yes", true, nil},
		{"capitalised", true, "Yes\n", false, nil},
		{"y", true, "y\n", false, nil},
		{"no", true, "no\n", false, nil},
		{"empty input", true, "", false, nil},
		{"only the first line counts", true, "no\nyes\n", false, nil},
		{"no terminal", false, "yes\n", false, errNotInteractive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			g := &globalOptions{Stdin: strings.NewReader(tt.input), Stdout: &out, StdinIsTerminal: tt.terminal}
			got, err := g.confirm(t.Context(), "Apply?")
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("confirm = %t, %v; want %t, %v", got, err, tt.want, tt.wantErr)
			}
			if tt.terminal && !strings.HasPrefix(out.String(), "Apply?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ") {
				t.Errorf("prompt %q", out.String())
			}
			if !tt.terminal && out.Len() != 0 {
				t.Errorf("asked without a terminal: %q", out.String())
			}
		})
	}
}

func TestConfirmInterrupted(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	var out strings.Builder
	g := &globalOptions{Stdin: r, Stdout: &out, StdinIsTerminal: true}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ok, err := g.confirm(ctx, "Apply?")
	if ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("confirm = %t, %v; want false, context.Canceled", ok, err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("device gone") }

func TestConfirmReadError(t *testing.T) {
	var out strings.Builder
	g := &globalOptions{Stdin: failingReader{}, Stdout: &out, StdinIsTerminal: true}
	ok, err := g.confirm(t.Context(), "Apply?")
	if ok || err == nil || !strings.Contains(err.Error(), "reading the answer: device gone") {
		t.Fatalf("confirm = %t, %v", ok, err)
	}
}
