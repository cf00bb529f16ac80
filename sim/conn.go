package sim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"

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
		for _, a := range answers {
			if s.faults.Delay > 0 {
				time.Sleep(s.faults.Delay)
			}
			frame, err := sozu.AppendFrame(nil, a)
			if err != nil {
				s.log.Error("sim: encoding answer", "error", err)
				return
			}
			if len(frame) > s.maxFrame {
				// Sōzu cannot write an answer beyond its buffer: it closes
				// the session without a word.
				s.log.Debug("sim: answer too big, closing connection", "bytes", len(frame))
				return
			}
			if _, err := c.Write(frame); err != nil {
				return
			}
		}
	}
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
