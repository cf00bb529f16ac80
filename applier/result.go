package applier

import (
	"fmt"
	"strings"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
)

// Outcome is how a run ended.
type Outcome string

// The outcomes of a run.
const (
	// NoChanges: the plan had nothing to do; no checkpoint was taken.
	NoChanges Outcome = "no_changes"
	// Applied: every request was answered OK and verification found the
	// proxy as planned.
	Applied Outcome = "applied"
	// RolledBack: the run stopped early and the proxy is at its checkpoint
	// again (or nothing had changed).
	RolledBack Outcome = "rolled_back"
	// NotAtCheckpoint: the run stopped early and the proxy is not at its
	// checkpoint (the rollback failed, or was not asked for).
	NotAtCheckpoint Outcome = "not_at_checkpoint"
	// VerifyFailed: every request was answered OK, but the proxy is not as
	// planned (its state, or a worker's cluster hashes).
	VerifyFailed Outcome = "verify_failed"
)

// Status values of a RequestResult, as the journal records them.
const (
	StatusOK      = "OK"
	StatusFailure = "FAILURE"
	StatusTimeout = "TIMEOUT"
	StatusClosed  = "CLOSED"
	StatusError   = "ERROR"
)

// RequestResult is one request sent and how Sōzu answered it.
type RequestResult struct {
	Index      int    // from 1, in its plan
	Verb       string // such as "add_backend"
	Address    string // the plan address of the change it carries out
	Status     string // StatusOK, StatusFailure, StatusTimeout, StatusClosed or StatusError
	Message    string // Sōzu's message, or the error
	Processing int    // PROCESSING answers before the terminal one
}

// String describes the request and its answer on one line.
func (r RequestResult) String() string {
	s := fmt.Sprintf("%d. %s %s: %s", r.Index, r.Verb, r.Address, r.Status)
	if r.Message != "" && r.Status != StatusOK {
		s += " (" + r.Message + ")"
	}
	return s
}

// Stop says why a run stopped before its last request.
type Stop struct {
	// Reason is "failure", "timeout", "closed", "error" or "interrupted".
	Reason string
	// Request is the request that failed, or the last one answered for an
	// interrupt (zero Index when none was).
	Request RequestResult
	// Err is the error.
	Err error
}

// RollbackResult says what the rollback did.
type RollbackResult struct {
	// Plan is the plan from the live state back to the checkpoint (nil with
	// LoadState).
	Plan *planner.Plan
	// LoadState is set when the proxy came back empty and the checkpoint
	// was loaded with one load_state instead.
	LoadState bool
	// Requests are the requests sent, with their answers.
	Requests []RequestResult
	// Err is what stopped the rollback, if anything did.
	Err error
}

// Verification is the check made after every request was answered OK.
type Verification struct {
	// StateMatches is set when the live state equals the state the plan
	// leads to (the base with every request applied).
	StateMatches bool
	// Differences lists what differs, one line per object: the change
	// that would turn the live state into the planned one.
	Differences []string
	// Workers lists the workers ListWorkers names (running ones), and
	// HashMismatches what differs between their cluster hashes and the
	// main process's: a missing worker, a missing or extra cluster, another
	// hash.
	Workers        []string
	HashMismatches []string
	// HashError is set when the hashes could not be compared.
	HashError error
	// Unseen says what the hash comparison cannot see.
	Unseen string
}

// OK reports whether verification found nothing wrong.
func (v *Verification) OK() bool {
	return v != nil && v.StateMatches && len(v.HashMismatches) == 0 && v.HashError == nil
}

// UnseenByHashes is what a comparison of cluster hashes cannot see.
const UnseenByHashes = "the cluster hashes do not cover listeners, certificates or UDP frontends, and a worker that rejected a request still reports the hash of the state it recorded"

// BulkResult is what a bulk load did.
type BulkResult struct {
	// File is the state file loaded (removed once loaded: it holds keys).
	File string
	// Message is Sōzu's answer to load_state.
	Message string
	// Missing lists every planned object that did not arrive, by address.
	Missing []string
}

// Result is what a run did.
type Result struct {
	// Plan is the plan executed.
	Plan *planner.Plan
	// Outcome is how the run ended.
	Outcome Outcome
	// Unfinished is the previous run, when the journal shows it was cut
	// short; it was reported through an event before this run began.
	Unfinished *JournalRun
	// Checkpoint and AfterCheckpoint are the absolute paths of the state
	// files saved before the first request and after the last one.
	Checkpoint, AfterCheckpoint string
	// Requests are the requests of the plan that were sent, with their
	// answers (Applied counts those answered OK).
	Requests []RequestResult
	Applied  int
	// Stopped says why the run stopped early; nil when every request was
	// answered OK.
	Stopped *Stop
	// Rollback is what the rollback did, when one ran.
	Rollback *RollbackResult
	// AtCheckpoint is set, after a stop, when the live state equals the
	// checkpoint again.
	AtCheckpoint bool
	// Remaining lists, after a stop that left the proxy away from its
	// checkpoint, the changes that would bring it back.
	Remaining []string
	// Verification is the check made after success.
	Verification *Verification
	// Bulk is set for a run made with one load_state.
	Bulk *BulkResult
}

