package statefile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// MaxRecordSize is the size, terminator included, that every record written
// by Encode stays under. Sōzu's load_state reads the file through a
// 200,000-byte buffer that it only compacts once half of it is consumed, so
// a record of 100,000 bytes or more can fail to load.
const MaxRecordSize = 100_000

// terminator ends every record: a newline, then a NUL byte.
const terminator = "\n\x00"

// ErrTruncated reports a file that ends inside a record, without the NUL
// byte that closes it.
var ErrTruncated = errors.New("the file ends inside a record, without the NUL byte that closes it")

// ErrEmptyRecord reports a NUL byte with no record before it.
var ErrEmptyRecord = errors.New("empty record before a NUL byte")

// RecordError is an error about one record of a state file.
type RecordError struct {
	Index  int   // the record's position in the file, from 1
	Offset int64 // the byte offset of the record's first byte in the file
	Err    error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d (byte %d): %v", e.Index, e.Offset, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// RecordTooLargeError reports a record that Sōzu's load_state could not
// read because of its size.
type RecordTooLargeError struct {
	ID     string // the record's id, such as "SAVE-12"
	Object string // what the record adds or changes, such as `ADD_CERTIFICATE on 0.0.0.0:443`
	Size   int    // the record's size in bytes, terminator included
}

func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("%s (%s) is %d bytes; Sōzu's load_state reads only records under %d bytes",
		e.ID, e.Object, e.Size, MaxRecordSize)
}

// MarshalRecord encodes one record as Sōzu writes it, without the
// terminator.
func MarshalRecord(rec *sozupb.WorkerRequest) ([]byte, error) {
	if rec == nil {
		return nil, errors.New("nil record")
	}
	b, err := encoder{}.appendMessage(nil, rec.ProtoReflect())
	if err != nil {
		return nil, fmt.Errorf("encoding record %q: %w", rec.GetId(), err)
	}
	return b, nil
}

// UnmarshalRecord decodes one record. Spaces, tabs and newlines around the
// JSON object are allowed, as they are in Sōzu; anything else after it is an
// error.
func UnmarshalRecord(data []byte) (*sozupb.WorkerRequest, error) {
	rec := &sozupb.WorkerRequest{}
	if err := unmarshalInto(data, rec.ProtoReflect()); err != nil {
		return nil, err
	}
	return rec, nil
}

func unmarshalInto(data []byte, m protoreflect.Message) error {
	d := decoder{data: data}
	if err := d.message(m); err != nil {
		return err
	}
	if d.peek() != 0 {
		return d.errorf("unexpected %q after the end of the record's JSON object", d.data[d.pos])
	}
	return nil
}

// Decode reads every record of a state file. Each record must be closed by
// a NUL byte (a newline before it is allowed); an empty input has no
// records. An error about a record is a *RecordError.
func Decode(r io.Reader) ([]*sozupb.WorkerRequest, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var recs []*sozupb.WorkerRequest
	var offset int64
	var long []byte
	for index := 1; ; index++ {
		chunk, err := br.ReadSlice(0)
		if errors.Is(err, bufio.ErrBufferFull) {
			// A record longer than the buffer: gather it.
			long = append(long[:0], chunk...)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice(0)
				long = append(long, chunk...)
			}
			chunk = long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, &RecordError{Index: index, Offset: offset, Err: fmt.Errorf("reading: %w", err)}
		}
		if errors.Is(err, io.EOF) {
			if len(chunk) > 0 {
				return nil, &RecordError{Index: index, Offset: offset, Err: ErrTruncated}
			}
			return recs, nil
		}
		body := chunk[:len(chunk)-1]
		if len(body) == 0 {
			return nil, &RecordError{Index: index, Offset: offset, Err: ErrEmptyRecord}
		}
		rec, derr := UnmarshalRecord(body)
		if derr != nil {
			return nil, &RecordError{Index: index, Offset: offset, Err: derr}
		}
		recs = append(recs, rec)
		offset += int64(len(chunk))
	}
}

