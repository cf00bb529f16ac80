package config

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
)

// The catalogue: one directory of testdata/invalid per diagnostic that
// validate must give (SPEC §3), each with a golden want.txt of the rendered
// diagnostics. A case directory may hold options.txt, one option a line:
//
//	var NAME=VALUE       a --var
//	var-file PATH        a --var-file, relative to the case directory
//	env NAME=VALUE       an environment variable (SOZU_VAR_...)
//
// Refresh the goldens with: go test ./config -run Catalogue -update

// catalogueCase is what a case must produce, written by hand from the input:
// whether it is valid (only warnings), and where the first error (or, for a
// valid case, the first warning) points.
type catalogueCase struct {
	valid bool
	file  string // relative to the case directory; "" means main.hcl
	line  int    // 0: a diagnostic without a source position
	// summary is a fragment the first diagnostic's summary or detail must
	// contain (case-insensitive), naming what is wrong.
	summary string
}

var catalogue = map[string]catalogueCase{
	"syntax-error":                         {line: 1, summary: "unclosed"},
	"unknown-block":                        {line: 1, summary: "did you mean \"cluster\""},
	"unknown-nested-block":                 {line: 2, summary: "did you mean \"backend\""},
	"unknown-attribute":                    {line: 3, summary: "did you mean \"sticky_name\""},
	"unknown-attribute-nested":             {line: 4, summary: "did you mean \"interval\""},
	"wrong-type-number":                    {line: 4, summary: "number"},
	"wrong-type-bool":                      {line: 2, summary: "bool"},
	"wrong-type-list":                      {line: 6, summary: "list"},
	"number-not-whole":                     {line: 4, summary: "whole number"},
	"invalid-enum":                         {line: 2, summary: "ROUND_ROBIN"},
	"invalid-enum-in-list":                 {line: 3, summary: "TLS_V1_4"},
	"invalid-enum-header-position":         {line: 11, summary: "MIDDLE"},
	"unparsable-address":                   {line: 2, summary: "address"},
	"unparsable-backend-address":           {line: 3, summary: "address"},
	"port-out-of-range":                    {line: 2, summary: "70000"},
	"duplicate-cluster":                    {line: 4, summary: "duplicate"},
	"duplicate-backend":                    {line: 5, summary: "duplicate"},
	"duplicate-route":                      {line: 14, summary: "duplicate"},
	"duplicate-listener-address":           {line: 6, summary: "duplicate"},
	"duplicate-listener-name":              {line: 5, summary: "duplicate"},
	"duplicate-certificate":                {line: 11, summary: "duplicate"},
	"duplicate-single-block":               {line: 5, summary: "duplicate"},
	"frontend-no-http-listener":            {line: 3, summary: "listener"},
	"frontend-no-https-listener":           {line: 7, summary: "listener"},
	"frontend-no-tcp-listener":             {line: 7, summary: "listener"},
	"frontend-wrong-listener-protocol":     {line: 7, summary: "listener"},
	"frontend-no-udp-listener":             {line: 7, summary: "udp"},
	"header-missing-required":              {line: 10, summary: "\"val\""},
	"sozu-block-bad-manage":                {line: 3, summary: "did you mean \"clusters\""},
	"frontend-unknown-cluster":             {line: 9, summary: "nowhere"},
	"unknown-listener-reference":           {line: 7, summary: "private"},
	"two-path-kinds":                       {line: 10, summary: "path"},
	"invalid-path-regex":                   {line: 9, summary: "regex"},
	"hostname-capitals":                    {line: 8, summary: "lowercase"},
	"listener-unknown-protocol":            {line: 1, summary: "quic"},
	"missing-label":                        {line: 1, summary: "label"},
	"missing-required-attribute":           {line: 2, summary: "address"},
	"certificate-unparsable":               {line: 7, summary: "certificate"},
	"certificate-key-mismatch":             {line: 8, summary: "match"},
	"certificate-no-https-listener":        {line: 6, summary: "listener"},
	"certificate-missing-file":             {line: 7, summary: "nowhere.pem"},
	"certificate-expired":                  {valid: true, line: 7, summary: "expired"},
	"https-hostname-uncovered":             {valid: true, line: 14, summary: "shop.example.com"},
	"undefined-variable":                   {line: 7, summary: "api_address"},
	"undefined-local":                      {line: 7, summary: "prot"},
	"variable-validation-failed":           {line: 6, summary: "between 0 and 256"},
	"variable-bad-cli-value":               {line: 1, summary: "weight"},
	"env-var-bad-type":                     {line: 1, summary: "weight"},
	"variable-no-value":                    {line: 1, summary: "weight"},
	"variable-bad-default-type":            {line: 3, summary: "number"},
	"var-file-syntax-error":                {file: "vars/bad.vars", line: 1, summary: "expression"},
	"locals-cycle":                         {line: 2, summary: "cycle"},
	"unknown-function":                     {line: 2, summary: "uppercase"},
	"dynamic-bad-for-each":                 {line: 3, summary: "for_each"},
	"dynamic-unknown-block":                {line: 2, summary: "backends"},
	"no-hcl-files":                         {line: 0, summary: ".hcl"},
	"dynamic-cluster-over-clusters":        {line: 6, summary: "cluster.*"},
	"dynamic-listener-over-listener-local": {line: 6, summary: "local.addrs"},
	"variable-no-value-dynamic":            {line: 1, summary: "backends"},
}

