package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return append(answers, failure("Error reading the saved state file: "+ioErrorText(err)))
	}
	okCount, errCount := 0, 0
	for len(data) > 0 {
		end := bytes.IndexByte(data, 0)
		if end < 0 || end+1 >= statefile.MaxRecordSize {
			// No terminator before the end of the file, or a record too big
			// for Sōzu's reader.
			return append(answers, failure(msgConsumeFailed))
		}
		record := data[:end+1] // the NUL included
		data = data[end+1:]
		wr, err := statefile.UnmarshalRecord(record[:len(record)-1])
		if err != nil {
			// Sōzu's record parser (nom's many0 over NUL-terminated JSON)
			// stops quietly at a record it cannot decode; the read loop then
			// finds the rest of the file unconsumed and gives up with the
			// same words as for a missing terminator (command/src/parser.rs,
			// bin/src/command/requests.rs load_state).
			return append(answers, failure(msgConsumeFailed))
		}
		{
			req := wr.GetContent()
			if req == nil {
				req = &sozupb.Request{}
			}
			if req.GetRequestType() != nil {
				s.census(req)
			}
			if err := s.main.Apply(req); err != nil {
				continue
			}
			for _, w := range s.workers {
				if w.apply(req) != nil {
					errCount++
				} else {
					okCount++
				}
			}
		}
	}
	answers = append(answers, processing("Applying state file..."))
	if errCount == 0 {
		return append(answers, ok(fmt.Sprintf("Successfully loaded state from path %s, %d ok messages, 0 errors", path, okCount), nil))
	}
	return append(answers, failure(fmt.Sprintf("loading state: %d ok messages, %d errors", okCount, errCount)))
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
