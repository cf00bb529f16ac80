package sim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// serveConn serves one client connection: one request at a time, each
// answered completely before the next one is read.
func (s *Simulator) serveConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		req, err := sozu.ReadRequest(br, s.maxFrame)
		if err != nil {
			var fe *sozu.FrameError
			if errors.As(err, &fe) && fe.Length < sozu.PrefixSize && fe.Err == nil {
				// Sōzu skips the 8 prefix bytes of a frame declaring less
				// than its own prefix, and reads on.
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				// Sōzu leaves an oversized or undecodable frame in its buffer
				// and never answers again on that connection; closing says
				// the same thing sooner.
				s.log.Debug("sim: closing connection", "error", err)
			}
			return
		}
		// Frames that arrived together: Sōzu keeps only the last one.
		for s.frameBuffered(br) {
			next, err := sozu.ReadRequest(br, s.maxFrame)
			if err != nil {
				return
			}
			s.log.Debug("sim: more than one request at a time, dropping one", "verb", sozu.Verb(req))
			req = next
		}
		answers, drop := s.handle(req)
		if drop {
			return
		}
		if !s.writeAnswers(c, answers) {
			return
		}
	}
}

// writeAnswers writes the answers to one request and reports whether the
// connection is still usable. Without a delay the frames go out in one
// write; an answer beyond the frame limit ends the connection, as Sōzu ends
// it when it cannot write an answer (the answers before it are sent).
func (s *Simulator) writeAnswers(c net.Conn, answers []*sozupb.Response) bool {
	var buf []byte
	for _, a := range answers {
		start := len(buf)
		var err error
		buf, err = appendAnswer(buf, a)
		if err != nil {
			s.log.Error("sim: encoding answer", "error", err)
			return false
		}
		size := len(buf) - start
		tooBig := size > s.maxFrame
		if tooBig {
			buf = buf[:start]
			s.log.Debug("sim: answer too big, closing connection", "bytes", size)
		}
		if s.faults.Delay > 0 || tooBig {
			if s.faults.Delay > 0 && !tooBig {
				time.Sleep(s.faults.Delay)
			}
			if len(buf) > 0 {
				if _, err := c.Write(buf); err != nil {
					return false
				}
			}
			buf = buf[:0]
		}
		if tooBig {
			return false
		}
	}
	if len(buf) > 0 {
		if _, err := c.Write(buf); err != nil {
			return false
		}
	}
	return true
}

// appendAnswer appends the frame of an answer to b. Required fields are not
// checked: an object stored from a request that lacked one (Sōzu accepts
// such requests, its decoder filling in defaults) is still listed, where a
// strict encoder would fail and leave the client without an answer.
func appendAnswer(b []byte, a *sozupb.Response) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, sozu.PrefixSize)...)
	out, err := proto.MarshalOptions{AllowPartial: true}.MarshalAppend(b, a)
	if err != nil {
		return b[:start], err
	}
	binary.LittleEndian.PutUint64(out[start:], uint64(len(out)-start))
	return out, nil
}

// frameBuffered reports whether a whole frame is already buffered in br.
func (s *Simulator) frameBuffered(br *bufio.Reader) bool {
	n := br.Buffered()
	if n < sozu.PrefixSize {
		return false
	}
	p, err := br.Peek(sozu.PrefixSize)
	if err != nil {
		return false
	}
	l := binary.LittleEndian.Uint64(p)
	return l >= sozu.PrefixSize && l <= uint64(s.maxFrame) && uint64(n) >= l
}

func answer(status sozupb.ResponseStatus, msg string, content *sozupb.ResponseContent) *sozupb.Response {
	return &sozupb.Response{Status: status.Enum(), Message: &msg, Content: content}
}

func ok(msg string, content *sozupb.ResponseContent) *sozupb.Response {
	return answer(sozupb.ResponseStatus_OK, msg, content)
}

func processing(msg string) *sozupb.Response {
	return answer(sozupb.ResponseStatus_PROCESSING, msg, nil)
}

func failure(msg string) *sozupb.Response {
	return answer(sozupb.ResponseStatus_FAILURE, msg, nil)
}
