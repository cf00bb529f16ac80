package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sozuctl-plan/sozuctl-plan/internal/atomicfile"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/sergi/go-diff/diffmatchpatch"
	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/config"
)

func init() { registerCommand(newFmtCommand) }

// fmtOptions are the flags and arguments of fmt.
type fmtOptions struct {
	global *globalOptions
	check  bool
	diff   bool
	paths  []string
}

const fmtLong = `Rewrite HCL configuration files in canonical form.

Each PATH is a file or a directory; a directory stands for the *.hcl files
directly inside it (not its subdirectories). The default PATH is the current
directory, and "-" formats standard input to standard output.

The canonical form is HCL's own layout (indentation, aligned equals signs,
spacing) with enum values in their proto names ("TLS_V13" becomes
"TLS_V1_3", "use-https" becomes "USE_HTTPS") and one final newline.
Files are rewritten in place, atomically, keeping their mode, and their
names are printed. A file that does not parse is left untouched and its
errors are printed.

With --check nothing is written: the names of the files that would change
are printed and the exit status is 1 if there is any. --diff prints a
unified diff of each change.`

func newFmtCommand(g *globalOptions) *cobra.Command {
	opts := &fmtOptions{global: g}
	cmd := &cobra.Command{
		Use:   "fmt [--check] [--diff] [PATH...]",
		Short: "Rewrite configuration files in canonical form",
		Long:  fmtLong,
		Example: `  sozuctl-plan fmt
  sozuctl-plan fmt --check --diff examples/basic
  sozuctl-plan fmt -check main.hcl`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman); err != nil {
				return err
			}
			opts.paths = args
			return opts.run()
		},
	}
	cmd.Flags().BoolVar(&opts.check, "check", false, "write nothing; exit 1 if any file is not in canonical form")
	cmd.Flags().BoolVar(&opts.diff, "diff", false, "print a unified diff of each change")
	return cmd
}

// fmtFile is one file to format: its name as shown to the user and, for
// standard input, its content.
type fmtFile struct {
	path  string
	stdin bool
}

// run formats every file named by the paths and returns exitWith(1) when a
// file does not parse or, with --check, when one would change.
func (o *fmtOptions) run() error {
	g := o.global
	files, err := fmtCollect(o.paths)
	if err != nil {
		return err
	}
	failed := false
	for _, f := range files {
		changed, err := o.formatOne(f)
		if err != nil {
			var pe *fmtParseError
			if errors.As(err, &pe) {
				writeDiagnostics(g.Stderr, pe.diags, map[string][]byte{f.path: pe.src}, g.Color)
				failed = true
				continue
			}
			return err
		}
		if changed && o.check {
			failed = true
		}
	}
	if failed {
		return exitWith(exitFailure)
	}
	return nil
}

// fmtParseError is a file that does not parse.
type fmtParseError struct {
	src   []byte
	diags hcl.Diagnostics
}

func (e *fmtParseError) Error() string { return e.diags.Error() }

// formatOne formats f, writes it back unless --check, prints its name and its
// diff as asked, and reports whether it was not canonical.
func (o *fmtOptions) formatOne(f fmtFile) (bool, error) {
	g := o.global
	var src []byte
	var err error
	if f.stdin {
		src, err = io.ReadAll(g.Stdin)
	} else {
		src, err = os.ReadFile(f.path)
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", f.path, err)
	}
	out, diags := config.Format(src, f.path)
	if diags.HasErrors() {
		return false, &fmtParseError{src: src, diags: diags}
	}
	changed := !bytes.Equal(src, out)
	if f.stdin {
		if o.diff && changed {
			writeUnifiedDiff(g.Stdout, f.path, src, out)
		}
		if !o.check && !o.diff {
			_, err := g.Stdout.Write(out)
			return changed, err
		}
		return changed, nil
	}
	if !changed {
		return false, nil
	}
	fmt.Fprintln(g.Stdout, f.path)
	if o.diff {
		writeUnifiedDiff(g.Stdout, f.path, src, out)
	}
	if o.check {
		return true, nil
	}
	if err := writeFileAtomic(f.path, out); err != nil {
		return true, err
	}
	return true, nil
}

// fmtCollect expands the paths into the files to format, in order, each once.
func fmtCollect(paths []string) ([]fmtFile, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var files []fmtFile
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, fmtFile{path: p})
		}
	}
	for _, p := range paths {
		if p == "-" {
			files = append(files, fmtFile{path: "<stdin>", stdin: true})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("no file or directory %s", p)
			}
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("reading directory %s: %w", p, err)
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			if p == "." {
				add(n)
			} else {
				add(filepath.Join(p, n))
			}
		}
	}
	return files, nil
}

// writeFileAtomic replaces path with data atomically, keeping path's
// permission bits. A symbolic link is followed: the file it points to is
// replaced, and the link stays.
func writeFileAtomic(path string, data []byte) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	mode := fs.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	return atomicfile.WriteBytes(path, data, mode)
}

// diffContext is the number of unchanged lines shown around each change.
const diffContext = 3

// diffLine is one line of a line diff: ' ', '-' or '+', and its text with
// its newline, if it had one.
type diffLine struct {
	op   byte
	text string
}

