// Package atomicfile writes files so that readers see the old content or the
// new, never a part: the data goes to a temporary file in the same
// directory, which is synced, given its mode, and renamed over the target.
// State files, plan files, checkpoints, imported HCL and formatted files are
// all written through it; several of them hold private keys, so the mode is
// set before a single byte is written.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write lets fill write the content of path through a temporary file in the
// same directory, created with mode, synced, renamed over path, and makes
// the rename durable by syncing the directory where the system allows it.
// On any failure the temporary file is removed and path is untouched.
// Errors name path.
func Write(path string, mode os.FileMode, fill func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = fill(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// The file is in place either way; a system that cannot sync a
	// directory only loses the durability of the rename.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// WriteBytes writes data to path as Write does.
func WriteBytes(path string, data []byte, mode os.FileMode) error {
	return Write(path, mode, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}