// Summary returns the closing line of a successful apply.
func (r *Result) Summary() string {
	s := planner.Summary{}
	if r.Plan != nil {
		s = r.Plan.Summary
	}
	return fmt.Sprintf("Apply complete: %d added, %d changed, %d replaced, %d destroyed.",
		s.Create, s.Update, s.Replace, s.Delete)
}

// AppliedRequests returns the requests answered OK.
func (r *Result) AppliedRequests() []RequestResult {
	var out []RequestResult
	for _, q := range r.Requests {
		if q.Status == StatusOK {
			out = append(out, q)
		}
	}
	return out
}

// ApplyError reports a run that changed the proxy, or tried to, and did not
// end as planned. Code is the exit status it stands for: 1 when the proxy is
// at its checkpoint (or nothing changed), 3 when it is not, or when
// verification found a difference.
type ApplyError struct {
	Result *Result
	Code   int
}

// ExitCode returns Code.
func (e *ApplyError) ExitCode() int { return e.Code }

// Error says what happened in one sentence.
func (e *ApplyError) Error() string {
	r := e.Result
	var b strings.Builder
	if r.Stopped != nil {
		q := r.Stopped.Request
		total := 0
		if r.Plan != nil {
			total = len(r.Plan.Requests)
		}
		switch r.Stopped.Reason {
		case "interrupted":
			fmt.Fprintf(&b, "apply interrupted after %d of %d requests", r.Applied, total)
		default:
			fmt.Fprintf(&b, "apply stopped at request %d of %d (%s %s): %v", q.Index, total, q.Verb, q.Address, r.Stopped.Err)
		}
		switch {
		case r.AtCheckpoint && r.Applied == 0 && r.Rollback == nil:
			b.WriteString("; nothing was changed")
		case r.AtCheckpoint:
			b.WriteString("; the proxy is back at its checkpoint " + r.Checkpoint)
		case r.Rollback == nil:
			b.WriteString("; the proxy is NOT at its checkpoint (no rollback); to return to it, run: sozuctl-plan rollback " + r.Checkpoint)
		default:
			b.WriteString("; the rollback did not bring the proxy back to its checkpoint " + r.Checkpoint)
			if r.Rollback.Err != nil {
				fmt.Fprintf(&b, " (%v)", r.Rollback.Err)
			}
		}
		return b.String()
	}
	v := r.Verification
	b.WriteString("every request was answered OK, but verification found the proxy different from the plan")
	if v != nil {
		var parts []string
		if !v.StateMatches {
			parts = append(parts, fmt.Sprintf("%d object(s) differ", len(v.Differences)))
		}
		if len(v.HashMismatches) > 0 {
			parts = append(parts, strings.Join(v.HashMismatches, "; "))
		}
		if v.HashError != nil {
			parts = append(parts, "the cluster hashes could not be compared: "+v.HashError.Error())
		}
		if len(parts) > 0 {
			b.WriteString(": " + strings.Join(parts, "; "))
		}
	}
	if r.Bulk != nil && len(r.Bulk.Missing) > 0 {
		fmt.Fprintf(&b, "; %d planned object(s) did not arrive", len(r.Bulk.Missing))
	}
	return b.String()
}

// StaleError reports a plan computed from another state than the live one:
// nothing was changed.
type StaleError struct {
	PlanFingerprint string // the plan's base
	LiveFingerprint string // the live state's
	Reason          string // optional detail
}

// Error says the plan is stale.
func (e *StaleError) Error() string {
	msg := fmt.Sprintf("the plan is stale: it was computed from a state with fingerprint %s, but the live proxy's is %s; nothing was changed, plan again",
		short(e.PlanFingerprint), short(e.LiveFingerprint))
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

// short abbreviates a fingerprint ("sha256:<hex>") to 16 hex digits.
func short(fp string) string {
	if fp == "" {
		return "(none)"
	}
	prefix, hex, ok := strings.Cut(fp, ":")
	if !ok {
		prefix, hex = "", fp
	} else {
		prefix += ":"
	}
	if len(hex) > 16 {
		hex = hex[:16]
	}
	return prefix + hex
}

// MassRemovalError reports a plan the mass-change guard refuses.
type MassRemovalError struct {
	MassRemoval planner.MassRemoval
}

// Error gives the counts.
func (e *MassRemovalError) Error() string {
	m := e.MassRemoval
	return fmt.Sprintf("refusing a mass removal: the plan removes %d of %d routes and %d of %d backends in scope (more than %.0f%%); nothing was changed; use --allow-mass-removal if this is intended",
		m.RoutesRemoved, m.RoutesInScope, m.BackendsRemoved, m.BackendsInScope, m.Threshold*100)
}

// BulkError reports a plan that --bulk cannot send: it does more than create.
type BulkError struct {
	Address string
	Action  planner.Action
}

// Error names the first change that is not a create.
func (e *BulkError) Error() string {
	return fmt.Sprintf("--bulk only sends plans that create objects, and this one would %s %s; apply it without --bulk", e.Action, e.Address)
}
