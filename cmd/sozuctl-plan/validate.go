package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/live"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func init() { registerCommand(newValidateCommand) }

// validateOptions are the arguments of validate; the variables and the base
// come from the common flags.
type validateOptions struct {
	global *globalOptions
	dir    string
}

const validateLong = `Check a configuration directory: parse every *.hcl file in it, evaluate
variables, locals and dynamic blocks, and check every object the way Sōzu
would: types, enum values, addresses, duplicates, routes and their
listeners, certificates and their keys.

Diagnostics are printed with their file, line and a source snippet. The exit
status is 1 when there is any error; warnings (an expired certificate, an
HTTPS hostname no certificate covers) do not fail validation.

Variables come from their defaults, SOZU_VAR_<name>, --var-file and --var.
With --state, listeners that exist only in that state file count as
declared; with --socket (given on the command line: validate never reads
$SOZU_SOCKET or the sozu block), those of the live proxy, read with
queries that change nothing.

--format json prints one JSON document (see docs/validate-json.md).`

func newValidateCommand(g *globalOptions) *cobra.Command {
	opts := &validateOptions{global: g}
	return &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check a configuration",
		Long:  validateLong,
		Example: `  sozuctl-plan validate examples/basic
  sozuctl-plan validate --var-file vars/production.hcl .
  sozuctl-plan validate --format json .`,
		Args: positionals(0, 1, "a configuration DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
				return err
			}
			opts.dir = "."
			if len(args) == 1 {
				opts.dir = args[0]
			}
			return opts.run(cmd.Context())
		},
	}
}

// loadOptions turns the common flags into the loader's options, reading the
// base state file when --state is given, else the live proxy when --socket
// is given on the command line.
func loadOptions(ctx context.Context, g *globalOptions) (config.Options, error) {
	opts := config.Options{VarFiles: g.VarFiles}
	for _, v := range g.Vars {
		name, value, _ := strings.Cut(v, "=")
		if opts.Vars == nil {
			opts.Vars = map[string]string{}
		}
		opts.Vars[strings.TrimSpace(name)] = value // a later --var wins
	}
	if g.State != "" {
		base, err := statefile.Read(g.State)
		if err != nil {
			return opts, err
		}
		opts.Base = base
	} else if g.SocketFromFlag && g.Socket != "" {
		base, err := readLiveBase(ctx, g)
		if err != nil {
			return opts, err
		}
		opts.Base = base
	}
	return opts, nil
}

// readLiveBase reads the live proxy's configuration with queries only, and
// logs what such a read cannot see.
func readLiveBase(ctx context.Context, g *globalOptions) (*state.State, error) {
	c, err := sozu.Dial(ctx, g.Socket, sozu.WithTimeout(g.Timeout))
	if err != nil {
		return nil, fmt.Errorf("reading the live configuration: %w", err)
	}
	defer c.Close()
	st, warns, err := live.ReadQueries(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("reading the live configuration from %s: %w", g.Socket, err)
	}
	for _, w := range warns {
		g.Logger.Info("live read", "note", w)
	}
	return st, nil
}

// run loads the configuration and reports on it.
func (o *validateOptions) run(ctx context.Context) error {
	g := o.global
	opts, err := loadOptions(ctx, g)
	if err != nil {
		return err
	}
	cfg, diags := config.Load(o.dir, opts)
	var sources map[string][]byte
	if cfg != nil {
		sources = cfg.Files
	}
	if len(sources) == 0 {
		sources = readDiagnosticSources(diags)
	}
	errs, warns := countDiagnostics(diags)

	if g.Format == formatJSON {
		doc := validateJSON(diags, sources)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return fmt.Errorf("encoding the diagnostics: %w", err)
		}
		if _, err := g.Stdout.Write(buf.Bytes()); err != nil {
			return err
		}
		if errs > 0 {
			return exitWith(exitFailure)
		}
		return nil
	}

	if len(diags) > 0 {
		writeDiagnostics(g.Stderr, diags, sources, g.Color)
	}
	if errs > 0 {
		return exitWith(exitFailure)
	}
	switch warns {
	case 0:
		fmt.Fprintln(g.Stdout, "Success! The configuration is valid.")
	case 1:
		fmt.Fprintln(g.Stdout, "Success! The configuration is valid, but there was 1 warning.")
	default:
		fmt.Fprintf(g.Stdout, "Success! The configuration is valid, but there were %d warnings.\n", warns)
	}
	return nil
}

