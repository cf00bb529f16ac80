package statefile

import (
	"bytes"
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
	})
}
