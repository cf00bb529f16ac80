package sozu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// DefaultMaxFrameSize is the largest frame, prefix included, accepted by
// default. It equals Sōzu's default max_command_buffer_size: Sōzu refuses
// longer frames from clients and cannot send longer answers.
const DefaultMaxFrameSize = 2_000_000

// PrefixSize is the size of a frame's length prefix. The prefix holds the
// length of the whole frame, its own 8 bytes included, as a little-endian
// unsigned integer.
const PrefixSize = 8

// readChunk bounds the first allocation for a frame body, so that a peer
// declaring a large length and then sending little costs little memory.
const readChunk = 64 << 10

// AppendFrame appends the frame carrying m to b and returns the extended
// slice. Proto2 required fields are checked: a message missing one gives an
// *EncodeError and b is returned unchanged.
func AppendFrame(b []byte, m proto.Message) ([]byte, error) {
	if m == nil {
		return b, &EncodeError{Message: "<nil>", Err: errors.New("no message")}
	}
	start := len(b)
	b = append(b, make([]byte, PrefixSize)...)
	out, err := proto.MarshalOptions{}.MarshalAppend(b, m)
	if err != nil {
		return b[:start], &EncodeError{Message: messageName(m), Err: err}
	}
	binary.LittleEndian.PutUint64(out[start:], uint64(len(out)-start))
	return out, nil
}

// WriteFrame writes one frame: the 8-byte little-endian length of the whole
// frame (prefix included), then the protobuf encoding of m, in a single Write
// call. Proto2 required fields are checked first: a message missing one gives
// an *EncodeError and nothing is written.
func WriteFrame(w io.Writer, m proto.Message) error {
	frame, err := AppendFrame(nil, m)
	if err != nil {
		return err
	}
	if _, err := w.Write(frame); err != nil {
		return fmt.Errorf("sozu: writing %d-byte frame: %w", len(frame), err)
	}
	return nil
}

// ReadFrame reads one frame from r and returns its payload (the bytes after
// the prefix). max bounds the declared length, prefix included; max <= 0
// means DefaultMaxFrameSize. A declared length below 8 or above max, or a
// stream that ends inside the frame, gives a *FrameError; a stream that ends
// cleanly before the first byte gives io.EOF itself. The payload buffer never
// grows beyond the declared length, so a huge declared length costs nothing.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxFrameSize
	}
	var prefix [PrefixSize]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &FrameError{Problem: FrameTruncated, Reason: fmt.Sprintf("stream ended after %d of the %d length bytes", n, PrefixSize), Err: err}
		}
		return nil, err
	}
	declared := binary.LittleEndian.Uint64(prefix[:])
	if declared < PrefixSize {
		return nil, &FrameError{Problem: FrameTooShort, Reason: fmt.Sprintf("declared length %d is below the %d bytes of the length prefix", declared, PrefixSize), Length: declared}
	}
	if declared > uint64(max) {
		return nil, &FrameError{Problem: FrameTooLong, Reason: fmt.Sprintf("declared length %d exceeds the maximum of %d bytes", declared, max), Length: declared}
	}
	size := int(declared) - PrefixSize
	buf := make([]byte, 0, min(size, readChunk))
	for len(buf) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*cap(buf), size))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && len(buf) < size {
			if errors.Is(err, io.EOF) {
				return nil, &FrameError{Problem: FrameTruncated, Reason: fmt.Sprintf("stream ended after %d of the %d payload bytes", len(buf), size), Length: declared, Err: io.ErrUnexpectedEOF}
			}
			return nil, err
		}
	}
	return buf, nil
}

// unmarshalLenient decodes as Sōzu does: required fields may be missing and
// unknown fields are kept.
var unmarshalLenient = proto.UnmarshalOptions{AllowPartial: true, DiscardUnknown: false}

// ReadRequest reads one frame and decodes it as a Request. A payload that is
// not valid protobuf gives a *FrameError; missing required fields are
// accepted (their getters give the declared defaults).
func ReadRequest(r io.Reader, max int) (*sozupb.Request, error) {
	payload, err := ReadFrame(r, max)
	if err != nil {
		return nil, err
	}
	req := &sozupb.Request{}
	if err := unmarshalLenient.Unmarshal(payload, req); err != nil {
		return nil, &FrameError{Problem: FrameUndecodable, Reason: "payload is not a valid Request", Length: uint64(len(payload) + PrefixSize), Err: err}
	}
	return req, nil
}

// ReadResponse reads one frame and decodes it as a Response. A payload that
// is not valid protobuf gives a *FrameError; missing required fields are
// accepted (a missing status reads as FAILURE, its declared default).
func ReadResponse(r io.Reader, max int) (*sozupb.Response, error) {
	payload, err := ReadFrame(r, max)
	if err != nil {
		return nil, err
	}
	resp := &sozupb.Response{}
	if err := unmarshalLenient.Unmarshal(payload, resp); err != nil {
		return nil, &FrameError{Problem: FrameUndecodable, Reason: "payload is not a valid Response", Length: uint64(len(payload) + PrefixSize), Err: err}
	}
	return resp, nil
}

func messageName(m proto.Message) string {
	if m == nil {
		return "<nil>"
	}
	return string(m.ProtoReflect().Descriptor().FullName())
}
