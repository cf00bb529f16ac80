package planner

import (
	"sort"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// rebuildListeners emits each replaced listener's teardown and rebuild as
// one run of requests (guarantees 1 and 6): deactivate (when active), its
// frontends and certificates removed, the listener removed, added again
// inactive, its certificates and frontends added, activated last.
func (b *builder) rebuildListeners() {
	var ids []objID
	for id := range b.rebuilt {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].kind != ids[j].kind {
			return ids[i].kind < ids[j].kind
		}
		return ids[i].key < ids[j].key
	})
	for _, id := range ids {
		li := b.byID[id]
		bl, wl := listenerMap(b.base, id.kind)[id.key], listenerMap(b.want, id.kind)[id.key]
		fk := frontendKindOf(id.kind)
		changeOf := func(kind state.Kind, key string) int {
			if i, ok := b.byID[objID{kind, key}]; ok {
				return i
			}
			return li
		}
		if isActive(bl) {
			b.emit(phListenerRebuild, li, deactivateRequest(id.kind, addressOf(bl)))
		}
		baseFronts := frontendsOn(b.base, fk, id.key)
		sent := map[string]bool{}
		for _, f := range baseFronts {
			if l, ok := f.msg.(l4); ok && (fk == state.KindTCPFrontend || fk == state.KindUDPFrontend) {
				if sent[l4Removal(l)] {
					continue
				}
				sent[l4Removal(l)] = true
			}
			b.emit(phListenerRebuild, changeOf(fk, f.key), removeFrontendRequest(fk, f.msg))
		}
		sa := addressOf(wl)
		if id.kind == state.KindHTTPSListener {
			for _, fp := range sortedFPs(b.base.Certificates[id.key]) {
				b.emit(phListenerRebuild, changeOf(state.KindCertificate, state.CertificateKey(id.key, fp)), removeCertificateRequest(sa, fp))
			}
		}
		b.emit(phListenerRebuild, li, removeListenerRequest(id.kind, addressOf(bl)), addListenerRequest(id.kind, withActive(wl, false)))
		if id.kind == state.KindHTTPSListener {
			certs := b.want.Certificates[id.key]
			for _, fp := range sortedFPs(certs) {
				b.checkCert(id.key, fp, certs[fp])
				b.emit(phListenerRebuild, changeOf(state.KindCertificate, state.CertificateKey(id.key, fp)), addCertificateRequest(sa, certs[fp]))
			}
		}
		for _, f := range frontendsOn(b.want, fk, id.key) {
			b.emit(phListenerRebuild, changeOf(fk, f.key), addFrontendRequest(fk, f.msg))
		}
		if isActive(wl) {
			b.emit(phListenerRebuild, li, activateRequest(id.kind, sa))
		}
	}
}

func sortedFPs(m map[string]*sozupb.CertificateAndKey) []string {
	out := make([]string, 0, len(m))
	for fp := range m {
		out = append(out, fp)
	}
	sort.Strings(out)
	return out
}

type keyed struct {
	key string
	msg proto.Message
}

