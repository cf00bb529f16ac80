// Package applier executes a plan of package planner against a running Sōzu,
// over its command socket, with the safety contract of SPEC §6:
//
//   - an exclusive lock file (LockFile) in the checkpoint directory, so that
//     two applies never interleave; a lock whose holder process is gone is
//     taken over;
//   - a fresh read of the live state, and a refusal, changing nothing, when it
//     is not the state the plan was computed from (a stale plan);
//   - the mass-change guard (rollbacks are exempt);
//   - a save_state checkpoint before the first request, narrowed to mode 0600;
//   - the requests sent one at a time, each done at OK after any number of
//     PROCESSING answers; a FAILURE, a timeout, a broken socket or an
//     interrupt stops the run after the request in flight;
//   - a journal (JournalFile: JSON lines, each fsync'd) of every request sent
//     and every answer, so that a run cut short by a crash is reported
//     exactly by the next one;
//   - on failure, the live state read again and the plan back to the
//     checkpoint applied (or the checkpoint loaded with load_state when the
//     proxy came back empty);
//   - on success, an after-checkpoint, a check that the live state is the one
//     the plan leads to, and a comparison of the cluster hashes of the main
//     process and of every worker.
//
// The package never prints and never exits: what happens is reported through
// Options.Events, and the outcome through Result and typed errors (ApplyError,
// StaleError, MassRemovalError, LockHeldError) that the command line turns into
// output and exit codes. It imports planner, sozu, live, state and statefile.
package applier
