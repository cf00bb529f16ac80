package config

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/sozuctl-plan/sozuctl-plan/internal/benchdata"
)

// jsonSamples are documents for comparing jsondecode with go-cty's own.
var jsonSamples = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `123456789012345678901234567890`,
	`"plain"`, `"esc\"aped\\n\u00e9\ud83d\ude00"`, `"caf\u0065\u0301"`, "\"caf\xc3\xa9\"", "\"bad\xff\"",
	`{"a": 1, "b": [true, null, "x"], "c": {"d": {}}}`,
	` { "services" : { "api" : { "hostname" : "api.example.com", "paths" : ["/", "/v1"] } } } `,
	`[1, [2, [3, []]]]`,
	// Documents go-cty rejects: the errors must be its own.
	``, ` `, `{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{"a":1}{}`, `01`, `1.`, `-`, `1e`, `tru`, `nul`,
	`{"a":1,"a":2}`, `"unterminated`, "\"ctl\x01\"", `[1 2]`, `{1:2}`, `"\x"`,
}

// TestJSONDecodeMatchesStdlib checks that jsondecode gives exactly go-cty's
// values, types and errors.
func TestJSONDecodeMatchesStdlib(t *testing.T) {
	for _, s := range jsonSamples {
		compareJSONDecode(t, s)
	}
	deep := strings.Repeat("[", maxJSONDepth+5) + strings.Repeat("]", maxJSONDepth+5)
	compareJSONDecode(t, deep)
}

func compareJSONDecode(t *testing.T, s string) {
	t.Helper()
	arg := []cty.Value{cty.StringVal(s)}
	want, wantErr := stdlib.JSONDecodeFunc.Call(arg)
	got, gotErr := jsonDecodeFunc().Call(arg)
	if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Errorf("jsondecode(%q): error %v, want %v", s, gotErr, wantErr)
		return
	}
	if wantErr == nil && !got.RawEquals(want) {
		t.Errorf("jsondecode(%q) = %#v, want %#v", s, got, want)
	}
}

// TestJSONDecodeFastPath checks that plain documents are read by the fast
// reader, not handed back to go-cty.
func TestJSONDecodeFastPath(t *testing.T) {
	for _, s := range []string{`{"a": [1, "b", null, {}]}`, `"x"`, `[]`} {
		if _, ok := decodeJSON(s); !ok {
			t.Errorf("decodeJSON(%q) declined", s)
		}
	}
	for _, s := range []string{`{"a":1,"a":2}`, `[1,]`, `01`} {
		if _, ok := decodeJSON(s); ok {
			t.Errorf("decodeJSON(%q) accepted", s)
		}
	}
}

// FuzzJSONDecode compares jsondecode with go-cty's on arbitrary text.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		compareJSONDecode(t, s)
	})
}

func BenchmarkJSONDecode(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := 0; i < 10000; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`"` + benchdata.ClusterID(i) + `":{"hostname":"` + benchdata.Hostname(i) + `","paths":["/","/api"],"backends":{"a":"10.0.0.1:80","b":"10.0.0.2:80","c":"10.0.0.3:80"}}`)
	}
	sb.WriteString("}")
	arg := []cty.Value{cty.StringVal(sb.String())}
	b.SetBytes(int64(sb.Len()))
	b.Run("config", func(b *testing.B) {
		for b.Loop() {
			if _, err := jsonDecodeFunc().Call(arg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-cty", func(b *testing.B) {
		for b.Loop() {
			if _, err := stdlib.JSONDecodeFunc.Call(arg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