// frontendsOn lists the frontends of kind k on the listener at addr, by key.
func frontendsOn(s *state.State, k state.Kind, addr string) []keyed {
	var out []keyed
	switch k {
	case state.KindHTTPFrontend, state.KindHTTPSFrontend:
		for key, f := range httpFrontendMap(s, k) {
			if state.FormatAddress(f.GetAddress()) == addr {
				out = append(out, keyed{key, f})
			}
		}
	default:
		for key, f := range l4Map(s, k) {
			if state.FormatAddress(f.GetAddress()) == addr {
				out = append(out, keyed{key, f})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// finish sorts the changes and lays the requests out in phase order.
func (b *builder) finish() *Plan {
	order := make([]int, len(b.changes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		x, y := b.changes[order[i]], b.changes[order[j]]
		if x.Address != y.Address {
			return x.Address < y.Address
		}
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		return x.Key < y.Key
	})
	newIndex := make([]int, len(order))
	p := &Plan{FormatVersion: FormatVersion, Changes: make([]Change, len(order))}
	for n, o := range order {
		newIndex[o] = n
		p.Changes[n] = b.changes[o]
	}
	for _, steps := range b.phases {
		for _, s := range steps {
			p.Requests = append(p.Requests, s.req)
			p.RequestChange = append(p.RequestChange, newIndex[s.change])
		}
	}
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			p.Summary.Create++
		case Update:
			p.Summary.Update++
		case Replace:
			p.Summary.Replace++
		case Delete:
			p.Summary.Delete++
		}
	}
	p.Warnings = append(p.Warnings, b.warn...)
	p.Warnings = append(p.Warnings, b.targetWarn...)
	return p
}

// refs returns the changes of the cluster and listener that a change's
// new value refers to.
func (b *builder) refs(c Change) []int {
	var out []int
	add := func(kind state.Kind, key string) {
		if i, ok := b.byID[objID{kind, key}]; ok {
			out = append(out, i)
		}
	}
	// Only what the change puts in place needs its cluster and listener:
	// a removal needs nothing.
	if c.After != nil {
		switch v := c.After.(type) {
		case *sozupb.AddBackend:
			add(state.KindCluster, v.GetClusterId())
		case *sozupb.RequestHttpFrontend:
			if v.ClusterId != nil {
				add(state.KindCluster, v.GetClusterId())
			}
			add(listenerKindOf(c.Kind), state.FormatAddress(v.GetAddress()))
		case l4:
			add(state.KindCluster, v.GetClusterId())
			add(listenerKindOf(c.Kind), state.FormatAddress(v.GetAddress()))
		case *sozupb.AddCertificate:
			add(state.KindHTTPSListener, state.FormatAddress(v.GetAddress()))
		}
	}
	return out
}

// slotOf names the place a backend or TCP/UDP frontend occupies on
// Sōzu's workers: a backend's cluster and address, a TCP/UDP listener's
// address. Other objects have none.
func slotOf(k state.Kind, m proto.Message) string {
	switch v := m.(type) {
	case *sozupb.AddBackend:
		return "backend;" + v.GetClusterId() + ";" + state.FormatAddress(v.GetAddress())
	case *sozupb.RequestTcpFrontend, *sozupb.RequestUdpFrontend:
		return k.String() + ";" + state.FormatAddress(v.(l4).GetAddress())
	}
	return ""
}

// targeted returns the state a --target plan aims at: the base, with the
// changes of the targeted objects, of what they depend on and, for a
// cluster or listener that goes away or is replaced, of what depends on it.
func (b *builder) targeted(targets []string) *state.State {
	refs := make([][]int, len(b.changes))
	dependants := make([][]int, len(b.changes))
	// Objects that leave an address: a backend of a cluster, a TCP/UDP
	// frontend of a listener. Whatever arrives at that address needs them
	// gone first (workers remove by address).
	leaving := map[string][]int{}
	for i, c := range b.changes {
		if c.Action != Delete && c.Action != Replace {
			continue
		}
		if k := slotOf(c.Kind, c.Before); k != "" {
			leaving[k] = append(leaving[k], i)
		}
	}
	for i, c := range b.changes {
		refs[i] = b.refs(c)
		if c.After != nil {
			for _, j := range leaving[slotOf(c.Kind, c.After)] {
				if j != i {
					refs[i] = append(refs[i], j)
				}
			}
		}
		for _, r := range refs[i] {
			dependants[r] = append(dependants[r], i)
		}
	}
	in := make([]bool, len(b.changes))
	var queue []int
	include := func(i int) {
		if !in[i] {
			in[i] = true
			queue = append(queue, i)
		}
	}
	for _, t := range targets {
		hit := false
		for i, c := range b.changes {
			if addressMatches(t, c.Address) {
				include(i)
				hit = true
			}
		}
		if !hit {
			b.targetWarn = append(b.targetWarn, "--target "+t+" matches no change")
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, r := range refs[i] {
			include(r)
		}
		if c := b.changes[i]; c.Action == Delete || c.Action == Replace {
			for _, d := range dependants[i] {
				include(d)
			}
		}
	}
	covered := map[objID]bool{}
	for id, i := range b.byID {
		if in[i] {
			covered[id] = true
		}
	}
	return merge(b.base, b.want,
		func(o state.Object) bool { return !covered[objID{o.Kind, o.Key}] },
		func(o state.Object) bool { return covered[objID{o.Kind, o.Key}] })
}

// isFrontend reports whether k is a frontend kind (a route).
func isFrontend(k state.Kind) bool {
	return k == state.KindHTTPFrontend || k == state.KindHTTPSFrontend || k == state.KindTCPFrontend || k == state.KindUDPFrontend
}

func inScopeCount(s *state.State, sc scope) int {
	if sc.full() {
		return s.Len()
	}
	n := 0
	for _, o := range s.Objects() {
		if sc.contains(o.Kind, o.Message) {
			n++
		}
	}
	return n
}

// massRemoval counts what the plan removes for the mass-change guard.
func massRemoval(base *state.State, sc scope, p *Plan, opts Options) MassRemoval {
	mr := MassRemoval{Threshold: opts.MassRemovalThreshold, Minimum: opts.MassRemovalMinimum}
	if mr.Threshold <= 0 {
		mr.Threshold = 0.30
	} else if mr.Threshold >= 1 {
		mr.Threshold /= 100
	}
	if mr.Minimum <= 0 {
		mr.Minimum = 10
	}
	for _, f := range base.HTTPFrontends {
		if sc.contains(state.KindHTTPFrontend, f) {
			mr.RoutesInScope++
		}
	}
	for _, f := range base.HTTPSFrontends {
		if sc.contains(state.KindHTTPSFrontend, f) {
			mr.RoutesInScope++
		}
	}
	for cid, l := range base.TCPFrontends {
		if sc.cluster(cid) {
			mr.RoutesInScope += len(l)
		}
	}
	for cid, l := range base.UDPFrontends {
		if sc.cluster(cid) {
			mr.RoutesInScope += len(l)
		}
	}
	for cid, l := range base.Backends {
		if sc.cluster(cid) {
			mr.BackendsInScope += len(l)
		}
	}
	for _, c := range p.Changes {
		if c.Action != Delete {
			continue
		}
		switch {
		case isFrontend(c.Kind):
			mr.RoutesRemoved++
		case c.Kind == state.KindBackend:
			mr.BackendsRemoved++
		}
	}
	over := func(removed, total int) bool {
		return total >= mr.Minimum && float64(removed) > mr.Threshold*float64(total)
	}
	mr.Exceeded = over(mr.RoutesRemoved, mr.RoutesInScope) || over(mr.BackendsRemoved, mr.BackendsInScope)
	return mr
}
