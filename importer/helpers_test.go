package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// readTestdata returns a file of testdata/ as a string.
func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func addr(t testing.TB, s string) *sozupb.SocketAddress {
	t.Helper()
	a, err := state.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// roundTrip writes s as HCL into a new directory, loads it back and checks
// the import contract: no error, a desired state Equal to s, and a plan
// against s with no change; main.hcl must also be what fmt writes. It
// returns the output and the directory.
func roundTrip(t testing.TB, s *state.State) (*Output, string) {
	t.Helper()
	out, err := Render(s)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if formatted, diags := config.Format(out.Files[0].Data, MainFile); diags.HasErrors() || string(formatted) != string(out.Files[0].Data) {
		t.Fatalf("main.hcl is not in canonical form (fmt would change it):\n%s\n%s", diagText(diags), out.Files[0].Data)
	}
	dir := t.TempDir()
	if err := out.Write(dir, false); err != nil {
		t.Fatalf("Write: %v", err)
	}
	cfg, diags := config.Load(dir, config.Options{Environ: []string{}})
	if diags.HasErrors() || cfg == nil {
		t.Fatalf("loading the import:\n%s\n%s", diagText(diags), out.Files[0].Data)
	}
	if !cfg.Desired.Equal(s) {
		t.Fatalf("the import does not load back Equal:\n%s\nsource objects:\n%s\nloaded objects:\n%s",
			out.Files[0].Data, objectsText(s), objectsText(cfg.Desired))
	}
	p, err := planner.Compute(s, cfg.Desired, planner.Options{})
	if err != nil {
		t.Fatalf("planning: %v", err)
	}
	if p.HasChanges() {
		var b strings.Builder
		for _, c := range p.Changes {
			b.WriteString(string(c.Action) + " " + c.Address + "\n")
		}
		t.Fatalf("the plan against the source has changes:\n%s\n%s", b.String(), out.Files[0].Data)
	}
	return out, dir
}

func diagText(d hcl.Diagnostics) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.Error() + "\n")
	}
	return b.String()
}

func objectsText(s *state.State) string {
	var b strings.Builder
	for _, o := range s.Objects() {
		b.WriteString(o.Kind.String() + " " + o.Key + " " + prototextShort(state.Normalize(o.Message)) + "\n")
	}
	return b.String()
}

func prototextShort(m proto.Message) string {
	s := strings.ReplaceAll(m.(interface{ String() string }).String(), "\n", " ")
	if i := strings.Index(s, "BEGIN"); i >= 0 {
		s = s[:i] + "…"
	}
	return s
}
