package sim

import (
	"math/rand/v2"
	"testing"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// randomRequest draws a state-changing request over a small universe of
// addresses, clusters, hostnames and positions, so that duplicates,
// missing objects and worker-only conflicts happen often.
func randomRequest(r *rand.Rand, certs []testCert) *sozupb.Request {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	httpAddr, httpsAddr, tcpAddr := "0.0.0.0:80", "0.0.0.0:443", "0.0.0.0:5432"
	cl := pick("a", "b", "c")
	host := pick("x.example.com", "X.example.com", "y.example.com")
	pos := sozupb.RulePosition(r.IntN(3))
	switch r.IntN(16) {
	case 0:
		return addHTTPListener(httpAddr, r.IntN(2) == 0)
	case 1:
		return addHTTPSListener(httpsAddr)
	case 2:
		return addTCPListener(tcpAddr)
	case 3:
		return activate(pick(httpAddr, httpsAddr, tcpAddr), sozupb.ListenerType(r.IntN(3)))
	case 4:
		return deactivate(pick(httpAddr, httpsAddr, tcpAddr), sozupb.ListenerType(r.IntN(3)))
	case 5:
		return removeListener(pick(httpAddr, httpsAddr, tcpAddr), sozupb.ListenerType(r.IntN(3)))
	case 6:
		return addCluster(cl)
	case 7:
		return removeCluster(cl)
	case 8:
		return addHTTPFront(front(httpAddr, host, pick("/", "/api"), cl, pos))
	case 9:
		return removeHTTPFront(front(httpAddr, host, pick("/", "/api"), cl, pos))
	case 10:
		return addHTTPSFront(front(httpsAddr, host, "/", cl, pos))
	case 11:
		return addTCPFront(cl, tcpAddr)
	case 12:
		return removeTCPFront(cl, tcpAddr)
	case 13:
		return addBackend(cl, pick("1", "2"), pick("10.0.0.1:80", "10.0.0.2:80"))
	case 14:
		return removeBackend(cl, pick("1", "2"), pick("10.0.0.1:80", "10.0.0.2:80"))
	default:
		c := certs[r.IntN(len(certs))]
		if r.IntN(2) == 0 {
			return addCert(httpsAddr, c.and())
		}
		return removeCert(httpsAddr, c.fingerprint)
	}
}

// TestRandomSequences sends random requests and checks, after each one:
// the main process equals a state.State that applied the same requests
// directly (the simulator adds nothing to the main process's rules), an
// accepted request is answered with one PROCESSING and a rejected one
// with none, and every worker's hashes equal the main process's (workers
// update their copies whatever their proxies say).
func TestRandomSequences(t *testing.T) {
	certs := []testCert{newCert(t, "x.example.com"), newCert(t, "y.example.com")}
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 42))
		h := start(t, Options{})
		model := state.New()
		for i := range 150 {
			req := randomRequest(r, certs)
			proc, _, _ := h.send(req)
			accepted := model.Apply(req) == nil
			if accepted != (len(proc) == 1) {
				t.Fatalf("seed %d step %d %v: %d PROCESSING, model accepted %v", seed, i, req, len(proc), accepted)
			}
			if !h.sim.MainState().Equal(model) {
				t.Fatalf("seed %d step %d: main state differs from the model after %v", seed, i, req)
			}
		}
		hs := h.hashes()
		for _, w := range []string{"0", "1"} {
			if len(hs[w]) != len(hs["main"]) {
				t.Errorf("seed %d: worker %s hashes %d clusters, main %d", seed, w, len(hs[w]), len(hs["main"]))
			}
			for id, v := range hs["main"] {
				if hs[w][id] != v {
					t.Errorf("seed %d: worker %s disagrees on %s", seed, w, id)
				}
			}
		}
	}
}
