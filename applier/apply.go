package applier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/live"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// The phases of a run, in events and in the journal.
const (
	PhaseApply    = "apply"
	PhaseRollback = "rollback"
)

// Options configure a run.
type Options struct {
	// Socket is Sōzu's command socket.
	Socket string
	// CheckpointDir holds the lock, the journal and the checkpoints; empty
	// means the socket's directory. It is made absolute (Sōzu resolves a
	// relative path from its own working directory), and created with mode
	// 0700 when missing.
	CheckpointDir string
	// Timeout bounds each read and write of a request (sozu.WithTimeout);
	// zero means sozu.DefaultTimeout.
	Timeout time.Duration
	// LockTimeout is how long to wait for a lock another process holds.
	LockTimeout time.Duration
	// Command describes the command line, for the lock and the journal.
	Command string
	// NoRollback leaves the partial state after a stop.
	NoRollback bool
	// Bulk sends a plan that only creates as one load_state.
	Bulk bool
	// AllowMassRemoval lets a plan the mass-change guard would refuse run.
	AllowMassRemoval bool
	// Rollback marks a plan that returns the proxy to a checkpoint: it is
	// exempt from the mass-change guard.
	Rollback bool
	// Confirm is called with the plan once the live state is read and the
	// plan checked, before anything is changed; an error stops the run
	// with nothing changed. Nil approves.
	Confirm func(ctx context.Context, p *planner.Plan) error
	// Events receives what happens, as it happens. Nil discards.
	Events func(Event)
}

// PlanFunc computes the plan to apply from the live state, read once the
// lock is held.
type PlanFunc func(ctx context.Context, live *state.State) (*planner.Plan, error)

// Apply executes p, a plan computed earlier (a plan file), after checking
// that the live state is still the plan's base (*StaleError otherwise).
func Apply(ctx context.Context, p *planner.Plan, opts Options) (*Result, error) {
	return Run(ctx, opts, func(_ context.Context, st *state.State) (*planner.Plan, error) {
		if fp := st.Fingerprint(); fp != p.Base.Fingerprint {
			return nil, &StaleError{PlanFingerprint: p.Base.Fingerprint, LiveFingerprint: fp}
		}
		return p, nil
	})
}

// Rollback plans and applies the return of the live proxy to the state of
// the checkpoint file at path (every kind, every cluster: a checkpoint is a
// whole state). The plan is exempt from the mass-change guard.
func Rollback(ctx context.Context, path string, opts Options) (*Result, error) {
	ck, err := statefile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint: %w", err)
	}
	opts.Rollback = true
	return Run(ctx, opts, func(_ context.Context, st *state.State) (*planner.Plan, error) {
		return planner.Compute(st, ck, planner.Options{
			Base: planner.Base{Source: planner.SourceLive, Socket: opts.Socket},
		})
	})
}

// Run takes the lock, reads the live state, asks plan for the plan and
// executes it (see the package documentation). The error is an
// *ApplyError when requests were sent and the run did not end as planned;
// any other error means nothing was changed.
func Run(ctx context.Context, opts Options, plan PlanFunc) (*Result, error) {
	r := &runner{opts: opts}
	if r.opts.Timeout <= 0 {
		r.opts.Timeout = sozu.DefaultTimeout
	}
	if r.opts.Socket == "" {
		return nil, errors.New("no Sōzu socket to apply to")
	}
	dir := r.opts.CheckpointDir
	if dir == "" {
		dir = filepath.Dir(r.opts.Socket)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("the checkpoint directory %s: %w", dir, err)
	}
	r.dir = abs
	// A checkpoint directory that does not exist yet is made private: it
	// will hold private keys. (Sōzu must be able to write into it.)
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return nil, fmt.Errorf("the checkpoint directory: %w", err)
	}
	defer r.closeClient()

	lock, err := AcquireLock(ctx, r.dir, CurrentHolder(r.opts.Command), r.opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if lock.TookOver != nil {
		r.emit(Event{Type: EventLockTakeover, Path: lock.Path(), Holder: lock.TookOver,
			Message: "took over the lock of " + lock.TookOver.String() + ", which is no longer running"})
	}
	res := &Result{}
	if last, err := LastRun(r.dir); err != nil {
		return nil, err
	} else if last != nil && !last.Finished() {
		res.Unfinished = last
		r.emit(unfinishedEvent(last))
	}
	return r.run(ctx, plan, res)
}