// readDiagnosticSources reads the files diags point into, for snippets when
// the loader could not say what it read.
func readDiagnosticSources(diags hcl.Diagnostics) map[string][]byte {
	out := map[string][]byte{}
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename == "" {
			continue
		}
		if _, ok := out[d.Subject.Filename]; ok {
			continue
		}
		if b, err := os.ReadFile(d.Subject.Filename); err == nil {
			out[d.Subject.Filename] = b
		}
	}
	return out
}

// countDiagnostics returns the number of errors and of warnings in diags.
func countDiagnostics(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		switch d.Severity {
		case hcl.DiagError:
			errs++
		case hcl.DiagWarning:
			warns++
		}
	}
	return errs, warns
}

// The JSON document of validate --format json, version 1.0; see
// docs/validate-json.md. Its field names follow Terraform's validate -json.
type validateDoc struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []diagnosticJSON `json:"diagnostics"`
}

type diagnosticJSON struct {
	Severity string       `json:"severity"`
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail,omitempty"`
	Range    *rangeJSON   `json:"range,omitempty"`
	Snippet  *snippetJSON `json:"snippet,omitempty"`
}

type rangeJSON struct {
	Filename string  `json:"filename"`
	Start    posJSON `json:"start"`
	End      posJSON `json:"end"`
}

type posJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// snippetJSON is the source around a diagnostic: the whole lines its range
// covers, the first line's number, the block it is in (null at the top
// level) and the highlighted part as byte offsets into Code.
type snippetJSON struct {
	Context              *string `json:"context"`
	Code                 string  `json:"code"`
	StartLine            int     `json:"start_line"`
	HighlightStartOffset int     `json:"highlight_start_offset"`
	HighlightEndOffset   int     `json:"highlight_end_offset"`
}

// validateJSON builds the JSON document for diags.
func validateJSON(diags hcl.Diagnostics, sources map[string][]byte) validateDoc {
	errs, warns := countDiagnostics(diags)
	doc := validateDoc{
		FormatVersion: "1.0",
		Valid:         errs == 0,
		ErrorCount:    errs,
		WarningCount:  warns,
		Diagnostics:   []diagnosticJSON{},
	}
	files := diagnosticFiles(diags, sources)
	for _, d := range diags {
		dj := diagnosticJSON{Summary: d.Summary, Detail: d.Detail, Severity: "error"}
		if d.Severity == hcl.DiagWarning {
			dj.Severity = "warning"
		}
		if d.Subject != nil {
			r := *d.Subject
			dj.Range = &rangeJSON{
				Filename: r.Filename,
				Start:    posJSON{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      posJSON{r.End.Line, r.End.Column, r.End.Byte},
			}
			if f := files[r.Filename]; f != nil {
				dj.Snippet = snippetOf(f, r)
			}
		}
		doc.Diagnostics = append(doc.Diagnostics, dj)
	}
	return doc
}

// snippetOf returns the snippet of r in f, or nil when r is not inside f.
func snippetOf(f *hcl.File, r hcl.Range) *snippetJSON {
	src := f.Bytes
	if r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return nil
	}
	start := bytes.LastIndexByte(src[:r.Start.Byte], '\n') + 1
	end := len(src)
	if i := bytes.IndexByte(src[r.End.Byte:], '\n'); i >= 0 {
		end = r.End.Byte + i
	}
	// A range that ends at the start of a line does not show that line.
	if r.End.Byte > r.Start.Byte && r.End.Byte > start && src[r.End.Byte-1] == '\n' {
		end = r.End.Byte - 1
	}
	if end < r.Start.Byte {
		end = r.Start.Byte
	}
	sn := &snippetJSON{
		Code:                 string(src[start:end]),
		StartLine:            r.Start.Line,
		HighlightStartOffset: r.Start.Byte - start,
		HighlightEndOffset:   min(r.End.Byte, end) - start,
	}
	type contextStringer interface{ ContextString(offset int) string }
	if cs, ok := f.Nav.(contextStringer); ok {
		if c := cs.ContextString(r.Start.Byte); c != "" {
			sn.Context = &c
		}
	}
	return sn
}
