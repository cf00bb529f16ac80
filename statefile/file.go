package statefile

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/sozuctl-plan/sozuctl-plan/internal/atomicfile"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// FileMode is the mode of every file Write and WriteRequests create: state
// files hold private keys.
const FileMode os.FileMode = 0o600

// Result is a state file read into a State, with the records the State
// rejected.
type Result struct {
	State   *state.State
	Records int             // records in the file
	Skipped []SkippedRecord // records the State rejected, in file order
	// Large lists the records of MaxRecordSize bytes or more, in file
	// order: Sōzu writes them, but its load_state may fail on them, so a
	// file holding one may not load back into Sōzu.
	Large []LargeRecord
}

// LargeRecord is a record too large for Sōzu's load_state to be sure to
// read it.
type LargeRecord struct {
	Index  int    // position in the file, from 1
	ID     string // the record's id
	Object string // what the record acts on (Describe)
	Size   int    // bytes in the file, terminator included
}

// String describes the record and the limit it exceeds.
func (l LargeRecord) String() string {
	return fmt.Sprintf("record %d (%s, %s) is %d bytes; Sōzu's load_state reads only records under %d bytes",
		l.Index, l.ID, l.Object, l.Size, MaxRecordSize)
}

// SkippedRecord is a record that Sōzu's main process would reject, and that
// its load_state skips without a word: a duplicate listener or frontend, a
// health check for a missing cluster, a request that is no state change
// (save_state, subscribe_events, ...).
type SkippedRecord struct {
	Index  int    // position in the file, from 1
	ID     string // the record's id
	Object string // what the record acts on (Describe)
	Err    error  // the rejection, usually a *state.Error
}

// String describes the record and why it was skipped.
func (s SkippedRecord) String() string {
	return fmt.Sprintf("record %d (%s, %s) skipped: %v", s.Index, s.ID, s.Object, s.Err)
}

// Load reads the state file at path and replays its records, in order, onto
// an empty State, as Sōzu's load_state does. A missing file is an error; an
// empty one (such as /dev/null) is an empty State. A record that does not
// parse stops the reading with an error naming the file and the record (a
// *RecordError); a record the State rejects is skipped and listed in
// Result.Skipped.
func Load(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading state file: %w", err)
	}
	defer f.Close()
	res, err := LoadReader(f)
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	return res, nil
}

// LoadReader is Load for a state file's content.
func LoadReader(r io.Reader) (*Result, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading state records: %w", err)
	}
	// Records are applied while later ones are still being decoded.
	res := &Result{State: state.New()}
	err = decodeRecords(data, func(rec *sozupb.WorkerRequest, size int) {
		res.Records++
		if size >= MaxRecordSize {
			res.Large = append(res.Large, LargeRecord{
				Index: res.Records, ID: rec.GetId(), Object: Describe(rec.GetContent()), Size: size,
			})
		}
		// The record was decoded for this State alone: hand it over.
		if err := res.State.ApplyOwned(rec.GetContent()); err != nil {
			res.Skipped = append(res.Skipped, SkippedRecord{
				Index: res.Records, ID: rec.GetId(), Object: Describe(rec.GetContent()), Err: err,
			})
		}
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Read returns the State that the state file at path holds. Records that
// the State rejects are skipped silently, as Sōzu's load_state skips them;
// use Load to learn about them. See Load for the errors.
func Read(path string) (*state.State, error) {
	res, err := Load(path)
	if err != nil {
		return nil, err
	}
	return res.State, nil
}

// ReadState is Read for a state file's content.
func ReadState(r io.Reader) (*state.State, error) {
	res, err := LoadReader(r)
	if err != nil {
		return nil, err
	}
	return res.State, nil
}

// Records wraps requests into state-file records with Sōzu's ids: "SAVE-0",
// "SAVE-1", ...
func Records(reqs []*sozupb.Request) []*sozupb.WorkerRequest {
	recs := make([]*sozupb.WorkerRequest, len(reqs))
	for i, r := range reqs {
		id := "SAVE-" + strconv.Itoa(i)
		recs[i] = &sozupb.WorkerRequest{Id: &id, Content: r}
	}
	return recs
}

// Write saves s to path as Sōzu's save_state would: the requests of
// s.Requests, in that order, with ids "SAVE-0", "SAVE-1", ... The file is
// replaced atomically and has mode 0600. A record Sōzu could not load back
// (MaxRecordSize) is refused before anything is written.
func Write(path string, s *state.State) error {
	if s == nil {
		s = state.New()
	}
	return WriteRequests(path, s.Requests())
}

// WriteRequests saves reqs to path as a state file for Sōzu's load_state
// (a bulk load), with ids "SAVE-0", "SAVE-1", ...; see Write.
func WriteRequests(path string, reqs []*sozupb.Request) error {
	var encodeErr error
	err := atomicfile.Write(path, FileMode, func(w io.Writer) error {
		// Encode writes nothing unless every record is fine.
		encodeErr = Encode(w, Records(reqs))
		return encodeErr
	})
	if encodeErr != nil {
		return fmt.Errorf("state file %s: %w", path, encodeErr)
	}
	if err != nil {
		return fmt.Errorf("writing state file: %w", err)
	}
	return nil
}
