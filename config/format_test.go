package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func TestFormatGolden(t *testing.T) {
	ins, err := filepath.Glob(filepath.Join("testdata", "format", "*.in"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) == 0 {
		t.Fatal("no testdata/format/*.in files")
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, diags := Format(src, name+".hcl")
			if diags.HasErrors() {
				t.Fatalf("Format: %s", diags.Error())
			}
			golden.Check(t, strings.TrimSuffix(in, ".in")+".golden", got)
			// The canonical form is a fixed point.
			again, diags := Format(got, name+".hcl")
			if diags.HasErrors() {
				t.Fatalf("Format of formatted output: %s", diags.Error())
			}
			if !bytes.Equal(again, got) {
				t.Errorf("Format is not idempotent on %s:\n%s\n---\n%s", in, got, again)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", "", ""},
		{"only blank lines", "\n\n  \n", ""},
		{"adds final newline", `a = 1`, "a = 1\n"},
		{"trims extra final newlines", "a = 1\n\n\n", "a = 1\n"},
		{"aligns equals", "a = 1\nbbb = 2\n", "a   = 1\nbbb = 2\n"},
		{"indents blocks", "cluster \"x\" {\nbackend \"b\" {\naddress = \"10.0.0.1:80\"\n}\n}\n",
			"cluster \"x\" {\n  backend \"b\" {\n    address = \"10.0.0.1:80\"\n  }\n}\n"},
		{"tls versions", `versions = ["TLS_V12", "TLS_V13", "tls_v10", "TLS_V11"]` + "\n",
			`versions = ["TLS_V1_2", "TLS_V1_3", "TLS_V1_0", "TLS_V1_1"]` + "\n"},
		{"proto names unchanged", `versions = ["TLS_V1_2", "TLS_V1_3"]` + "\n",
			`versions = ["TLS_V1_2", "TLS_V1_3"]` + "\n"},
		{"header position", "header {\nposition = \"response\"\n}\n", "header {\n  position = \"RESPONSE\"\n}\n"},
		{"rule position", "position = \"pre\"\n", "position = \"PRE\"\n"},
		{"redirect scheme", "redirect_scheme = \"use-https\"\n", "redirect_scheme = \"USE_HTTPS\"\n"},
		{"redirect", "redirect = \"permanent\"\n", "redirect = \"PERMANENT\"\n"},
		{"load balancing", "load_balancing = \"round_robin\"\n", "load_balancing = \"ROUND_ROBIN\"\n"},
		{"load metric", "load_metric = \"connection_time\"\n", "load_metric = \"CONNECTION_TIME\"\n"},
		{"proxy protocol", "proxy_protocol = \"expect_header\"\n", "proxy_protocol = \"EXPECT_HEADER\"\n"},
		{"unknown value left alone", "load_balancing = \"fastest\"\n", "load_balancing = \"fastest\"\n"},
		{"other attribute left alone", "hostname = \"random\"\n", "hostname = \"random\"\n"},
		{"template left alone", "load_balancing = \"${var.lb}\"\n", "load_balancing = \"${var.lb}\"\n"},
		{"expression left alone", "load_balancing = var.lb\n", "load_balancing = var.lb\n"},
		{"conditional literals", "load_balancing = var.x ? \"random\" : \"maglev\"\n",
			"load_balancing = var.x ? \"RANDOM\" : \"MAGLEV\"\n"},
		{"inside dynamic content", "dynamic \"header\" {\nfor_each = []\ncontent {\nposition = \"both\"\n}\n}\n",
			"dynamic \"header\" {\n  for_each = []\n  content {\n    position = \"BOTH\"\n  }\n}\n"},
		{"comments kept", "# top\na = 1 # trailing\n", "# top\na = 1 # trailing\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := Format([]byte(tt.src), "main.hcl")
			if diags.HasErrors() {
				t.Fatalf("Format: %s", diags.Error())
			}
			if string(got) != tt.want {
				t.Errorf("Format(%q)\n got %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestFormatSyntaxErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantLine int
	}{
		{"unclosed block", "cluster \"a\" {\n  backend \"b\" {\n}\n", 1},
		{"missing value", "a = \n", 1},
		{"bad token", "cluster \"a\" {\n  x = 1 +\n}\n", 2},
		{"unterminated string", "a = \"abc\n", 1},
		{"stray brace", "}\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := Format([]byte(tt.src), "main.hcl")
			if !diags.HasErrors() {
				t.Fatalf("Format(%q) = %q, want syntax error", tt.src, got)
			}
			if got != nil {
				t.Errorf("Format returned output %q along with errors", got)
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Filename != "main.hcl" {
				t.Fatalf("diagnostic without main.hcl subject: %v", d)
			}
			if d.Subject.Start.Line != tt.wantLine {
				t.Errorf("error on line %d, want %d: %s", d.Subject.Start.Line, tt.wantLine, d.Error())
			}
		})
	}
}

func TestCanonicalEnumName(t *testing.T) {
	// Whatever fmt rewrites, the loader reads as the same value.
	for name, enums := range EnumAttributes {
		for _, e := range enums {
			for i := 0; i < e.Values().Len(); i++ {
				v := e.Values().Get(i)
				for _, spelling := range []string{string(v.Name()), strings.ToLower(string(v.Name())), strings.ReplaceAll(strings.ToLower(string(v.Name())), "_", "-")} {
					got, ok := CanonicalEnumName(spelling, enums...)
					if !ok || got != string(v.Name()) {
						t.Errorf("%s: CanonicalEnumName(%q) = %q, %v; want %q", name, spelling, got, ok, v.Name())
					}
				}
			}
		}
	}

	tls := sozupb.TlsVersion(0).Descriptor()
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"TLS_V1_3", "TLS_V1_3", true},
		{"TLS_V13", "TLS_V1_3", true},
		{"tls_v12", "TLS_V1_2", true},
		{"SSL_V3", "SSL_V3", true},
		{"TLS_V14", "", false},
		{"", "", false},
		{"TLS", "", false},
	}
	for _, tt := range tests {
		got, ok := CanonicalEnumName(tt.in, tls)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("CanonicalEnumName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
	if got, ok := CanonicalEnumName("both", EnumAttributes["position"]...); !ok || got != "BOTH" {
		t.Errorf("position both = %q, %v", got, ok)
	}
	if got, ok := CanonicalEnumName("tree", EnumAttributes["position"]...); !ok || got != "TREE" {
		t.Errorf("position tree = %q, %v", got, ok)
	}
}

// FuzzFormat checks that Format never panics, that what it accepts it turns
// into a file that parses and is its own canonical form.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{
		"a = 1\n",
		"cluster \"api\" {\n  backend \"b\" { address = \"10.0.0.1:80\" }\n}\n",
		"versions = [\"TLS_V13\"]\n",
		"x = <<EOT\nhello\nEOT\n",
		"dynamic \"backend\" {\n for_each = var.m\n content { weight = 1 }\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, diags := Format(src, "fuzz.hcl")
		if diags.HasErrors() {
			return
		}
		if _, pd := hclsyntax.ParseConfig(out, "fuzz.hcl", hcl.InitialPos); pd.HasErrors() {
			t.Fatalf("formatted output does not parse: %s\ninput: %q\noutput: %q", pd.Error(), src, out)
		}
		again, diags := Format(out, "fuzz.hcl")
		if diags.HasErrors() {
			t.Fatalf("formatted output rejected: %s", diags.Error())
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\ninput: %q\nonce:  %q\ntwice: %q", src, out, again)
		}
	})
}

func BenchmarkFormat(b *testing.B) {
	src := []byte(strings.Repeat("cluster \"api\" {\nload_balancing = \"round_robin\"\nbackend \"b\" {\naddress = \"10.0.0.1:80\"\nweight=100\n}\n}\n", 200))
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, diags := Format(src, "bench.hcl"); diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}
