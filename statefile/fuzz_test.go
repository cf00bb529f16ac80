package statefile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, and what
// it accepts must survive Encode and Decode unchanged. The seed corpus under
// testdata/fuzz/FuzzDecode runs in every go test.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(okRecord + "\n\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, recs); err != nil {
			// Only the size limit may refuse what was read.
			var tl *RecordTooLargeError
			if !asTooLarge(err, &tl) {
				t.Fatalf("Encode of decoded records: %v", err)
			}
			return
		}
		again, err := Decode(&out)
		if err != nil {
			t.Fatalf("Decode of encoded records: %v\n%s", err, out.Bytes())
		}
		if diff := cmp.Diff(recs, again, protocmp.Transform()); diff != "" {
			t.Fatalf("round trip changed the records:\n%s", diff)
		}

		// The state the records build, written as Sōzu's save_state would
		// write it, reads back equal.
		res, err := LoadReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("LoadReader refused what Decode read: %v", err)
		}
		out.Reset()
		if err := Encode(&out, Records(res.State.Requests())); err != nil {
			return // a record over the size limit
		}
		back, err := LoadReader(&out)
		if err != nil {
			t.Fatalf("reading the saved state: %v", err)
		}
		for _, sk := range back.Skipped {
			// The one replay Sōzu refuses too: a certificate stored by
			// ReplaceCertificate without names, whose leaf is not X.509.
			if !strings.HasPrefix(sk.Object, "ADD_CERTIFICATE") {
				t.Fatalf("saved state: %s", sk)
			}
		}
		if len(back.Skipped) == 0 && !back.State.Equal(res.State) {
			t.Fatal("the saved state reads back different")
		}
	})
}