// Encode writes records in Sōzu's state-file format, each followed by
// "\n\0". It refuses, before writing anything, a record that would be
// MaxRecordSize bytes or more (a *RecordError wrapping a
// *RecordTooLargeError).
func Encode(w io.Writer, recs []*sozupb.WorkerRequest) error {
	var buf bytes.Buffer
	var offset int64
	for i, rec := range recs {
		b, err := MarshalRecord(rec)
		if err != nil {
			return &RecordError{Index: i + 1, Offset: offset, Err: err}
		}
		size := len(b) + len(terminator)
		if size >= MaxRecordSize {
			return &RecordError{Index: i + 1, Offset: offset, Err: &RecordTooLargeError{
				ID: rec.GetId(), Object: Describe(rec.GetContent()), Size: size,
			}}
		}
		buf.Write(b)
		buf.WriteString(terminator)
		offset += int64(size)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing state records: %w", err)
	}
	return nil
}

// Verb returns the name a state file gives the kind of req, such as
// "ADD_CLUSTER" or "LOGGING", or "" for a request with no content.
func Verb(req *sozupb.Request) string {
	if req == nil || req.GetRequestType() == nil {
		return ""
	}
	m := req.ProtoReflect()
	return variantName(m.WhichOneof(m.Descriptor().Oneofs().ByName("request_type")))
}

// Describe names what a request acts on, for messages: its verb as Sōzu's
// state files spell it, and the identity of its object, such as
// `ADD_BACKEND api/api-1 10.0.0.1:8080`.
func Describe(req *sozupb.Request) string {
	if req == nil || req.GetRequestType() == nil {
		return "empty request"
	}
	m := req.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("request_type"))
	verb := variantName(fd)
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	addr := func(a *sozupb.SocketAddress) {
		if a != nil {
			add(state.FormatAddress(a))
		}
	}
	switch r := req.GetRequestType().(type) {
	case *sozupb.Request_AddCluster:
		add(fmt.Sprintf("%q", r.AddCluster.GetClusterId()))
	case *sozupb.Request_RemoveCluster:
		add(fmt.Sprintf("%q", r.RemoveCluster))
	case *sozupb.Request_RemoveHealthCheck:
		add(fmt.Sprintf("%q", r.RemoveHealthCheck))
	case *sozupb.Request_SetHealthCheck:
		add(fmt.Sprintf("%q", r.SetHealthCheck.GetClusterId()))
	case *sozupb.Request_AddBackend:
		add(r.AddBackend.GetClusterId() + "/" + r.AddBackend.GetBackendId())
		addr(r.AddBackend.GetAddress())
	case *sozupb.Request_RemoveBackend:
		add(r.RemoveBackend.GetClusterId() + "/" + r.RemoveBackend.GetBackendId())
		addr(r.RemoveBackend.GetAddress())
	case *sozupb.Request_AddCertificate:
		add("on")
		addr(r.AddCertificate.GetAddress())
		if n := r.AddCertificate.GetCertificate().GetNames(); len(n) > 0 {
			add("for " + strings.Join(n, ", "))
		}
	case *sozupb.Request_ReplaceCertificate:
		add("on")
		addr(r.ReplaceCertificate.GetAddress())
		add("replacing " + r.ReplaceCertificate.GetOldFingerprint())
	case *sozupb.Request_RemoveCertificate:
		add("on")
		addr(r.RemoveCertificate.GetAddress())
		add(r.RemoveCertificate.GetFingerprint())
	default:
		// Listeners and frontends: their address, and a hostname or a
		// cluster where they have one.
		inner := m.Get(fd)
		if fd.Kind() != protoreflect.MessageKind {
			add(fmt.Sprintf("%v", inner.Interface()))
			break
		}
		im := inner.Message()
		fields := im.Descriptor().Fields()
		if a := fields.ByName("address"); a != nil && a.Kind() == protoreflect.MessageKind {
			if sa, ok := im.Get(a).Message().Interface().(*sozupb.SocketAddress); ok {
				addr(sa)
			}
		}
		if h := fields.ByName("hostname"); h != nil {
			add(im.Get(h).String())
		}
		if c := fields.ByName("cluster_id"); c != nil && im.Has(c) {
			add("cluster " + fmt.Sprintf("%q", im.Get(c).String()))
		}
	}
	if len(parts) == 0 {
		return verb
	}
	return verb + " " + strings.Join(parts, " ")
}