// catalogueOptions reads dir/options.txt into Options. The environment is
// always given explicitly, so that the test's own SOZU_VAR_ variables
// cannot leak in.
func catalogueOptions(t *testing.T, dir string) Options {
	t.Helper()
	opts := Options{Environ: []string{}}
	f, err := os.Open(filepath.Join(dir, "options.txt"))
	if os.IsNotExist(err) {
		return opts
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch kind {
		case "":
		case "var":
			name, value, _ := strings.Cut(arg, "=")
			if opts.Vars == nil {
				opts.Vars = map[string]string{}
			}
			opts.Vars[name] = value
		case "var-file":
			opts.VarFiles = append(opts.VarFiles, filepath.Join(dir, arg))
		case "env":
			opts.Environ = append(opts.Environ, arg)
		default:
			t.Fatalf("options.txt: unknown option %q", kind)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return opts
}

// renderCatalogue writes diags one per paragraph: severity, file:line:col
// (file names relative to dir), summary, and the detail indented.
func renderCatalogue(dir string, diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		pos := "-"
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d:%d", relName(dir, d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)
		}
		fmt.Fprintf(&b, "%s %s: %s\n", sev, pos, d.Summary)
		if d.Detail != "" {
			detail := strings.ReplaceAll(d.Detail, dir+string(filepath.Separator), "")
			for _, l := range strings.Split(detail, "\n") {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
	}
	return b.String()
}

// relName returns name relative to dir when it is inside it, with forward
// slashes, so that goldens do not depend on where the tests run.
func relName(dir, name string) string {
	if rel, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(name)
}

func TestCatalogue(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := catalogue[name]
			if !ok {
				t.Fatalf("testdata/invalid/%s has no entry in the catalogue table", name)
			}
			dir := filepath.Join("testdata", "invalid", name)
			opts := catalogueOptions(t, dir)
			diags := loadNoPanic(t, dir, opts)

			got := renderCatalogue(dir, diags)
			golden.CheckString(t, filepath.Join(dir, "want.txt"), got)

			if want.valid == diags.HasErrors() {
				t.Fatalf("valid = %t, want %t:\n%s", !diags.HasErrors(), want.valid, got)
			}
			sev := hcl.DiagError
			if want.valid {
				sev = hcl.DiagWarning
			}
			var first *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == sev {
					first = d
					break
				}
			}
			if first == nil {
				t.Fatalf("no diagnostic of severity %v:\n%s", sev, got)
			}
			text := strings.ToLower(first.Summary + " " + first.Detail)
			if !strings.Contains(text, strings.ToLower(want.summary)) {
				t.Errorf("first diagnostic does not mention %q:\n%s", want.summary, got)
			}
			if want.line == 0 {
				return
			}
			if first.Subject == nil {
				t.Fatalf("first diagnostic has no position, want line %d:\n%s", want.line, got)
			}
			file := want.file
			if file == "" {
				file = "main.hcl"
			}
			if gotFile := relName(dir, first.Subject.Filename); gotFile != file || first.Subject.Start.Line != want.line {
				t.Errorf("first diagnostic at %s:%d, want %s:%d:\n%s", gotFile, first.Subject.Start.Line, file, want.line, got)
			}
		})
	}
	for name := range catalogue {
		if !seen[name] {
			t.Errorf("catalogue entry %q has no directory under testdata/invalid", name)
		}
	}
	if len(seen) < 30 {
		t.Errorf("the catalogue has %d cases, want at least 30", len(seen))
	}
}

// loadNoPanic loads dir and fails the test, instead of crashing, when the
// loader panics.
func loadNoPanic(t *testing.T, dir string, opts Options) (diags hcl.Diagnostics) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Load panicked: %v", r)
		}
	}()
	_, diags = Load(dir, opts)
	return diags
}

// TestCatalogueValidCounterparts checks that the configurations the
// catalogue's invalid ones are variations of are themselves valid without
// warnings: SPEC §3's example and every example under examples/ (loaded by
// TestExamples) — so that each catalogue entry fails for its own reason.
func TestCatalogueValidCounterparts(t *testing.T) {
	dir := filepath.Join("testdata", "spec-example")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no SPEC §3 example in testdata/spec-example")
	}
	diags := loadNoPanic(t, dir, Options{Environ: []string{}})
	if len(diags) > 0 {
		t.Errorf("SPEC §3 example: %s", renderCatalogue(dir, diags))
	}
}
