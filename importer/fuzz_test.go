package importer

import (
	"path/filepath"
	"testing"
)

// FuzzFromTOML feeds arbitrary files to the TOML reader: it must never
// panic, a file it accepts must give a state that renders as HCL without
// error, and when rendering has no warning that HCL must load back Equal
// and plan no change. The seed corpus under testdata/fuzz/FuzzFromTOML runs in
// every go test.
func FuzzFromTOML(f *testing.F) {
	f.Add([]byte(readTestdata(f, "toml/example.toml")))
	f.Add([]byte("[[listeners]]\nprotocol = \"http\"\naddress = \"0.0.0.0:80\"\n"))
	f.Add([]byte("[clusters.a]\nprotocol = \"tcp\"\nfrontends = [{ address = \"[::1]:1\" }]\nbackends = [{ address = \"10.0.0.1:1\", weight = 7 }]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join("testdata", "toml", "fuzz.toml")
		s, _, err := parseTOML(path, data)
		if err != nil {
			if s != nil {
				t.Fatalf("a state and an error: %v", err)
			}
			return
		}
		out, err := Render(s)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if len(out.Warnings) == 0 {
			roundTrip(t, s) // the import contract
		}
	})
}
