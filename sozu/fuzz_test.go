package sozu

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// FuzzReadFrame feeds arbitrary bytes and maxima to ReadFrame: it must not
// panic, must never hand back more than max bytes (a huge declared length is
// refused before any allocation), and a frame it accepts must re-encode to
// the bytes it consumed.
func FuzzReadFrame(f *testing.F) {
	for _, g := range goldenFrames {
		f.Add(unhex(f, g.hex), uint32(0))
	}
	f.Add([]byte(le(1<<62)), uint32(0))
	f.Add([]byte(le(5)+"abc"), uint32(100))
	f.Add([]byte(le(30)+"abc"), uint32(100))
	f.Fuzz(func(t *testing.T, data []byte, max32 uint32) {
		max := int(max32 % (4 << 20))
		limit := max
		if limit <= 0 {
			limit = DefaultMaxFrameSize
		}
		r := bytes.NewReader(data)
		payload, err := ReadFrame(r, max)
		if err != nil {
			var fe *FrameError
			if err != io.EOF && !errors.As(err, &fe) {
				t.Fatalf("error of unexpected type %T: %v", err, err)
			}
			if cap(payload) > 0 {
				t.Fatalf("payload returned with an error")
			}
			return
		}
		if len(payload)+PrefixSize > limit || cap(payload) > limit {
			t.Fatalf("payload of len %d cap %d exceeds max %d", len(payload), cap(payload), limit)
		}
		consumed := len(data) - r.Len()
		if consumed != len(payload)+PrefixSize || !bytes.Equal(data[PrefixSize:consumed], payload) {
			t.Fatalf("consumed %d bytes for a %d-byte payload", consumed, len(payload))
		}
	})
}

// FuzzReadResponse decodes arbitrary frames as Responses: no panic, only
// io.EOF or *FrameError as errors, and every decoded Response re-encodes and
// decodes to an equal message.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte(le(8)))
	f.Add([]byte(le(13) + "\x08\x00\x12\x01x"))
	f.Add([]byte(le(11) + "\x0a\x05z"))
	f.Add([]byte(le(15) + "\x08\x02\x12\x00\x1a\x03\x2a\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := ReadResponse(bytes.NewReader(data), 1<<16)
		if err != nil {
			var fe *FrameError
			if err != io.EOF && !errors.As(err, &fe) {
				t.Fatalf("error of unexpected type %T: %v", err, err)
			}
			return
		}
		enc := proto.MarshalOptions{AllowPartial: true, Deterministic: true}
		b, err := enc.Marshal(resp)
		if err != nil {
			t.Fatalf("re-encoding a decoded Response: %v", err)
		}
		again := &sozupb.Response{}
		if err := unmarshalLenient.Unmarshal(b, again); err != nil {
			t.Fatalf("decoding a re-encoded Response: %v", err)
		}
		b2, err := enc.Marshal(again)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("encoding is not stable: %x then %x (%v)", b, b2, err)
		}
	})
}
