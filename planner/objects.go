package planner

import (
	"sort"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// certificates plans guarantee 4, listener address by listener address.
// Certificates of a replaced HTTPS listener get their changes here and
// their requests in the listener's rebuild.
func (b *builder) certificates() {
	for _, addr := range unionKeys(b.base.Certificates, b.want.Certificates) {
		sa, err := state.ParseAddress(addr)
		if err != nil {
			b.warn = append(b.warn, "certificates filed under "+addr+", which is not a socket address, are left alone")
			continue
		}
		rebuilt := b.rebuilt[objID{state.KindHTTPSListener, addr}]
		old, neu := b.base.Certificates[addr], b.want.Certificates[addr]
		msg := func(c *sozupb.CertificateAndKey) proto.Message {
			return &sozupb.AddCertificate{Address: sa, Certificate: c}
		}
		var oldOnly, newOnly []string
		for _, fp := range unionKeys(old, neu) {
			oc, nc := old[fp], neu[fp]
			key := state.CertificateKey(addr, fp)
			switch {
			case oc != nil && nc != nil:
				forced := b.forced(state.KindCertificate, key, msg(nc))
				if !forced && effectiveEqual(oc, nc) {
					continue
				}
				i := b.record(state.KindCertificate, Replace, msg(oc), msg(nc), key)
				if forced {
					b.reason(i, "requested with --replace")
				} else {
					b.reason(i, "same certificate, other names, chain or key: Sōzu cannot change them in place")
				}
				b.note(i, "names-only change: the certificate is removed then added again; in between its names get the default certificate")
				b.checkCert(addr, fp, nc)
				if !rebuilt {
					b.emit(phCertificate, i, removeCertificateRequest(sa, fp), addCertificateRequest(sa, nc))
				}
			case oc != nil:
				oldOnly = append(oldOnly, fp)
			default:
				newOnly = append(newOnly, fp)
			}
		}
		// Rotation: a new certificate takes over from the old one whose
		// names it shares most.
		taken := map[string]bool{}
		for _, nfp := range newOnly {
			nc := neu[nfp]
			b.checkCert(addr, nfp, nc)
			nkey := state.CertificateKey(addr, nfp)
			best, bestN := "", 0
			names := nameSet(nc)
			for _, ofp := range oldOnly {
				if taken[ofp] {
					continue
				}
				n := 0
				for _, x := range state.Normalize(old[ofp]).GetNames() {
					if names[x] {
						n++
					}
				}
				if n > bestN {
					best, bestN = ofp, n
				}
			}
			if best == "" {
				i := b.record(state.KindCertificate, Create, nil, msg(nc), nkey)
				if !rebuilt {
					b.emit(phCertificate, i, addCertificateRequest(sa, nc))
				}
				continue
			}
			taken[best] = true
			i := b.record(state.KindCertificate, Update, msg(old[best]), msg(nc), nkey, state.CertificateKey(addr, best))
			b.reason(i, "certificate rotation: one ReplaceCertificate, its names stay served")
			if !rebuilt {
				b.emit(phCertificate, i, replaceCertificateRequest(sa, best, nc))
			}
		}
		for _, ofp := range oldOnly {
			if taken[ofp] {
				continue
			}
			i := b.record(state.KindCertificate, Delete, msg(old[ofp]), nil, state.CertificateKey(addr, ofp))
			if !rebuilt {
				b.emit(phCertificateRemove, i, removeCertificateRequest(sa, ofp))
			}
		}
	}
}

func nameSet(c *sozupb.CertificateAndKey) map[string]bool {
	out := map[string]bool{}
	for _, n := range state.Normalize(c).GetNames() {
		out[n] = true
	}
	return out
}

// listenerKindOf is the listener kind that a frontend kind needs.
func listenerKindOf(k state.Kind) state.Kind {
	switch k {
	case state.KindHTTPFrontend:
		return state.KindHTTPListener
	case state.KindHTTPSFrontend:
		return state.KindHTTPSListener
	case state.KindTCPFrontend:
		return state.KindTCPListener
	}
	return state.KindUDPListener
}

func httpFrontendMap(s *state.State, k state.Kind) map[string]*sozupb.RequestHttpFrontend {
	if k == state.KindHTTPSFrontend {
		return s.HTTPSFrontends
	}
	return s.HTTPFrontends
}

// httpFrontends plans guarantee 5 for HTTP or HTTPS frontends.
func (b *builder) httpFrontends(k state.Kind) {
	bm, wm := httpFrontendMap(b.base, k), httpFrontendMap(b.want, k)
	lk := listenerKindOf(k)
	for _, key := range unionKeys(bm, wm) {
		bf, wf := bm[key], wm[key]
		switch {
		case bf != nil && wf != nil:
			forced := b.forced(k, key, wf)
			if !forced && effectiveEqual(bf, wf) {
				continue
			}
			i := b.record(k, Replace, bf, wf, key)
			if forced {
				b.reason(i, "requested with --replace")
			} else {
				b.reason(i, "Sōzu keys routes by address, hostname, path and method: other fields change by a remove then an add")
			}
			b.equalsWarning(i, bf)
			if !b.rebuilt[objID{lk, state.FormatAddress(wf.GetAddress())}] {
				b.emit(phFrontend, i, removeFrontendRequest(k, bf), addFrontendRequest(k, wf))
			}
		case wf != nil:
			i := b.record(k, Create, nil, wf, key)
			if !b.rebuilt[objID{lk, state.FormatAddress(wf.GetAddress())}] {
				b.emit(phFrontend, i, addFrontendRequest(k, wf))
			}
		default:
			i := b.record(k, Delete, bf, nil, key)
			b.equalsWarning(i, bf)
			if !b.rebuilt[objID{lk, state.FormatAddress(bf.GetAddress())}] {
				b.emit(phFrontendRemove, i, removeFrontendRequest(k, bf))
			}
		}
	}
}

// equalsWarning notes that Sōzu 2.1.0's workers cannot remove a route
// whose path rule is an exact match: their rule equality never holds
// between two EQUALS rules (lib/src/router/mod.rs:983-990), so a TREE
// removal answers OK and leaves the route, and a PRE or POST one fails.
func (b *builder) equalsWarning(i int, f *sozupb.RequestHttpFrontend) {
	if f.GetPath().GetKind() == sozupb.PathRuleKind_EQUALS {
		b.note(i, "Sōzu's workers cannot remove a path_equals route: it keeps being served until the workers restart, and a PRE or POST one makes the removal fail")
	}
}

// l4 is a TCP or UDP frontend.
type l4 interface {
	proto.Message
	GetClusterId() string
	GetAddress() *sozupb.SocketAddress
}

// l4Map returns the TCP or UDP frontends of s by key.
func l4Map(s *state.State, k state.Kind) map[string]l4 {
	out := map[string]l4{}
	if k == state.KindTCPFrontend {
		for _, list := range s.TCPFrontends {
			for _, f := range list {
				out[state.TCPFrontendKey(f)] = f
			}
		}
		return out
	}
	for _, list := range s.UDPFrontends {
		for _, f := range list {
			out[state.UDPFrontendKey(f)] = f
		}
	}
	return out
}

// l4Removal is what a TCP/UDP removal matches in Sōzu's main process: the
// cluster and the address (tags are ignored).
func l4Removal(f l4) string {
	return f.GetClusterId() + ";" + state.FormatAddress(f.GetAddress())
}

// l4Frontends plans guarantee 5 for TCP or UDP frontends: workers route one
// cluster per listener and remove whatever routes there, so a frontend
// that leaves an address is removed before a new one is added there.
func (b *builder) l4Frontends(k state.Kind) {
	bm, wm := l4Map(b.base, k), l4Map(b.want, k)
	lk := listenerKindOf(k)
	rebuilt := func(f l4) bool { return b.rebuilt[objID{lk, state.FormatAddress(f.GetAddress())}] }
	// Frontends that go away, by address.
	leaving := map[string][]string{}
	for key, f := range bm {
		if _, ok := wm[key]; !ok {
			a := state.FormatAddress(f.GetAddress())
			leaving[a] = append(leaving[a], key)
		}
	}
	for _, keys := range leaving {
		sort.Strings(keys)
	}
	removed := map[string]bool{} // l4Removal values already sent
	deleteChange := map[string]int{}
	remove := func(phase int, key string) {
		f := bm[key]
		i, ok := deleteChange[key]
		if !ok {
			i = b.record(k, Delete, f, nil, key)
			deleteChange[key] = i
		}
		if rebuilt(f) || removed[l4Removal(f)] {
			return
		}
		removed[l4Removal(f)] = true
		b.emit(phase, i, removeFrontendRequest(k, f))
	}
	for _, key := range unionKeys(bm, wm) {
		bf, wf := bm[key], wm[key]
		switch {
		case bf != nil && wf != nil:
			forced := b.forced(k, key, wf)
			if !forced && effectiveEqual(bf, wf) {
				continue
			}
			i := b.record(k, Replace, bf, wf, key)
			if forced {
				b.reason(i, "requested with --replace")
			}
			if !rebuilt(wf) {
				removed[l4Removal(bf)] = true
				b.emit(phFrontend, i, removeFrontendRequest(k, bf), addFrontendRequest(k, wf))
			}
		case wf != nil:
			for _, old := range leaving[state.FormatAddress(wf.GetAddress())] {
				remove(phFrontend, old)
				b.note(deleteChange[old], "removed before the new frontend on its address is added: a Sōzu worker routes one cluster per TCP/UDP listener")
			}
			i := b.record(k, Create, nil, wf, key)
			if !rebuilt(wf) {
				b.emit(phFrontend, i, addFrontendRequest(k, wf))
			}
		}
	}
	for _, key := range unionKeys(bm, wm) {
		if _, ok := wm[key]; ok {
			continue
		}
		remove(phFrontendRemove, key)
	}
}
