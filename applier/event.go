package applier

import (
	"fmt"
	"strings"
	"time"
)

// The types of events.
const (
	// EventLockTakeover: a lock whose holder is gone was taken over.
	EventLockTakeover = "lock_takeover"
	// EventUnfinishedRun: the journal shows a previous run cut short;
	// Message says what it applied and how to roll it back.
	EventUnfinishedRun = "unfinished_run"
	// EventCheckpoint: a checkpoint was saved at Path.
	EventCheckpoint = "checkpoint"
	// EventRequest: a request is being sent.
	EventRequest = "request"
	// EventAnswer: Sōzu's terminal answer to a request (Status).
	EventAnswer = "answer"
	// EventStopped: the run stopped early (Status is the reason).
	EventStopped = "stopped"
	// EventRollback: the rollback begins.
	EventRollback = "rollback"
	// EventVerify: the verification after success (Status OK or MISMATCH).
	EventVerify = "verify"
	// EventWarning: something worth saying that changes nothing.
	EventWarning = "warning"
)

// Event is one thing that happened during a run. Its JSON form is one line
// of apply --format json.
type Event struct {
	Type        string    `json:"type"`
	Time        time.Time `json:"time"`
	Phase       string    `json:"phase,omitempty"`
	Index       int       `json:"index,omitempty"`
	Total       int       `json:"total,omitempty"`
	Verb        string    `json:"verb,omitempty"`
	Address     string    `json:"address,omitempty"`
	Status      string    `json:"status,omitempty"`
	Message     string    `json:"message,omitempty"`
	Processing  int       `json:"processing,omitempty"`
	Path        string    `json:"path,omitempty"`
	Holder      *Holder   `json:"holder,omitempty"`
	Differences []string  `json:"differences,omitempty"`
	// Run is the unfinished run of EventUnfinishedRun.
	Run *JournalRun `json:"-"`
}

// unfinishedEvent reports a run the journal shows cut short.
func unfinishedEvent(run *JournalRun) Event {
	return Event{Type: EventUnfinishedRun, Path: run.Start.Checkpoint, Run: run, Message: DescribeUnfinished(run)}
}

// DescribeUnfinished says, in a few lines, what a run cut short applied and
// how to return to its checkpoint.
func DescribeUnfinished(run *JournalRun) string {
	var b strings.Builder
	s := run.Start
	fmt.Fprintf(&b, "the previous %s run (%s, pid %d, started %s) did not finish: ",
		orPhase(s.Phase), s.Run, s.PID, s.Time.UTC().Format(time.RFC3339))
	applied := run.Applied()
	fmt.Fprintf(&b, "%d of %d request(s) were applied", len(applied), s.Requests)
	for _, a := range applied {
		fmt.Fprintf(&b, "\n  applied: %d. %s %s", a.Index, a.Verb, a.Address)
	}
	if f := run.InFlight(); f != nil {
		fmt.Fprintf(&b, "\n  unknown (sent, no answer recorded): %d. %s %s", f.Index, f.Verb, f.Address)
	}
	for _, rec := range run.Records {
		if rec.Type == RecordAnswer && rec.Status != StatusOK {
			fmt.Fprintf(&b, "\n  not applied: %d. %s %s: %s %s", rec.Index, rec.Verb, rec.Address, rec.Status, rec.Message)
		}
	}
	if s.Checkpoint != "" {
		fmt.Fprintf(&b, "\nTo return the proxy to the state before that run, run: sozuctl-plan rollback %s", s.Checkpoint)
	}
	return b.String()
}

func orPhase(p string) string {
	if p == "" {
		return PhaseApply
	}
	return p
}