// lineDiff returns the line-by-line edit script from a to b.
func lineDiff(a, b []byte) []diffLine {
	dmp := diffmatchpatch.New()
	ra, rb, lines := dmp.DiffLinesToRunes(string(a), string(b))
	diffs := dmp.DiffMainRunes(ra, rb, false)
	diffs = dmp.DiffCharsToLines(diffs, lines)
	var out []diffLine
	for _, d := range diffs {
		var op byte
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			op = ' '
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		text := d.Text
		for text != "" {
			i := strings.IndexByte(text, '\n')
			if i < 0 {
				out = append(out, diffLine{op, text})
				break
			}
			out = append(out, diffLine{op, text[:i+1]})
			text = text[i+1:]
		}
	}
	return out
}

// writeUnifiedDiff writes the unified diff (diff -u style, three lines of
// context) that turns old into new, with name in both headers.
func writeUnifiedDiff(w io.Writer, name string, old, new []byte) {
	lines := lineDiff(old, new)
	fmt.Fprintf(w, "--- %s\n+++ %s\n", name, name)
	i := 0
	for i < len(lines) {
		// Find the next change.
		for i < len(lines) && lines[i].op == ' ' {
			i++
		}
		if i == len(lines) {
			break
		}
		start := max(i-diffContext, 0)
		// Extend the hunk while changes are at most 2*context lines apart.
		end := i
		for {
			for end < len(lines) && lines[end].op != ' ' {
				end++
			}
			next := end
			for next < len(lines) && lines[next].op == ' ' {
				next++
			}
			if next < len(lines) && next-end <= 2*diffContext {
				end = next
				continue
			}
			end = min(end+diffContext, len(lines))
			break
		}
		// Line numbers of the hunk's start in old and new.
		oldLine, newLine := 1, 1
		for _, l := range lines[:start] {
			if l.op != '+' {
				oldLine++
			}
			if l.op != '-' {
				newLine++
			}
		}
		oldCount, newCount := 0, 0
		for _, l := range lines[start:end] {
			if l.op != '+' {
				oldCount++
			}
			if l.op != '-' {
				newCount++
			}
		}
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(oldLine, oldCount), hunkRange(newLine, newCount))
		for _, l := range lines[start:end] {
			text := l.text
			fmt.Fprintf(w, "%c%s", l.op, text)
			if !strings.HasSuffix(text, "\n") {
				fmt.Fprint(w, "\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
}

// hunkRange writes a hunk header range: "start,count", with diff's
// conventions for empty ranges (the line before) and single lines.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}

// writeDiagnostics prints diags with HCL's text writer: severity, summary,
// "on FILE line N, in BLOCK" with a source snippet from sources (file name to
// content), and detail; colour only when color is true. Lines are not
// wrapped.
func writeDiagnostics(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte, color bool) {
	dw := hcl.NewDiagnosticTextWriter(w, diagnosticFiles(diags, sources), 0, color)
	// The writer fails only when w does; the caller's exit status says the rest.
	_ = dw.WriteDiagnostics(diags)
}

// diagnosticFiles parses, from sources, the files that diags point into, so
// that snippets can name the enclosing block ("in cluster "api""). A file
// that does not parse still gives its bytes for the snippet.
func diagnosticFiles(diags hcl.Diagnostics, sources map[string][]byte) map[string]*hcl.File {
	files := map[string]*hcl.File{}
	for _, d := range diags {
		if d.Subject == nil {
			continue
		}
		name := d.Subject.Filename
		src, ok := sources[name]
		if _, done := files[name]; done || !ok {
			continue
		}
		f, _ := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if f == nil || f.Body == nil {
			f = &hcl.File{}
		}
		// Snippets show the user's own source, except private keys.
		f.Bytes = maskPrivateKeys(src)
		files[name] = f
	}
	return files
}

// maskPrivateKeys returns src with the body of every PEM private key block
// (between "-----BEGIN ... PRIVATE KEY-----" and its END line) replaced by
// '*', keeping its length and line breaks so that positions stay right.
func maskPrivateKeys(src []byte) []byte {
	const begin, end = "-----BEGIN ", "PRIVATE KEY-----"
	var out []byte
	rest := src
	for {
		i := bytes.Index(rest, []byte(begin))
		if i < 0 {
			break
		}
		head := i + len(begin)
		j := bytes.Index(rest[head:], []byte(end))
		if j < 0 || bytes.ContainsAny(rest[head:head+j], "\n-") {
			// Not a private key header: keep it and look further.
			if out == nil {
				out = append([]byte(nil), src...)
			}
			rest = rest[head:]
			continue
		}
		bodyStart := head + j + len(end)
		k := bytes.Index(rest[bodyStart:], []byte("-----END "))
		if k < 0 {
			k = len(rest) - bodyStart
		}
		if out == nil {
			out = append([]byte(nil), src...)
		}
		off := len(src) - len(rest)
		for p := off + bodyStart; p < off+bodyStart+k; p++ {
			if c := out[p]; c != '\n' && c != '\r' && c != '\\' && c != '"' {
				out[p] = '*'
			}
		}
		rest = rest[bodyStart+k:]
	}
	if out == nil {
		return src
	}
	return out
}
