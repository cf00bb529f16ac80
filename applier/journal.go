package applier

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// JournalFile is the name of the journal in the checkpoint directory.
const JournalFile = "sozuctl-plan.journal"

// maxJournalLine bounds one journal line when reading (answers carry Sōzu's
// messages, which are short).
const maxJournalLine = 1 << 20

// The kinds of journal records.
const (
	RecordStart   = "start"
	RecordRequest = "request"
	RecordAnswer  = "answer"
	RecordEnd     = "end"
)

// Record is one line of the journal. A run is a "start" record, then a
// "request" and an "answer" record per request sent, then an "end" record;
// a run without its "end" was cut short. Records never hold key material:
// a request is recorded by its verb and the address of its change.
type Record struct {
	Time time.Time `json:"time"`
	Run  string    `json:"run"`
	Type string    `json:"type"`

	// start
	PID             int    `json:"pid,omitempty"`
	Command         string `json:"command,omitempty"`
	Phase           string `json:"phase,omitempty"` // "apply" or "rollback"
	Socket          string `json:"socket,omitempty"`
	BaseFingerprint string `json:"base_fingerprint,omitempty"`
	PlanFingerprint string `json:"plan_fingerprint,omitempty"`
	Checkpoint      string `json:"checkpoint,omitempty"`
	Requests        int    `json:"requests,omitempty"`

	// request and answer
	Index   int    `json:"index,omitempty"` // from 1
	Verb    string `json:"verb,omitempty"`
	Address string `json:"address,omitempty"`
	Status  string `json:"status,omitempty"` // OK, FAILURE, TIMEOUT, CLOSED, ERROR
	Message string `json:"message,omitempty"`

	// end
	Outcome string `json:"outcome,omitempty"`
}

// Journal appends records to the journal file, syncing each line to disk
// before Append returns.
type Journal struct {
	f   *os.File
	run string
}

// OpenJournal opens (creating it with mode 0600) the journal of dir for a new
// run named run.
// A last line cut short by a crash is ended first, so that the new run's
// records start on a line of their own; a journal created now has its
// directory entry synced, so that it outlives a crash too.
func OpenJournal(dir, run string) (*Journal, error) {
	path := filepath.Join(dir, JournalFile)
	_, statErr := os.Lstat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the journal: %w", err)
	}
	fail := func(err error) (*Journal, error) {
		f.Close()
		return nil, fmt.Errorf("opening the journal %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if n := fi.Size(); n > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, n-1); err != nil {
			return fail(err)
		}
		if last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				return fail(err)
			}
		}
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			return fail(err)
		}
	}
	return &Journal{f: f, run: run}, nil
}

// syncDir syncs a directory, making the entries created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing the directory %s: %w", dir, err)
	}
	return nil
}

// Append writes r as one line, stamped with the run and the time, and syncs
// it (with every line written before it).
func (j *Journal) Append(r Record) error {
	return j.append(r, true)
}

// AppendUnsynced writes r like Append but leaves it to the next Append to
// sync: for an answer immediately followed by the next request's record,
// which syncs both before that request is sent. Should the process die in
// between, the journal shows the answered request as sent without an
// answer: unknown, never wrongly applied.
func (j *Journal) AppendUnsynced(r Record) error {
	return j.append(r, false)
}

func (j *Journal) append(r Record, sync bool) error {
	if j == nil {
		return nil
	}
	r.Run = j.run
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing the journal %s: %w", j.f.Name(), err)
	}
	if !sync {
		return nil
	}
	if err := syncData(j.f); err != nil {
		return fmt.Errorf("syncing the journal %s: %w", j.f.Name(), err)
	}
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	return j.f.Close()
}

// JournalRun is one run read back from the journal.
type JournalRun struct {
	Start   Record
	Records []Record // the request and answer records, in order
	End     *Record  // nil when the run was cut short
}

// Finished reports whether the run wrote its end record.
func (r *JournalRun) Finished() bool { return r.End != nil }

// Applied returns the requests of the run that Sōzu answered OK, in order.
func (r *JournalRun) Applied() []Record {
	var out []Record
	for _, rec := range r.Records {
		if rec.Type == RecordAnswer && rec.Status == "OK" {
			out = append(out, rec)
		}
	}
	return out
}

// InFlight returns the request sent without an answer in the journal: the
// run stopped while Sōzu had it, so it may or may not have been applied.
func (r *JournalRun) InFlight() *Record {
	answered := map[int]bool{}
	for _, rec := range r.Records {
		if rec.Type == RecordAnswer {
			answered[rec.Index] = true
		}
	}
	for i := len(r.Records) - 1; i >= 0; i-- {
		rec := r.Records[i]
		if rec.Type == RecordRequest && !answered[rec.Index] {
			return &rec
		}
	}
	return nil
}

// LastRun reads dir's journal and returns its last run, or nil when the
// journal is missing or empty. Lines that do not read (a line cut short by a
// crash) are skipped.
func LastRun(dir string) (*JournalRun, error) {
	path := filepath.Join(dir, JournalFile)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	defer f.Close()
	run, err := readLastRun(f)
	if err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w", path, err)
	}
	return run, nil
}

// readLastRun returns the last run of a journal's content.
func readLastRun(r io.Reader) (*JournalRun, error) {
	var last *JournalRun
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxJournalLine)
	for sc.Scan() {
		var rec Record
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Run == "" {
			continue
		}
		switch {
		case rec.Type == RecordStart:
			last = &JournalRun{Start: rec}
		case last == nil || rec.Run != last.Start.Run:
			continue
		case rec.Type == RecordEnd:
			r := rec
			last.End = &r
		default:
			last.Records = append(last.Records, rec)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return last, nil
}