// runner is one run.
type runner struct {
	opts    Options
	dir     string
	client  *sozu.Client
	journal *Journal
}

func (r *runner) emit(e Event) {
	if r.opts.Events != nil {
		e.Time = time.Now().UTC()
		r.opts.Events(e)
	}
}

// conn returns a usable client, dialling again after a broken connection.
func (r *runner) conn(ctx context.Context) (*sozu.Client, error) {
	if r.client != nil {
		return r.client, nil
	}
	c, err := sozu.Dial(ctx, r.opts.Socket, sozu.WithTimeout(r.opts.Timeout))
	if err != nil {
		return nil, fmt.Errorf("connecting to Sōzu: %w", err)
	}
	r.client = c
	return c, nil
}

func (r *runner) closeClient() {
	if r.client != nil {
		r.client.Close()
		r.client = nil
	}
}

// dropIfBroken forgets the client after an error that leaves it unusable.
func (r *runner) dropIfBroken(err error) {
	var fe *sozu.FailureError
	if err != nil && !errors.As(err, &fe) {
		r.closeClient()
	}
}

// readLive reads the live state through save_state.
func (r *runner) readLive(ctx context.Context) (*state.State, error) {
	c, err := r.conn(ctx)
	if err != nil {
		return nil, err
	}
	st, err := live.ReadSaveState(ctx, c, r.dir)
	if err != nil {
		r.dropIfBroken(err)
		return nil, fmt.Errorf("reading the live state: %w", err)
	}
	return st, nil
}

// checkpointPath returns a new checkpoint's path: the UTC time to the
// millisecond, the process id and the suffix.
func (r *runner) checkpointPath(t time.Time, suffix string) string {
	name := t.UTC().Format("20060102T150405.000Z") + "-" + strconv.Itoa(os.Getpid()) + "-" + suffix
	return filepath.Join(r.dir, name)
}

// saveCheckpoint saves a checkpoint through save_state.
func (r *runner) saveCheckpoint(ctx context.Context, path string) (*state.State, error) {
	c, err := r.conn(ctx)
	if err != nil {
		return nil, err
	}
	st, err := live.SaveStateFile(ctx, c, path)
	if err != nil {
		r.dropIfBroken(err)
		return nil, fmt.Errorf("saving the checkpoint %s: %w", path, err)
	}
	r.emit(Event{Type: EventCheckpoint, Path: path})
	return st, nil
}

