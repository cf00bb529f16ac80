package statefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"
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

// Error returns "record N (byte OFFSET): " followed by the cause.
func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d (byte %d): %v", e.Index, e.Offset, e.Err)
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *RecordError) Unwrap() error { return e.Err }

// RecordTooLargeError reports a record that Sōzu's load_state could not
// read because of its size.
type RecordTooLargeError struct {
	ID     string // the record's id, such as "SAVE-12"
	Object string // what the record adds or changes, such as `ADD_CERTIFICATE on 0.0.0.0:443`
	Size   int    // the record's size in bytes, terminator included
}

// Error names the record, its object and its size.
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
	d := decoder{data: data}
	rec := &sozupb.WorkerRequest{}
	if err := d.record(rec, nil); err != nil {
		return nil, err
	}
	return rec, nil
}

// record decodes one record into m, using wire as scratch space, and
// returns the scratch space for reuse.
func (d *decoder) record(m proto.Message, wire []byte) error {
	wire, err := d.message(m.ProtoReflect().Descriptor(), wire[:0])
	if err != nil {
		return err
	}
	if d.peek() != 0 {
		return d.errorf("unexpected %q after the end of the record's JSON object", d.data[d.pos])
	}
	d.wire = wire
	// Every required field was checked while reading the JSON.
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(wire, m); err != nil {
		return fmt.Errorf("building the record: %w", err)
	}
	return nil
}

// Decode reads every record of a state file. Each record must be closed by
// a NUL byte (a newline before it is allowed); an empty input has no
// records. An error about a record is a *RecordError; when several records
// are bad, it is about the first. Large files are decoded on several cores.
func Decode(r io.Reader) ([]*sozupb.WorkerRequest, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading state records: %w", err)
	}
	var recs []*sozupb.WorkerRequest
	err = decodeRecords(data, func(rec *sozupb.WorkerRequest, _ int) {
		recs = append(recs, rec)
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// decodeChunk is the number of records a decoding goroutine takes at once.
const decodeChunk = 512

// decodeRecords decodes the records of data and passes them to use in file
// order, with their size in the file (NUL included). Other goroutines decode
// ahead while use runs. It stops at the first bad record, which it returns
// as a *RecordError.
func decodeRecords(data []byte, use func(rec *sozupb.WorkerRequest, size int)) error {
	// Split the records at NUL bytes.
	type span struct {
		start, end int // the record's body, without its NUL
	}
	var spans []span
	for start := 0; start < len(data); {
		i := bytes.IndexByte(data[start:], 0)
		if i < 0 {
			break
		}
		spans = append(spans, span{start, start + i})
		start += i + 1
	}
	type chunk struct {
		recs []*sozupb.WorkerRequest
		err  *RecordError
		done chan struct{}
	}
	chunks := make([]chunk, (len(spans)+decodeChunk-1)/decodeChunk)
	for c := range chunks {
		chunks[c].done = make(chan struct{})
	}
	decode := func(d *decoder, c int) {
		defer close(chunks[c].done)
		lo, hi := c*decodeChunk, min((c+1)*decodeChunk, len(spans))
		chunks[c].recs = make([]*sozupb.WorkerRequest, 0, hi-lo)
		for i := lo; i < hi; i++ {
			body := data[spans[i].start:spans[i].end]
			if len(body) == 0 {
				chunks[c].err = &RecordError{Index: i + 1, Offset: int64(spans[i].start), Err: ErrEmptyRecord}
				return
			}
			d.data, d.pos, d.depth = body, 0, 0
			rec := &sozupb.WorkerRequest{}
			if err := d.record(rec, d.wire); err != nil {
				chunks[c].err = &RecordError{Index: i + 1, Offset: int64(spans[i].start), Err: err}
				return
			}
			chunks[c].recs = append(chunks[c].recs, rec)
		}
	}
	var (
		next atomic.Int64
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	if len(chunks) == 1 {
		decode(&decoder{}, 0)
	} else {
		for w := min(runtime.GOMAXPROCS(0), 4, len(chunks)); w > 0; w-- {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var d decoder
				for {
					c := int(next.Add(1) - 1)
					if c >= len(chunks) || stop.Load() {
						return
					}
					decode(&d, c)
				}
			}()
		}
	}
	defer wg.Wait()
	for c := range chunks {
		<-chunks[c].done
		for j, rec := range chunks[c].recs {
			sp := spans[c*decodeChunk+j]
			use(rec, sp.end-sp.start+1)
		}
		chunks[c].recs = nil
		if chunks[c].err != nil {
			stop.Store(true)
			return chunks[c].err
		}
	}
	end := 0
	if len(spans) > 0 {
		end = spans[len(spans)-1].end + 1
	}
	if end < len(data) {
		return &RecordError{Index: len(spans) + 1, Offset: int64(end), Err: ErrTruncated}
	}
	return nil
}

// readAll reads r to its end, sizing the buffer from the file's size when
// r is a file.
func readAll(r io.Reader) ([]byte, error) {
	if st, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if info, err := st.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > 0 {
			buf := bytes.NewBuffer(make([]byte, 0, info.Size()+bytes.MinRead))
			_, err := buf.ReadFrom(r)
			return buf.Bytes(), err
		}
	}
	return io.ReadAll(r)
}

// Encode writes records in Sōzu's state-file format, each followed by
// "\n\0". It refuses, before writing anything, a record that would be
// MaxRecordSize bytes or more (a *RecordError wrapping a
// *RecordTooLargeError).
func Encode(w io.Writer, recs []*sozupb.WorkerRequest) error {
	// Records are gathered in chunks, so that a large file is not copied
	// over and over as one buffer grows, and written once all are known to
	// be fine.
	const chunkSize = 1 << 20
	var (
		chunks  [][]byte
		scratch []byte
		offset  int64
	)
	for i, rec := range recs {
		if rec == nil {
			return &RecordError{Index: i + 1, Offset: offset, Err: errors.New("nil record")}
		}
		var err error
		scratch, err = encoder{}.appendMessage(scratch[:0], rec.ProtoReflect())
		if err != nil {
			return &RecordError{Index: i + 1, Offset: offset, Err: fmt.Errorf("encoding record %q: %w", rec.GetId(), err)}
		}
		scratch = append(scratch, terminator...)
		if len(scratch) >= MaxRecordSize {
			return &RecordError{Index: i + 1, Offset: offset, Err: &RecordTooLargeError{
				ID: rec.GetId(), Object: Describe(rec.GetContent()), Size: len(scratch),
			}}
		}
		if n := len(chunks); n == 0 || cap(chunks[n-1])-len(chunks[n-1]) < len(scratch) {
			chunks = append(chunks, make([]byte, 0, max(chunkSize, len(scratch))))
		}
		last := &chunks[len(chunks)-1]
		*last = append(*last, scratch...)
		offset += int64(len(scratch))
	}
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			return fmt.Errorf("writing state records: %w", err)
		}
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
			v := fmt.Sprintf("%v", inner.Interface())
			if len(v) > 60 {
				v = v[:57] + "..."
			}
			add(v)
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
