package sim

import (
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// FuzzRequests runs sequences of decoded requests through the simulator,
// past the framing that FuzzServe mostly exercises: the input is a series of
// payloads, each preceded by its 2-byte little-endian length, decoded as
// Sōzu decodes a Request (missing required fields allowed). Whatever they
// hold, the simulator must not panic, must answer with zero or more
// PROCESSING then exactly one terminal answer (or nothing, for the requests
// Sōzu never answers), and must keep the main process and the workers
// answering queries. The seed corpus under testdata/fuzz/FuzzRequests holds
// sequences of valid requests of most verbs.
func FuzzRequests(f *testing.F) {
	seq := func(reqs ...*sozupb.Request) []byte {
		var out []byte
		for _, r := range reqs {
			b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(r)
			if err != nil {
				f.Fatal(err)
			}
			out = binary.LittleEndian.AppendUint16(out, uint16(len(b)))
			out = append(out, b...)
		}
		return out
	}
	f.Add(seq(addCluster("a"), addHTTPListener("0.0.0.0:80", false), activate("0.0.0.0:80", sozupb.ListenerType_HTTP),
		addHTTPFront(front("0.0.0.0:80", "A.example.com", "/", "a", sozupb.RulePosition_PRE)),
		addBackend("a", "a-1", "10.0.0.1:80"), removeCluster("a"), hashesReq()))
	f.Add(seq(addTCPListener("[::1]:5432"), addTCPFront("a", "[::1]:5432"), addTCPFront("b", "[::1]:5432"),
		&sozupb.Request{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "a"}}))
	f.Add(seq(&sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "a=b=c"}}, &sozupb.Request{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := New(Options{Workers: 2, Faults: Faults{FailRequest: 2, LoseWorker: 3, RejectRequest: 4}})
		if err != nil {
			t.Fatal(err)
		}
		s.noFiles = true
		for len(data) >= 2 {
			n := int(binary.LittleEndian.Uint16(data))
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			req := &sozupb.Request{}
			if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(data[:n], req); err != nil {
				return
			}
			data = data[n:]
			answers, _ := s.handle(req)
			for i, a := range answers {
				last := i == len(answers)-1
				if (a.GetStatus() == sozupb.ResponseStatus_PROCESSING) == last {
					t.Fatalf("answer %d of %d to %v has status %v", i+1, len(answers), req, a.GetStatus())
				}
				if _, err := appendAnswer(nil, a); err != nil {
					t.Fatalf("answer %v does not encode: %v", a, err)
				}
			}
		}
		// Every listing still answers.
		for _, q := range []*sozupb.Request{
			{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}},
			{RequestType: &sozupb.Request_ListFrontends{ListFrontends: &sozupb.FrontendFilters{}}},
			{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "a"}},
		} {
			answers, _ := s.handle(q)
			if _, err := appendAnswer(nil, answers[len(answers)-1]); err != nil {
				t.Fatalf("the answer to %v does not encode: %v", q, err)
			}
		}
		answers, _ := s.handle(hashesReq())
		if got := len(answers[1].GetContent().GetWorkerResponses().GetMap()); got != 3 {
			t.Fatalf("hashes from %d processes, want 3", got)
		}
	})
}
