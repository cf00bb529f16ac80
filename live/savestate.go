package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// FilePrefix starts the name of every file ReadSaveState asks Sōzu to write.
const FilePrefix = "sozuctl-plan-live-"

// savedRE reads the record count out of Sōzu's answer to save_state
// ("Saved 12 config messages to /path", bin/src/command/requests.rs:645).
var savedRE = regexp.MustCompile(`^Saved (\d+) config messages to `)

// ReadSaveState asks Sōzu to save its state into a new file in dir, reads
// the file with package statefile, and removes it. dir must be an absolute
// path (Sōzu resolves a relative one from its own working directory) that
// both Sōzu and this process can reach; it should not be readable by other
// users, since the file holds private keys.
//
// The file is first created here with mode 0600, so that Sōzu (which
// truncates an existing file rather than replacing it) writes into a private
// file. Should Sōzu be refused permission to write it, because it runs as
// another user, the file is removed and Sōzu creates it itself; it is then
// narrowed to 0600 as soon as Sōzu has answered, or removed if that fails.
//
// The record count in Sōzu's answer is checked against the file, so a Sōzu
// that writes into another filesystem view (a container) is reported as an
// error instead of read as an empty configuration.
func ReadSaveState(ctx context.Context, c *sozu.Client, dir string) (*state.State, error) {
	st, _, err := readSaveState(ctx, c, dir, false)
	return st, err
}

// ReadSaveStateKeep is ReadSaveState that leaves the file in place (mode
// 0600) and returns its path as well.
func ReadSaveStateKeep(ctx context.Context, c *sozu.Client, dir string) (*state.State, string, error) {
	return readSaveState(ctx, c, dir, true)
}

// SaveStateError reports a failed live read through save_state; Path is
// the file Sōzu was asked to write (already removed unless kept).
type SaveStateError struct {
	Path string
	Err  error
}

// Error implements error.
func (e *SaveStateError) Error() string {
	return fmt.Sprintf("live read through save_state to %s: %v", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *SaveStateError) Unwrap() error { return e.Err }

func readSaveState(ctx context.Context, c *sozu.Client, dir string, keep bool) (*state.State, string, error) {
	if !filepath.IsAbs(dir) {
		return nil, "", fmt.Errorf("live read through save_state: directory %q is not absolute (Sōzu would resolve it from its own working directory)", dir)
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, "", fmt.Errorf("live read through save_state: random file name: %w", err)
	}
	path := filepath.Join(filepath.Clean(dir), FilePrefix+hex.EncodeToString(rnd[:])+".state")
	st, err := saveStateFile(ctx, c, path, keep)
	if err != nil {
		return nil, path, err
	}
	if !keep {
		if err := os.Remove(path); err != nil {
			return nil, path, &SaveStateError{Path: path, Err: fmt.Errorf("removing the file (it holds private keys): %w", err)}
		}
	}
	return st, path, nil
}

// SaveStateFile asks Sōzu to save its state into the file at path, which
// must be absolute and must not exist yet, leaves the file there with mode
// 0600 and returns the state it holds. It is what ReadSaveState does for
// a name of its own, for callers that choose the name (checkpoints). The
// file is created with mode 0600 before Sōzu writes it, or narrowed to 0600
// at once when Sōzu had to create it itself (see ReadSaveState). On error
// the file is removed: a half-written or unreadable file is no checkpoint.
func SaveStateFile(ctx context.Context, c *sozu.Client, path string) (*state.State, error) {
	return saveStateFile(ctx, c, path, true)
}

// saveStateFile is SaveStateFile; with strict unset, a file Sōzu created
// that cannot be narrowed is still read (the caller removes it at once).
func saveStateFile(ctx context.Context, c *sozu.Client, path string, strict bool) (*state.State, error) {
	if !filepath.IsAbs(path) {
		return nil, &SaveStateError{Path: path, Err: errors.New("the path is not absolute (Sōzu would resolve it from its own working directory)")}
	}
	fail := func(err error) (*state.State, error) {
		_ = os.Remove(path)
		return nil, &SaveStateError{Path: path, Err: err}
	}

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, &SaveStateError{Path: path, Err: fmt.Errorf("creating the file: %w", err)}
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}

	req := &sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: path}}
	resp, err := c.Send(ctx, req, nil)
	var fe *sozu.FailureError
	if errors.As(err, &fe) && strings.Contains(fe.Message, "Permission denied") {
		// Sōzu runs as a user that cannot open our private file: let it
		// create the file itself, then narrow it.
		if rerr := os.Remove(path); rerr != nil {
			return fail(fmt.Errorf("%w; and removing the file: %v", err, rerr))
		}
		resp, err = c.Send(ctx, req, nil)
		if err == nil {
			if cerr := os.Chmod(path, 0o600); cerr != nil && strict {
				return fail(fmt.Errorf("narrowing the file Sōzu wrote to mode 0600: %w", cerr))
			}
		}
	}
	if err != nil {
		return fail(err)
	}

	want := -1
	if m := savedRE.FindStringSubmatch(resp.GetMessage()); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			want = n
		}
	}

	res, err := statefile.Load(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fail(fmt.Errorf("Sōzu answered %q but the file is not there (does Sōzu see another filesystem, such as a container's? use --live-read queries): %w", resp.GetMessage(), err))
		}
		return fail(err)
	}
	if want >= 0 && res.Records != want {
		return fail(fmt.Errorf("Sōzu reports %d records but the file here holds %d (does Sōzu write into another filesystem, such as a container's? use --live-read queries)", want, res.Records))
	}
	if len(res.Skipped) > 0 {
		// Sōzu replays its own save without a rejection; a rejection here
		// means the state model disagrees with Sōzu, and the read is wrong.
		return fail(fmt.Errorf("%d of the saved records do not replay, the first: %s", len(res.Skipped), res.Skipped[0]))
	}
	st := res.State
	return st, nil
}