func (r *runner) run(ctx context.Context, makePlan PlanFunc, res *Result) (*Result, error) {
	base, err := r.readLive(ctx)
	if err != nil {
		return nil, err
	}
	p, err := makePlan(ctx, base)
	if err != nil {
		return nil, err
	}
	res.Plan = p
	if !p.HasChanges() {
		res.Outcome = NoChanges
		return res, nil
	}
	if p.MassRemoval.Exceeded && !r.opts.AllowMassRemoval && !r.opts.Rollback {
		return nil, &MassRemovalError{MassRemoval: p.MassRemoval}
	}
	if r.opts.Bulk {
		for _, c := range p.Changes {
			if c.Action != planner.Create {
				return nil, &BulkError{Address: c.Address, Action: c.Action}
			}
		}
	}
	if r.opts.Confirm != nil {
		if err := r.opts.Confirm(ctx, p); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("apply interrupted before any change: %w", err)
	}

	now := time.Now()
	res.Checkpoint = r.checkpointPath(now, "before.state")
	ck, err := r.saveCheckpoint(ctx, res.Checkpoint)
	if err != nil {
		return nil, err
	}
	if !ck.Equal(base) {
		return nil, &StaleError{PlanFingerprint: p.Base.Fingerprint, LiveFingerprint: ck.Fingerprint(),
			Reason: "the proxy changed while the plan was being approved; the checkpoint " + res.Checkpoint + " holds its state"}
	}

	run := filepath.Base(res.Checkpoint[:len(res.Checkpoint)-len("-before.state")])
	r.journal, err = OpenJournal(r.dir, run)
	if err != nil {
		return nil, err
	}
	defer r.journal.Close()
	if err := r.journal.Append(Record{Type: RecordStart, PID: os.Getpid(), Command: r.opts.Command,
		Phase: phaseOf(r.opts.Rollback), Socket: r.opts.Socket, BaseFingerprint: p.Base.Fingerprint,
		PlanFingerprint: p.DesiredFingerprint, Checkpoint: res.Checkpoint, Requests: len(p.Requests)}); err != nil {
		return nil, err
	}

	// The state the plan leads to is only needed to verify a run that
	// went through; it is built on the other core while the requests go
	// out (it only reads base and the requests).
	expected := expectedState(base, p.Requests)

	// Requests run to their answer even when ctx ends: an interrupt stops
	// the run after the request in flight, and the rollback must run.
	work := context.WithoutCancel(ctx)
	if r.opts.Bulk {
		res.Bulk = &BulkResult{}
		// An interrupt waits for the load_state in flight, as for any
		// request: abandoned, Sōzu would go on loading under the rollback.
		res.Stopped = r.sendBulk(work, p, res)
	} else {
		res.Requests, res.Stopped = r.send(ctx, work, PhaseApply, p)
	}
	for _, q := range res.Requests {
		if q.Status == StatusOK {
			res.Applied++
		}
	}
	if res.Stopped != nil {
		return r.recover(work, res, ck)
	}
	return r.verify(work, res, expected)
}

// expectedState starts building base with every request applied, in its
// own goroutine, and returns a function that waits for it. A request the
// base rejects is one Sōzu rejected too: the verification shows the
// difference.
func expectedState(base *state.State, reqs []*sozupb.Request) func() *state.State {
	ch := make(chan *state.State, 1)
	go func() {
		s := base.Clone()
		for _, req := range reqs {
			_ = s.Apply(req)
		}
		ch <- s
	}()
	var s *state.State
	return func() *state.State {
		if s == nil {
			s = <-ch
		}
		return s
	}
}

func phaseOf(rollback bool) string {
	if rollback {
		return PhaseRollback
	}
	return PhaseApply
}

// send sends the plan's requests one at a time. It stops at the first
// request not answered OK, or after the request in flight when ctx ends;
// work bounds each request.
func (r *runner) send(ctx, work context.Context, phase string, p *planner.Plan) ([]RequestResult, *Stop) {
	var done []RequestResult
	total := len(p.Requests)
	for i, req := range p.Requests {
		if err := ctx.Err(); err != nil {
			st := &Stop{Reason: "interrupted", Err: err}
			if len(done) > 0 {
				st.Request = done[len(done)-1]
			}
			return done, st
		}
		q := RequestResult{Index: i + 1, Verb: sozu.Verb(req), Address: requestAddress(p, i)}
		r.emit(Event{Type: EventRequest, Phase: phase, Index: q.Index, Total: total, Verb: q.Verb, Address: q.Address})
		if err := r.journal.Append(Record{Type: RecordRequest, Phase: phase, Index: q.Index, Verb: q.Verb, Address: q.Address}); err != nil {
			return done, &Stop{Reason: "error", Request: q, Err: err}
		}
		err := r.sendOne(work, req, &q)
		r.emit(Event{Type: EventAnswer, Phase: phase, Index: q.Index, Total: total, Verb: q.Verb, Address: q.Address,
			Status: q.Status, Message: q.Message, Processing: q.Processing})
		ans := Record{Type: RecordAnswer, Phase: phase, Index: q.Index, Verb: q.Verb, Address: q.Address,
			Status: q.Status, Message: q.Message}
		var jerr error
		if err == nil && i+1 < total && ctx.Err() == nil {
			// The next request's record syncs this answer with it.
			jerr = r.journal.AppendUnsynced(ans)
		} else {
			jerr = r.journal.Append(ans)
		}
		done = append(done, q)
		if err != nil {
			return done, &Stop{Reason: reasonOf(err), Request: q, Err: err}
		}
		if jerr != nil {
			return done, &Stop{Reason: "error", Request: q, Err: jerr}
		}
	}
	return done, nil
}

