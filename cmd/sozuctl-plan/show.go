package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/render"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func init() { registerCommand(newShowCommand) }

// showPlanFile renders a saved plan. The file that implements plan files
// sets it from its init(); until then show reads state files only.
var showPlanFile func(g *globalOptions, path string) error

// showOptions are the arguments of show.
type showOptions struct {
	global *globalOptions
	path   string
}

const showLong = `Render a saved plan, or a Sōzu state file as an inventory.

A state file is what Sōzu's save_state writes (sozu state save, or
sozuctl-plan state pull): one JSON record per request, each followed by a
newline and a NUL byte. Files written by Sōzu 1.1.x and 2.x both read; an
empty file is an empty state. Records that Sōzu would skip when loading the
file (a duplicate listener, a health check for a missing cluster, ...) are
reported as warnings on stderr.

The human inventory lists each listener with its certificates and frontends,
then each cluster with its settings, backends and frontends, then what is
attached to nothing. --format json prints one JSON document,
{"format_version": "1.0", "listeners": [...], "clusters": [...],
"backends": [...], "frontends": [...], "certificates": [...]}, with one entry
per object (see docs/state-files.md). Private keys are never printed.`

func newShowCommand(g *globalOptions) *cobra.Command {
	opts := &showOptions{global: g}
	return &cobra.Command{
		Use:   "show PLANFILE | STATEFILE",
		Short: "Render a saved plan or a Sōzu state file",
		Long:  showLong,
		Example: `  sozuctl-plan show /var/lib/sozu/state.json
  sozuctl-plan show --format json checkpoint.state`,
		Args: positionals(1, 1, "a PLANFILE (plan --out) or a STATEFILE (state pull --out)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.path = args[0]
			return opts.run(cmd)
		},
	}
}

func (o *showOptions) run(cmd *cobra.Command) error {
	g := o.global
	isState, err := looksLikeStateFile(o.path)
	if err != nil {
		return err
	}
	if !isState {
		if showPlanFile != nil {
			return showPlanFile(g, o.path)
		}
		return fmt.Errorf("%s is not a Sōzu state file (its first record is not a JSON object closed by a NUL byte)", o.path)
	}
	if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
		return err
	}
	res, err := statefile.Load(o.path)
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(g.Stderr, "Warning: %s: %s (Sōzu skips it when loading the file)\n", o.path, s)
	}
	for _, l := range res.Large {
		fmt.Fprintf(g.Stderr, "Warning: %s: %s, so Sōzu may fail to load this file\n", o.path, l)
	}
	if g.Format == formatJSON {
		return render.WriteInventoryJSON(g.Stdout, res.State)
	}
	return render.WriteInventoryText(g.Stdout, res.State)
}

// looksLikeStateFile tells a state file from anything else by its start:
// empty, or a JSON object. A file that cannot be opened is an error.
func looksLikeStateFile(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("%s does not exist", path)
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return false, fmt.Errorf("%s is a directory, not a state file or a plan", path)
	}
	br := bufio.NewReaderSize(f, 4096)
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return true, nil
	}
	// A record is a WorkerRequest object: its first key is "id" as Sōzu
	// writes it, or "content" when another writer put the keys the other
	// way round. Plan files and other JSON documents start otherwise.
	if head[0] == '{' {
		rest := bytes.TrimLeft(head[1:], " \t\r\n")
		if bytes.HasPrefix(rest, []byte(`"id"`)) || bytes.HasPrefix(rest, []byte(`"content"`)) {
			return true, nil
		}
	}
	return bytes.IndexByte(head, 0) >= 0, nil
}
