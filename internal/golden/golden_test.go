package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func (r *recorder) Fatal(args ...any) { r.failed = true }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.golden")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		got      string
		wantFail bool
	}{
		{"equal", path, "a\nb\n", false},
		{"differs", path, "a\nc\n", true},
		{"missing trailing newline", path, "a\nb", true},
		{"no golden file", filepath.Join(dir, "absent.golden"), "a\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			CheckString(r, tt.path, tt.got)
			if r.failed != tt.wantFail {
				t.Errorf("failed = %v, want %v (%s)", r.failed, tt.wantFail, r.msg)
			}
		})
	}
}

func TestCheckUpdate(t *testing.T) {
	old := *update
	*update = true
	defer func() { *update = old }()
	path := filepath.Join(t.TempDir(), "sub", "new.golden")
	r := &recorder{TB: t}
	Check(r, path, []byte("fresh\n"))
	if r.failed {
		t.Fatal("Check failed under -update")
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "fresh\n" {
		t.Fatalf("golden = %q, %v; want the written output", b, err)
	}
	if !Updating() {
		t.Error("Updating() = false under -update")
	}
}

func TestFirstDiff(t *testing.T) {
	tests := []struct {
		want, got string
		line      string // "" when no difference is expected
	}{
		{"a\nb\n", "a\nb\n", ""},
		{"a\nb\n", "a\nx\n", "line 2"},
		{"a\n", "a\nb\n", "line 2"},
		{"", "x", "line 1"},
	}
	for _, tt := range tests {
		d := FirstDiff([]byte(tt.want), []byte(tt.got))
		if tt.line == "" && d != "" {
			t.Errorf("FirstDiff(%q, %q) = %q, want none", tt.want, tt.got, d)
		}
		if tt.line != "" && !strings.Contains(d, tt.line) {
			t.Errorf("FirstDiff(%q, %q) = %q, want it to name %s", tt.want, tt.got, d, tt.line)
		}
	}
}