// sendOne sends one request and fills in q's answer.
func (r *runner) sendOne(ctx context.Context, req *sozupb.Request, q *RequestResult) error {
	c, err := r.conn(ctx)
	if err != nil {
		q.Status, q.Message = StatusError, err.Error()
		return err
	}
	resp, err := c.Send(ctx, req, func(*sozupb.Response) { q.Processing++ })
	if err == nil {
		q.Status, q.Message = StatusOK, resp.GetMessage()
		return nil
	}
	r.dropIfBroken(err)
	var fe *sozu.FailureError
	var te *sozu.TimeoutError
	var ce *sozu.ClosedError
	switch {
	case errors.As(err, &fe):
		q.Status, q.Message = StatusFailure, fe.Message
	case errors.As(err, &te):
		q.Status, q.Message = StatusTimeout, err.Error()
	case errors.As(err, &ce):
		q.Status, q.Message = StatusClosed, err.Error()
	default:
		q.Status, q.Message = StatusError, err.Error()
	}
	return err
}

func reasonOf(err error) string {
	var fe *sozu.FailureError
	var te *sozu.TimeoutError
	var ce *sozu.ClosedError
	var be *sozu.BrokenError
	switch {
	case errors.As(err, &fe):
		return "failure"
	case errors.As(err, &te):
		return "timeout"
	case errors.As(err, &ce), errors.As(err, &be):
		return "closed"
	}
	return "error"
}

// requestAddress is the plan address of the change request i carries out.
func requestAddress(p *planner.Plan, i int) string {
	if i < len(p.RequestChange) {
		if c := p.RequestChange[i]; c >= 0 && c < len(p.Changes) {
			return p.Changes[c].Address
		}
	}
	return ""
}

