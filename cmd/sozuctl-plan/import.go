package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/importer"
	"github.com/sozuctl-plan/sozuctl-plan/live"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func init() { registerCommand(newImportCommand) }

// importOptions are the flags of import.
type importOptions struct {
	global   *globalOptions
	fromTOML string
	filesDir string
	out      string
	force    bool
	liveRead string
}

const importLong = `Write HCL that reproduces an existing Sōzu configuration, such that "plan"
against the same source shows no changes. The source is one of:

  --from-toml FILE   Sōzu's own config.toml: the state Sōzu builds from it at
                     boot (certificate, key and answer files are read relative
                     to the file's directory, or to --files-dir: give Sōzu's
                     working directory when its paths are relative to it);
  --state FILE       a Sōzu state file (sozu state save, save_state);
  --socket PATH      the live proxy (or $SOZU_SOCKET), read by asking it to
                     save its state into --checkpoint-dir (--live-read
                     queries reads it through list and query requests
                     instead, with the gaps that has, stated as warnings).

-o DIR receives main.hcl and, under certs/, one file per certificate, chain
element and private key (keys with mode 0600, never printed). Existing files
are left alone unless --force is given. Listeners are named after their
protocol and address (listener.http.http_0_0_0_0_80); only values that
differ from the defaults are written, and enums with their proto names.

What HCL cannot declare (a backend whose cluster does not exist, two clusters
on one TCP listener, ...) is left out or kept with a warning on stderr. The
written directory is then loaded and planned against the source, and a
warning says so if that plan is not empty.`

func newImportCommand(g *globalOptions) *cobra.Command {
	o := &importOptions{global: g}
	cmd := &cobra.Command{
		Use:   "import (--from-toml FILE | --state FILE | --socket PATH) -o DIR",
		Short: "Write HCL that reproduces a config.toml, a state file or the live proxy",
		Long:  importLong,
		Example: `  sozuctl-plan import --from-toml /etc/sozu/config.toml -o sozu
  sozuctl-plan import --state sozu.state -o sozu
  sozuctl-plan import --socket /run/sozu/sozu.sock -o sozu --force`,
		Args: positionals(0, 0, "the source is --from-toml FILE, --state FILE or --socket PATH, the output -o DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman); err != nil {
				return err
			}
			if o.out == "" {
				return usageErrorf(cmd, "import needs -o DIR, the directory to write the HCL into")
			}
			sources := 0
			for _, s := range []string{o.fromTOML, g.State} {
				if s != "" {
					sources++
				}
			}
			if sources > 1 {
				return usageErrorf(cmd, "import reads one source: give either --from-toml or --state")
			}
			if sources == 0 && g.Socket == "" {
				return usageErrorf(cmd, "import needs a source: --from-toml FILE, --state FILE or --socket PATH")
			}
			if err := checkLiveRead(cmd, o.liveRead); err != nil {
				return err
			}
			if o.filesDir != "" && o.fromTOML == "" {
				return usageErrorf(cmd, "--files-dir only applies to --from-toml")
			}
			return o.run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.fromTOML, "from-toml", "", "read Sōzu's config.toml `FILE`")
	cmd.Flags().StringVar(&o.filesDir, "files-dir", "", "with --from-toml: read relative certificate, key and answer paths from `DIR` (Sōzu's working directory; default: the TOML file's directory)")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write the HCL into `DIR` (created when missing)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite files that exist in DIR")
	cmd.Flags().StringVar(&o.liveRead, "live-read", liveReadSaveState, "how to read the live proxy: save-state or queries")
	return cmd
}

