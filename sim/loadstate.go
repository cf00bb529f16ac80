package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// msgConsumeFailed is Sōzu's answer to a state file it stops reading early:
// a record that does not decode, lacks its NUL terminator or does not fit
// its reader.
const msgConsumeFailed = "Error consuming load state message"

// loadState replays a state file as Sōzu does: record by record, each
// dispatched on the main state and, when accepted, sent to every worker;
// rejected records are skipped and not counted; records applied before a
// record that does not parse stay applied.
func (s *Simulator) loadState(path string) []*sozupb.Response {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []*sozupb.Response{failure("Cannot find file at path " + path)}
	}
	if err != nil {
		return []*sozupb.Response{failure(fmt.Sprintf("Cannot open file at path %s: %s", path, ioErrorText(err)))}
	}
	answers := []*sozupb.Response{processing(fmt.Sprintf("Parsing state file from %s...", path))}
	// Opening a directory succeeds, as in Sōzu; reading it is what fails,
	// after the first PROCESSING.
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = int(fi.Size())
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err = buf.ReadFrom(f)
	f.Close()
	if err != nil {
		return append(answers, failure("Error reading the saved state file: "+ioErrorText(err)))
	}
	return s.replayFile(path, buf.Bytes(), answers)
}

// replayFile replays the contents of a state file read from path, after
// the answers already given, and returns all the answers.
func (s *Simulator) replayFile(path string, data []byte, answers []*sozupb.Response) []*sozupb.Response {
	// The main process reads and dispatches the records here while each
	// worker applies the accepted ones in its own goroutine, in file order:
	// a worker's copy of the state and its proxies belong to it alone (s.mu
	// is held throughout), so the outcome is the one of a sequential replay.
	r := s.startReplay()
	var fail *sozupb.Response
	for len(data) > 0 {
		end := bytes.IndexByte(data, 0)
		if end < 0 || end+1 >= statefile.MaxRecordSize {
			// No terminator before the end of the file, or a record too big
			// for Sōzu's reader.
			fail = failure(msgConsumeFailed)
			break
		}
		record := data[:end] // without its NUL
		data = data[end+1:]
		wr, err := statefile.UnmarshalRecord(record)
		if err != nil {
			// Sōzu's record parser (nom's many0 over NUL-terminated JSON)
			// stops quietly at a record it cannot decode; the read loop then
			// finds the rest of the file unconsumed and gives up with the
			// same words as for a missing terminator (command/src/parser.rs,
			// bin/src/command/requests.rs load_state).
			fail = failure(msgConsumeFailed)
			break
		}
		req := wr.GetContent()
		if req == nil {
			req = &sozupb.Request{}
		}
		if req.GetRequestType() != nil {
			s.census(req)
		}
		if s.main.Apply(req) != nil {
			continue // rejected records are skipped and not counted
		}
		r.add(req)
	}
	okCount, errCount := r.wait()
	if fail != nil {
		return append(answers, fail)
	}
	answers = append(answers, processing("Applying state file..."))
	if errCount == 0 {
		return append(answers, ok(fmt.Sprintf("Successfully loaded state from path %s, %d ok messages, 0 errors", path, okCount), nil))
	}
	return append(answers, failure(fmt.Sprintf("loading state: %d ok messages, %d errors", okCount, errCount)))
}

// replayBatch is how many records the main process hands the workers at a
// time during load_state.
const replayBatch = 512

// replay feeds the records accepted by the main process to every worker's
// goroutine, in batches that the workers only read.
type replay struct {
	feeds   []chan []*sozupb.Request
	results chan [2]int // per worker: answers OK, answers in error
	batch   []*sozupb.Request
}

func (s *Simulator) startReplay() *replay {
	r := &replay{results: make(chan [2]int, len(s.workers))}
	for _, w := range s.workers {
		feed := make(chan []*sozupb.Request, 8)
		r.feeds = append(r.feeds, feed)
		go func() {
			var okN, errN int
			for batch := range feed {
				for _, req := range batch {
					if w.apply(req) != nil {
						errN++
					} else {
						okN++
					}
				}
			}
			r.results <- [2]int{okN, errN}
		}()
	}
	return r
}

func (r *replay) add(req *sozupb.Request) {
	r.batch = append(r.batch, req)
	if len(r.batch) == replayBatch {
		r.flush()
	}
}

func (r *replay) flush() {
	if len(r.batch) == 0 {
		return
	}
	for _, feed := range r.feeds {
		feed <- r.batch
	}
	r.batch = make([]*sozupb.Request, 0, replayBatch)
}

// wait hands over the last batch, waits for every worker and returns the
// number of worker answers OK and in error, as Sōzu counts them.
func (r *replay) wait() (okCount, errCount int) {
	r.flush()
	for _, feed := range r.feeds {
		close(feed)
	}
	for range r.feeds {
		res := <-r.results
		okCount += res[0]
		errCount += res[1]
	}
	return okCount, errCount
}

// ioErrorText renders a system error the way Rust's std::io::Error displays
// one, which is what Sōzu puts in its answers: "Permission denied (os error
// 13)". Errors without an errno keep Go's text.
func ioErrorText(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	text := errno.Error()
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	return fmt.Sprintf("%s (os error %d)", text, int(errno))
}
