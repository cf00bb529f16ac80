package sozu

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestDialErrorExplains(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular.sock")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()

	tests := []struct {
		name   string
		path   string
		want   string
		target error
	}{
		{name: "missing", path: filepath.Join(dir, "none.sock"), want: "there is no socket at that path", target: fs.ErrNotExist},
		{name: "regular file", path: regular, want: "it is a regular file, not a unix socket", target: syscall.ECONNREFUSED},
		{name: "directory", path: dir, want: "it is a directory, not a unix socket"},
		{name: "stale socket", path: stale, want: "nothing is listening on it", target: syscall.ECONNREFUSED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Dial(context.Background(), tt.path)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, tt.path) {
				t.Errorf("error %q: want the path and %q", msg, tt.want)
			}
			if strings.Count(msg, tt.path) != 1 {
				t.Errorf("error %q names the path more than once", msg)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("error %q is not %v", msg, tt.target)
			}
		})
	}
}
