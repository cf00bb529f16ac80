package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/applier"
)

func init() { registerCommand(newRollbackCommand) }

// rollbackOptions are the flags and arguments of rollback.
type rollbackOptions struct {
	global     *globalOptions
	flags      applyFlags
	checkpoint string
}

const rollbackLong = `Plan and apply the return of the live Sōzu proxy to CHECKPOINT, a state file
saved by apply (or by Sōzu's save_state). The plan covers everything the
checkpoint and the proxy hold, whatever the configuration's scope, and is
exempt from the mass-change guard.

It runs as apply does: the lock, a checkpoint of the state it starts from
(so that a rollback can be rolled back), the requests one at a time with the
journal, a rollback of the rollback if a request fails (unless
--no-rollback), and the verification. The socket is --socket or
$SOZU_SOCKET.`

func newRollbackCommand(g *globalOptions) *cobra.Command {
	opts := &rollbackOptions{global: g}
	cmd := &cobra.Command{
		Use:   "rollback CHECKPOINT",
		Short: "Return the live Sōzu proxy to a checkpoint",
		Long:  rollbackLong,
		Example: `  sozuctl-plan rollback --socket /run/sozu/sozu.sock /run/sozu/20260102T030405.678Z-4242-before.state
  sozuctl-plan rollback -auto-approve "$CHECKPOINT"`,
		Args: positionals(1, 1, "a CHECKPOINT file (a *-before.state in the checkpoint directory)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
				return err
			}
			if g.Format == formatJSON && !opts.flags.autoApprove {
				return usageErrorf(cmd, "--format json needs --auto-approve (there is no plan shown to approve)")
			}
			if g.Socket == "" {
				return usageErrorf(cmd, "rollback needs the live proxy: give --socket or $SOZU_SOCKET")
			}
			opts.checkpoint = args[0]
			return opts.run(cmd.Context())
		},
	}
	opts.flags.register(cmd, false)
	return cmd
}

// run plans and applies the return to the checkpoint.
func (o *rollbackOptions) run(ctx context.Context) error {
	g := o.global
	path, err := filepath.Abs(o.checkpoint)
	if err != nil {
		return fmt.Errorf("the checkpoint %s: %w", o.checkpoint, err)
	}
	dir, err := checkpointDir(g, g.Socket)
	if err != nil {
		return err
	}
	view := newApplyView(g, nil)
	res, err := applier.Rollback(ctx, path, applier.Options{
		Socket:        g.Socket,
		CheckpointDir: dir,
		Timeout:       g.Timeout,
		LockTimeout:   o.flags.lockTimeout,
		Command:       commandLine(),
		NoRollback:    o.flags.noRollback,
		Confirm:       view.confirm(o.flags.autoApprove),
		Events:        view.event,
	})
	return view.finish(res, err)
}
