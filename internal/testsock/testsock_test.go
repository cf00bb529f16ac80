package testsock

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// maxSocketPath is the smallest limit on a unix socket address among the
// systems the tests run on (104 bytes on the BSDs, 108 on Linux), less the
// terminating NUL.
const maxSocketPath = 103

func TestPathListens(t *testing.T) {
	var dir string
	t.Run("inner", func(t *testing.T) {
		p := Path(t)
		dir = filepath.Dir(p)
		if len(p) > maxSocketPath {
			t.Fatalf("socket path %q is %d bytes", p, len(p))
		}
		ln, err := net.Listen("unix", p)
		if err != nil {
			t.Fatalf("listen on %s: %v", p, err)
		}
		t.Cleanup(func() { ln.Close() })
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still there after the test: %v", dir, err)
	}
}

func TestDirDistinct(t *testing.T) {
	a, b := Dir(t), Dir(t)
	if a == b {
		t.Errorf("two calls gave the same directory %s", a)
	}
	for _, d := range []string{a, b} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Errorf("%s is not a directory: %v", d, err)
		}
	}
}