// run reads the source, writes the HCL and checks that it plans no change.
func (o *importOptions) run(ctx context.Context) error {
	g := o.global
	var (
		src   *state.State
		what  string
		warns []string
		err   error
	)
	switch {
	case o.fromTOML != "":
		src, warns, err = importer.FromTOMLWith(o.fromTOML, importer.TOMLOptions{FilesDir: o.filesDir})
		if err != nil {
			return err
		}
		what = o.fromTOML
	case g.State != "":
		src, err = statefile.Read(g.State)
		if err != nil {
			return fmt.Errorf("reading the state file: %w", err)
		}
		what = g.State
	default:
		src, warns, err = readLiveState(ctx, g, o.liveRead)
		if err != nil {
			return err
		}
		what = "the proxy at " + g.Socket
	}
	for _, w := range warns {
		fmt.Fprintf(g.Stderr, "Warning: %s\n", w)
	}
	rendered, err := importer.Render(src)
	if err != nil {
		return err
	}
	for _, w := range rendered.Warnings {
		fmt.Fprintf(g.Stderr, "Warning: %s\n", w)
	}
	if err := rendered.Write(o.out, o.force); err != nil {
		return err
	}
	certs, keys := 0, 0
	for _, f := range rendered.Files[1:] {
		if f.Mode == importer.KeyMode {
			keys++
		} else {
			certs++
		}
	}
	fmt.Fprintf(g.Stdout, "Imported %d objects from %s into %s: %s, %d certificate file(s), %d key file(s) (mode 0600).\n",
		src.Len(), what, o.out, importer.MainFile, certs, keys)
	o.check(src)
	return nil
}

// check loads the written directory and plans it against the source; a
// difference is a warning (the files are written either way).
func (o *importOptions) check(src *state.State) {
	g := o.global
	cfg, diags := config.Load(o.out, config.Options{Base: src, Environ: []string{}})
	if diags.HasErrors() || cfg == nil {
		fmt.Fprintf(g.Stderr, "Warning: %s does not validate as written (%d error(s)); fix what follows before planning with it:\n", o.out, len(diags.Errs()))
		var sources map[string][]byte
		if cfg != nil {
			sources = cfg.Files
		}
		if len(sources) == 0 {
			sources = readDiagnosticSources(diags)
		}
		writeDiagnostics(g.Stderr, diags, sources, g.Color)
		return
	}
	p, err := planner.Compute(src, cfg.Desired, planner.Options{})
	if err != nil {
		fmt.Fprintf(g.Stderr, "Warning: planning %s against the source: %v\n", o.out, err)
		return
	}
	if p.HasChanges() {
		var addrs []string
		for _, c := range p.Changes {
			addrs = append(addrs, string(c.Action)+" "+c.Address)
		}
		fmt.Fprintf(g.Stderr, "Warning: a plan of %s against the source is not empty: %s\n", o.out, strings.Join(addrs, ", "))
		return
	}
	fmt.Fprintf(g.Stdout, "A plan of %s against the source shows no changes.\n", o.out)
}

// checkLiveRead checks the value of --live-read.
func checkLiveRead(cmd *cobra.Command, mode string) error {
	switch mode {
	case liveReadSaveState, liveReadQueries:
		return nil
	}
	return usageErrorf(cmd, "invalid --live-read %q (use save-state or queries)", mode)
}

// readLiveState reads the live proxy at --socket (or $SOZU_SOCKET): through
// save_state into the checkpoint directory, or with --live-read queries
// through list and query requests, whose gaps come back as notes.
func readLiveState(ctx context.Context, g *globalOptions, mode string) (*state.State, []string, error) {
	c, err := sozu.Dial(ctx, g.Socket, sozu.WithTimeout(g.Timeout))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the live configuration: %w", err)
	}
	defer c.Close()
	if mode == liveReadQueries {
		st, notes, err := live.ReadQueries(ctx, c)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the live configuration from %s: %w", g.Socket, err)
		}
		return st, notes, nil
	}
	dir, err := checkpointDir(g, g.Socket)
	if err != nil {
		return nil, nil, err
	}
	st, err := live.ReadSaveState(ctx, c, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the live configuration from %s: %w", g.Socket, err)
	}
	return st, nil, nil
}
