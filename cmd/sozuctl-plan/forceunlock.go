package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/applier"
)

func init() { registerCommand(newForceUnlockCommand) }

// forceUnlockOptions are the flags of force-unlock.
type forceUnlockOptions struct {
	global *globalOptions
	force  bool
}

const forceUnlockLong = `Remove the apply lock (sozuctl-plan.lock in the checkpoint directory:
--checkpoint-dir, else the directory of --socket or $SOZU_SOCKET) when its
holder is known to be gone, for instance a CI runner that was killed on
another host. A holder that ran on this host and is no longer running needs
no force-unlock: the next apply takes its lock over by itself.

force-unlock shows the holder and asks for "yes"; without a terminal it
refuses unless --force is given. Removing the lock of an apply that is still
running lets another apply interleave with it: check first.`

func newForceUnlockCommand(g *globalOptions) *cobra.Command {
	opts := &forceUnlockOptions{global: g}
	cmd := &cobra.Command{
		Use:   "force-unlock",
		Short: "Remove an apply lock whose holder is gone",
		Long:  forceUnlockLong,
		Example: `  sozuctl-plan force-unlock --socket /run/sozu/sozu.sock
  sozuctl-plan force-unlock --checkpoint-dir /var/lib/sozu --force`,
		Args: positionals(0, 0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman); err != nil {
				return err
			}
			if g.CheckpointDir == "" && g.Socket == "" {
				return usageErrorf(cmd, "force-unlock needs --checkpoint-dir, --socket or $SOZU_SOCKET to find the lock")
			}
			return opts.run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&opts.force, "force", false, "remove the lock without asking")
	return cmd
}

// run shows the holder, asks, and removes the lock.
func (o *forceUnlockOptions) run(ctx context.Context) error {
	g := o.global
	dir, err := checkpointDir(g, g.Socket)
	if err != nil {
		return err
	}
	h, err := applier.ReadLock(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no lock in %s", dir)
	}
	who := "an unknown holder (the lock file does not read)"
	if err == nil {
		who = h.String()
	}
	fmt.Fprintf(g.Stdout, "The lock %s/%s is held by %s.\n", dir, applier.LockFile, who)
	if h != nil && h.Alive() {
		host, _ := os.Hostname()
		if h.Host == host {
			fmt.Fprintf(g.Stderr, "Warning: process %d is still running on this host: it may still be applying.\n", h.PID)
		} else {
			fmt.Fprintf(g.Stderr, "Warning: the holder ran on another host (%s); make sure it is gone.\n", h.Host)
		}
	}
	if !o.force {
		ok, err := g.confirm(ctx, "Do you really want to remove it?\n  Another apply may then run while that one still does.")
		if errors.Is(err, errNotInteractive) {
			return fmt.Errorf("no terminal to ask for confirmation: the lock was kept; use --force to remove it without asking")
		}
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("force-unlock cancelled: the lock was kept")
		}
	}
	if _, err := applier.ForceUnlock(dir); err != nil {
		return err
	}
	fmt.Fprintln(g.Stdout, "The lock was removed.")
	return nil
}
