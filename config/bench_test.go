package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sozuctl-plan/sozuctl-plan/internal/benchdata"
)

// The configurations of SPEC §8 come from internal/benchdata: N clusters
// with 3 backends and 2 HTTP frontends each, written out literally or
// generated from a JSON data file by nested dynamic blocks.

// benchClusters is the size of SPEC §8.
const benchClusters = benchdata.Clusters

// writeLiteralConfig writes, into dir, the configuration of n clusters
// written out literally, and returns the paths of the files.
func writeLiteralConfig(tb testing.TB, dir string, n int) []string {
	tb.Helper()
	return mustWrite(tb, benchdata.WriteLiteral, dir, n)
}

// writeDynamicConfig writes, into dir, the data-driven form of the same n
// clusters: main.hcl and services.json. It returns the paths of both.
func writeDynamicConfig(tb testing.TB, dir string, n int) []string {
	tb.Helper()
	return mustWrite(tb, benchdata.WriteDynamic, dir, n)
}

// mustWrite runs one of benchdata's writers, failing tb on an error.
func mustWrite(tb testing.TB, write func(string, int) ([]string, error), dir string, n int) []string {
	tb.Helper()
	files, err := write(dir, n)
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// totalSize is the sum of the sizes of files.
func totalSize(tb testing.TB, files []string) int64 {
	var n int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			tb.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// parseOnly parses the .hcl files with hclsyntax alone: the floor of SPEC §8.
func parseOnly(tb testing.TB, files []string) {
	for _, f := range files {
		if !strings.HasSuffix(f, ".hcl") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if _, diags := hclsyntax.ParseConfig(src, filepath.Base(f), hcl.InitialPos); diags.HasErrors() {
			tb.Fatal(diags.Error())
		}
	}
}

func benchLoad(tb testing.TB, dir string) *Config {
	cfg, diags := Load(dir, Options{Environ: []string{}})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	return cfg
}

func BenchmarkParseOnly(b *testing.B) {
	dir := b.TempDir()
	files := writeLiteralConfig(b, dir, benchClusters)
	b.SetBytes(totalSize(b, files))
	b.ReportAllocs()
	for b.Loop() {
		parseOnly(b, files)
	}
}

func BenchmarkLoadLiteral(b *testing.B) {
	dir := b.TempDir()
	files := writeLiteralConfig(b, dir, benchClusters)
	b.SetBytes(totalSize(b, files))
	b.ReportAllocs()
	for b.Loop() {
		benchLoad(b, dir)
	}
}

func BenchmarkLoadDynamic(b *testing.B) {
	dir := b.TempDir()
	files := writeDynamicConfig(b, dir, benchClusters)
	b.SetBytes(totalSize(b, files))
	b.ReportAllocs()
	for b.Loop() {
		benchLoad(b, dir)
	}
}

// benchData, when set, is a directory where TestWriteBenchData writes the
// two benchmark configurations (literal/ and dynamic/), for measuring whole
// processes (peak memory with /usr/bin/time -v sozuctl-plan validate ...).
var benchData = flag.String("benchdata", "", "write the SPEC §8 benchmark configurations into `DIR` and stop")

func TestWriteBenchData(t *testing.T) {
	if *benchData == "" {
		t.Skip("no -benchdata DIR")
	}
	for _, sub := range []string{"literal", "dynamic"} {
		if err := os.MkdirAll(filepath.Join(*benchData, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeLiteralConfig(t, filepath.Join(*benchData, "literal"), benchClusters)
	writeDynamicConfig(t, filepath.Join(*benchData, "dynamic"), benchClusters)
}

// TestBenchFormsAgree checks that the literal and the data-driven forms of
// the benchmark configuration describe the same state (a small N; the full
// size in -short-less runs would take longer than a unit test should).
func TestBenchFormsAgree(t *testing.T) {
	n := 50
	lit := benchLoad(t, func() string { d := t.TempDir(); writeLiteralConfig(t, d, n); return d }())
	dyn := benchLoad(t, func() string { d := t.TempDir(); writeDynamicConfig(t, d, n); return d }())
	if got, want := lit.Desired.Len(), 1+n*6; got != want {
		t.Errorf("literal form has %d objects, want %d", got, want)
	}
	if !lit.Desired.Equal(dyn.Desired) {
		t.Errorf("literal and dynamic forms differ: %d and %d objects", lit.Desired.Len(), dyn.Desired.Len())
	}
	// The comparison can fail: one cluster fewer is another state.
	fewer := benchLoad(t, func() string { d := t.TempDir(); writeDynamicConfig(t, d, n-1); return d }())
	if lit.Desired.Equal(fewer.Desired) {
		t.Error("states of 50 and 49 clusters compare equal")
	}
}

// TestBenchFilesCanonical checks that the generated files are what fmt
// writes, so that the benchmark parses HCL as people write it.
func TestBenchFilesCanonical(t *testing.T) {
	files := append(writeLiteralConfig(t, t.TempDir(), 1200), writeDynamicConfig(t, t.TempDir(), 3)[0])
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, diags := Format(src, f)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", f, diags.Error())
		}
		if string(out) != string(src) {
			t.Errorf("%s is not in canonical form", filepath.Base(f))
		}
	}
}

// TestBenchSizes checks that the generated files have the sizes SPEC §8
// speaks of (4.8 MB of HCL, a 2 MB data file), so that the benchmark
// measures what the figures in docs/performance.md claim.
func TestBenchSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 7 MB")
	}
	lit := totalSize(t, writeLiteralConfig(t, t.TempDir(), benchClusters))
	dynFiles := writeDynamicConfig(t, t.TempDir(), benchClusters)
	js := totalSize(t, dynFiles[1:])
	t.Logf("literal form: %d bytes; data file: %d bytes", lit, js)
	if lit < 4_000_000 || lit > 5_600_000 {
		t.Errorf("literal configuration is %d bytes, want about 4.8 MB", lit)
	}
	if js < 1_500_000 || js > 2_600_000 {
		t.Errorf("data file is %d bytes, want about 2 MB", js)
	}
}