// recover handles a stopped run: it reads the live state again (Sōzu's main
// process keeps a change its workers failed), then rolls back to ck unless
// told not to, and reports where the proxy is.
func (r *runner) recover(ctx context.Context, res *Result, ck *state.State) (*Result, error) {
	st := res.Stopped
	r.emit(Event{Type: EventStopped, Index: st.Request.Index, Verb: st.Request.Verb, Address: st.Request.Address,
		Status: st.Reason, Message: errString(st.Err)})
	now, err := r.readLive(ctx)
	if err != nil {
		// Without the live state nothing can be planned back.
		res.Rollback = &RollbackResult{Err: err}
		return r.finish(res, NotAtCheckpoint, 3)
	}
	if now.Equal(ck) {
		res.AtCheckpoint = true
		return r.finish(res, RolledBack, 1)
	}
	if r.opts.NoRollback {
		res.Remaining = differences(now, ck, "the checkpoint")
		return r.finish(res, NotAtCheckpoint, 3)
	}
	rb := &RollbackResult{}
	res.Rollback = rb
	if now.Len() == 0 && ck.Len() > 0 {
		rb.LoadState = true
		r.emit(Event{Type: EventRollback, Path: res.Checkpoint, Message: "the proxy came back empty: loading the checkpoint with load_state"})
		rb.Err = r.loadState(ctx, res.Checkpoint, PhaseRollback, &rb.Requests)
	} else {
		plan, err := planner.Compute(now, ck, planner.Options{Base: planner.Base{Source: planner.SourceLive, Socket: r.opts.Socket}})
		if err != nil {
			rb.Err = err
		} else {
			rb.Plan = plan
			r.emit(Event{Type: EventRollback, Path: res.Checkpoint, Total: len(plan.Requests),
				Message: fmt.Sprintf("rolling back to the checkpoint with %d request(s)", len(plan.Requests))})
			var stop *Stop
			rb.Requests, stop = r.send(ctx, ctx, PhaseRollback, plan)
			if stop != nil {
				rb.Err = fmt.Errorf("rollback request %d (%s %s): %w", stop.Request.Index, stop.Request.Verb, stop.Request.Address, stop.Err)
			}
		}
	}
	final, err := r.readLive(ctx)
	if err != nil {
		if rb.Err == nil {
			rb.Err = err
		}
		return r.finish(res, NotAtCheckpoint, 3)
	}
	if final.Equal(ck) {
		res.AtCheckpoint = true
		return r.finish(res, RolledBack, 1)
	}
	res.Remaining = differences(final, ck, "the checkpoint")
	return r.finish(res, NotAtCheckpoint, 3)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// loadState sends one load_state of path, with no timeout of its own (Sōzu
// has none for it either): only ctx bounds it.
func (r *runner) loadState(ctx context.Context, path, phase string, out *[]RequestResult) error {
	req := &sozupb.Request{RequestType: &sozupb.Request_LoadState{LoadState: path}}
	q := RequestResult{Index: 1, Verb: "load_state", Address: path}
	r.emit(Event{Type: EventRequest, Phase: phase, Index: 1, Total: 1, Verb: q.Verb, Address: q.Address})
	if err := r.journal.Append(Record{Type: RecordRequest, Phase: phase, Index: 1, Verb: q.Verb, Address: q.Address}); err != nil {
		return err
	}
	c, err := r.conn(ctx)
	if err == nil {
		c.SetTimeout(0)
		err = r.sendOne(ctx, req, &q)
		if r.client != nil {
			r.client.SetTimeout(r.opts.Timeout)
		}
	} else {
		q.Status, q.Message = StatusError, err.Error()
	}
	r.emit(Event{Type: EventAnswer, Phase: phase, Index: 1, Total: 1, Verb: q.Verb, Address: q.Address,
		Status: q.Status, Message: q.Message, Processing: q.Processing})
	jerr := r.journal.Append(Record{Type: RecordAnswer, Phase: phase, Index: 1, Verb: q.Verb, Address: q.Address, Status: q.Status, Message: q.Message})
	*out = append(*out, q)
	if err != nil {
		return err
	}
	return jerr
}

// sendBulk writes the plan's requests to a state file in the checkpoint
// directory and loads it with one load_state.
func (r *runner) sendBulk(ctx context.Context, p *planner.Plan, res *Result) *Stop {
	path := r.checkpointPath(time.Now(), "bulk.state")
	res.Bulk.File = path
	if err := writeBulkFile(path, p.Requests); err != nil {
		return &Stop{Reason: "error", Request: RequestResult{Verb: "load_state", Address: path}, Err: fmt.Errorf("writing the bulk file: %w", err)}
	}
	defer os.Remove(path)
	err := r.loadState(ctx, path, PhaseApply, &res.Requests)
	q := res.Requests[len(res.Requests)-1]
	res.Bulk.Message = q.Message
	if err != nil {
		return &Stop{Reason: reasonOf(err), Request: q, Err: err}
	}
	return nil
}

// writeBulkFile writes reqs to a new file at path (mode 0600, refused when
// the path exists) in Sōzu's state-file format, with the ids save_state
// gives ("SAVE-0", ...). The two halves are encoded on both cores; a
// record of MaxRecordSize bytes or more is refused before anything is
// written. The file is not synced: it lives only until load_state has read
// it, and after a crash the journal shows the load_state as unknown
// whatever the file holds.
func writeBulkFile(path string, reqs []*sozupb.Request) error {
	recs := statefile.Records(reqs)
	half := len(recs) / 2
	var second bytes.Buffer
	secondErr := make(chan error, 1)
	go func() { secondErr <- statefile.Encode(&second, recs[half:]) }()
	var first bytes.Buffer
	err := statefile.Encode(&first, recs[:half])
	if err2 := <-secondErr; err == nil && err2 != nil {
		var re *statefile.RecordError
		if errors.As(err2, &re) {
			// Number the record within the whole file.
			re.Index += half
			re.Offset += int64(first.Len())
		}
		err = err2
	}
	if err != nil {
		return fmt.Errorf("the bulk file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, statefile.FileMode)
	if err != nil {
		return err
	}
	_, err = f.Write(first.Bytes())
	if err == nil {
		_, err = f.Write(second.Bytes())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// finish writes the journal's end record and builds the error.
func (r *runner) finish(res *Result, outcome Outcome, code int) (*Result, error) {
	res.Outcome = outcome
	end := Record{Type: RecordEnd, Outcome: string(outcome)}
	if err := r.journal.Append(end); err != nil {
		r.emit(Event{Type: EventWarning, Message: err.Error()})
	}
	if outcome == Applied {
		return res, nil
	}
	return res, &ApplyError{Result: res, Code: code}
}

// verify checks a run whose requests were all answered OK: an
// after-checkpoint, the live state against the base with the plan applied,
// and the cluster hashes of the workers against the main process's.
func (r *runner) verify(ctx context.Context, res *Result, expectedState func() *state.State) (*Result, error) {
	p := res.Plan
	if res.Bulk != nil {
		res.Applied = len(p.Requests)
	}
	v := &Verification{Unseen: UnseenByHashes}
	res.Verification = v
	// The workers' hashes are asked for on a connection of their own
	// while the after-checkpoint is saved and read: both only read, and
	// every request of the run has been answered.
	// Should a second connection be refused, they are asked for on the
	// run's own connection afterwards.
	hashes := make(chan func(), 1)
	go func() {
		c, err := sozu.Dial(ctx, r.opts.Socket, sozu.WithTimeout(r.opts.Timeout))
		if err != nil {
			hashes <- func() { v.Workers, v.HashMismatches, v.HashError = r.compareHashesOnRun(ctx) }
			return
		}
		defer c.Close()
		workers, mismatches, err := compareHashes(ctx, c)
		hashes <- func() { v.Workers, v.HashMismatches, v.HashError = workers, mismatches, err }
	}()
	res.AfterCheckpoint = r.checkpointPath(time.Now(), "after.state")
	after, err := r.saveCheckpoint(ctx, res.AfterCheckpoint)
	if err != nil {
		res.AfterCheckpoint = ""
		after, err = r.readLive(ctx)
	}
	if err != nil {
		v.Differences = []string{"the live state could not be read: " + err.Error()}
	} else {
		expected := expectedState()
		v.StateMatches = after.Equal(expected)
		if !v.StateMatches {
			// One plan from the live state to the expected one names both
			// the differences and, for a bulk load, what did not arrive.
			diff, err := planner.Compute(after, expected, planner.Options{})
			v.Differences = describeChanges(diff, err, "the plan")
			if res.Bulk != nil {
				res.Bulk.Missing = missingFrom(diff, err)
			}
		}
	}
	(<-hashes)()
	r.emit(Event{Type: EventVerify, Differences: append(append([]string(nil), v.Differences...), v.HashMismatches...),
		Status: okWord(v.OK()), Message: UnseenByHashes})
	if v.OK() {
		return r.finish(res, Applied, 0)
	}
	return r.finish(res, VerifyFailed, 3)
}

func okWord(ok bool) string {
	if ok {
		return StatusOK
	}
	return "MISMATCH"
}

// differences lists, one line per object, what differs between the live
// state from and to (named by what, such as "the plan"), in plan address
// order.
func differences(from, to *state.State, what string) []string {
	p, err := planner.Compute(from, to, planner.Options{})
	return describeChanges(p, err, what)
}

// describeChanges is differences for a plan already computed (err is the
// planner's).
func describeChanges(p *planner.Plan, err error, what string) []string {
	if err != nil {
		return []string{err.Error()}
	}
	out := make([]string, 0, len(p.Changes))
	for _, c := range p.Changes {
		line := fmt.Sprintf("%s: %s", c.Address, describeAction(c.Action, what))
		if c.Action == planner.Update && len(c.Attributes) > 0 {
			var paths []string
			for _, a := range c.Attributes {
				paths = append(paths, a.Path)
			}
			line += " (" + joinComma(paths) + ")"
		}
		out = append(out, line)
	}
	return out
}

// describeAction says how an object of the live state differs from what
// (the plan, the checkpoint), given the action that would fix it.
func describeAction(a planner.Action, what string) string {
	switch a {
	case planner.Create:
		return "in " + what + " but missing from the proxy"
	case planner.Delete:
		return "in the proxy but not in " + what
	case planner.Update:
		return "differs from " + what
	}
	return "differs from " + what + " (only a replacement would fix it)"
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

// missingFrom lists, from the plan from the live state to the expected one
// (err is the planner's), the addresses of expected objects that got lost:
// not in the live state at all, or with other values.
func missingFrom(p *planner.Plan, err error) []string {
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, c := range p.Changes {
		if c.Action != planner.Delete {
			out = append(out, c.Address)
		}
	}
	sort.Strings(out)
	return out
}

// compareHashesOnRun is compareHashes on the run's connection.
func (r *runner) compareHashesOnRun(ctx context.Context) (workers, mismatches []string, err error) {
	c, err := r.conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	workers, mismatches, err = compareHashes(ctx, c)
	r.dropIfBroken(err)
	return workers, mismatches, err
}

// compareHashes asks for the workers and every process's cluster hashes,
// and lists what differs from the main process's.
func compareHashes(ctx context.Context, c *sozu.Client) (workers, mismatches []string, err error) {
	resp, err := c.Send(ctx, &sozupb.Request{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("list_workers: %w", err)
	}
	for _, w := range resp.GetContent().GetWorkers().GetVec() {
		switch w.GetRunState() {
		case sozupb.RunState_STOPPED, sozupb.RunState_STOPPING:
			continue
		}
		workers = append(workers, strconv.FormatUint(uint64(w.GetId()), 10))
	}
	resp, err = c.Send(ctx, &sozupb.Request{RequestType: &sozupb.Request_QueryClustersHashes{QueryClustersHashes: &sozupb.QueryClustersHashes{}}}, nil)
	if err != nil {
		return workers, nil, fmt.Errorf("query_clusters_hashes: %w", err)
	}
	return workers, compareHashMaps(workers, resp.GetContent().GetWorkerResponses().GetMap()), nil
}

// compareHashMaps compares each worker's cluster hashes with the "main"
// entry's.
func compareHashMaps(workers []string, byProcess map[string]*sozupb.ResponseContent) []string {
	mainEntry, ok := byProcess["main"]
	if !ok {
		return []string{"the answer has no entry for the main process"}
	}
	want := mainEntry.GetClusterHashes().GetMap()
	var out []string
	for _, w := range workers {
		entry, ok := byProcess[w]
		if !ok {
			out = append(out, fmt.Sprintf("worker %s did not answer query_clusters_hashes (it may have missed requests: Sōzu reports a worker that timed out as OK)", w))
			continue
		}
		got := entry.GetClusterHashes().GetMap()
		var diffs []string
		for id, h := range want {
			g, ok := got[id]
			switch {
			case !ok:
				diffs = append(diffs, "cluster "+id+" missing")
			case g != h:
				diffs = append(diffs, "cluster "+id+" has another hash")
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				diffs = append(diffs, "cluster "+id+" not in the main process")
			}
		}
		if len(diffs) > 0 {
			sort.Strings(diffs)
			out = append(out, fmt.Sprintf("worker %s differs from the main process: %s", w, joinComma(diffs)))
		}
	}
	return out
}
