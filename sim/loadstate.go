package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// loadState replays a state file as Sōzu does: record by record, each
// dispatched on the main state and, when accepted, sent to every worker;
// rejected records are skipped and not counted; records applied before a
// record that does not parse stay applied.
func (s *Simulator) loadState(path string) []*sozupb.Response {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []*sozupb.Response{failure("Cannot find file at path " + path)}
	}
	if err != nil {
		return []*sozupb.Response{failure(fmt.Sprintf("Cannot open file at path %s: %v", path, err))}
	}
	answers := []*sozupb.Response{processing(fmt.Sprintf("Parsing state file from %s...", path))}
	okCount, errCount := 0, 0
	for len(data) > 0 {
		end := bytes.IndexByte(data, 0)
		if end < 0 || end+1 >= statefile.MaxRecordSize {
			// No terminator before the end of the file, or a record too big
			// for Sōzu's reader.
			return append(answers, failure("Error consuming load state message"))
		}
		record := data[:end+1] // the NUL included
		data = data[end+1:]
		wr, err := statefile.UnmarshalRecord(record[:len(record)-1])
		if err != nil {
			return append(answers, failure(fmt.Sprintf("saved state parse error: %v", err)))
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
