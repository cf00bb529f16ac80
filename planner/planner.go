package planner

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// The phases of a plan, in the order their requests are sent. Creations
// and updates come first, so that live traffic always has what it needs
// before anything it uses goes away; removals follow in SPEC §4's order
// (guarantee 7). docs/planning.md explains each.
const (
	phListenerAdd       = iota // new listeners, inactive
	phListenerUpdate           // Update*Listener patches
	phCluster                  // AddCluster (create, update), forced re-creations
	phBackend                  // per cluster: removals forced first, then adds
	phCertificate              // AddCertificate, ReplaceCertificate, names-only remove+add
	phListenerRebuild          // listener replaces: teardown then rebuild, one listener at a time
	phFrontend                 // frontend adds; HTTP(S) replace and TCP/UDP move pairs
	phHandover                 // DeactivateListener of a listener whose address a new one of another protocol takes
	phActivate                 // ActivateListener
	phDeactivate               // DeactivateListener
	phFrontendRemove           // frontend removals
	phCertificateRemove        // RemoveCertificate
	phBackendRemove            // RemoveBackend
	phClusterRemove            // RemoveCluster
	phListenerRemove           // RemoveListener
	phaseCount
)

type step struct {
	req    *sozupb.Request
	change int
}

// builder computes one plan.
type builder struct {
	base, want *state.State
	opts       Options
	replace    []string

	changes []Change
	byID    map[objID]int
	phases  [phaseCount][]step
	warn    []string
	// targetWarn holds the --target warnings of the first pass.
	targetWarn []string
	// certErrs are the certificates sent that Sōzu would refuse.
	certErrs []error
	checked  map[objID]bool
	matched  map[string]bool // --replace addresses that named an object

	// rebuilt lists the listeners that are replaced: their frontends and
	// certificates travel with them.
	rebuilt map[objID]bool
}

// Compute computes the plan that turns base into desired within the scope
// of opts. A nil state is an empty one. Compute has no side effect; the
// only errors are invalid options (*OptionError), --target and --replace
// addresses that name no object (*AddressError) and certificates the plan
// would send that Sōzu would refuse or half-apply (*CertificateError, all
// of them, joined).
//
// (Go does not allow a function and a type both named Plan in one package:
// the type keeps the name.)
func Compute(base, desired *state.State, opts Options) (*Plan, error) {
	if base == nil {
		base = state.New()
	}
	if desired == nil {
		desired = state.New()
	}
	sc, err := newScope(opts)
	if err != nil {
		return nil, err
	}
	opts = resolveDerivedAddresses(base, desired, opts)
	if err := checkAddresses(base, desired, opts); err != nil {
		return nil, err
	}
	want := desired
	if opts.Destroy || !sc.full() {
		in := func(o state.Object) bool { return sc.contains(o.Kind, o.Message) }
		want = merge(base, desired,
			func(o state.Object) bool { return !in(o) },
			func(o state.Object) bool { return !opts.Destroy && in(o) })
	}
	var kept []string
	if sc.listeners && !opts.Destroy {
		name := func(kind state.Kind, key string, msg proto.Message) string {
			if opts.Namer != nil {
				if n := opts.Namer(kind, key); n != "" {
					return n
				}
			}
			return DerivedAddress(kind, key, msg)
		}
		want, kept = keepUsedListeners(base, desired, want, sc, name)
	}
	// Fingerprints are computed beside the diff (two cores are common):
	// every step only reads the states.
	fingerprint := func(s *state.State) <-chan string {
		ch := make(chan string, 1)
		go func() { ch <- s.Fingerprint() }()
		return ch
	}
	baseFP := fingerprint(base)
	var wantFP <-chan string
	if len(opts.Targets) == 0 {
		wantFP = fingerprint(want)
	}
	b := run(base, want, opts)
	if len(b.certErrs) > 0 && len(opts.Targets) == 0 {
		<-baseFP
		<-wantFP
		return nil, errors.Join(b.certErrs...)
	}
	if len(opts.Targets) > 0 {
		want = b.targeted(opts.Targets)
		wantFP = fingerprint(want)
		tw := b.targetWarn
		b = run(base, want, opts)
		b.targetWarn = tw
		if len(b.certErrs) > 0 {
			<-baseFP
			<-wantFP
			return nil, errors.Join(b.certErrs...)
		}
	}
	p := b.finish()
	p.Base = opts.Base
	if p.Base.Source == "" {
		p.Base.Source = SourceEmpty
	}
	if !opts.Destroy && desired.Len() == 0 && inScopeCount(base, sc) > 0 {
		p.Warnings = append(p.Warnings, "the configuration is empty: the plan removes everything in scope")
	}
	p.Warnings = append(p.Warnings, kept...)
	p.MassRemoval = massRemoval(base, sc, p, opts)
	p.Base.Fingerprint = <-baseFP
	p.DesiredFingerprint = <-wantFP
	if mr := p.MassRemoval; mr.Exceeded {
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"mass removal: the plan removes %d of %d routes and %d of %d backends in scope (threshold %.0f%%); apply refuses it without --allow-mass-removal",
			mr.RoutesRemoved, mr.RoutesInScope, mr.BackendsRemoved, mr.BackendsInScope, mr.Threshold*100))
	}
	for _, r := range opts.Replace {
		if !b.matched[r] {
			p.Warnings = append(p.Warnings, fmt.Sprintf("--replace %s names no object present in both the base and the configuration", r))
		}
	}
	return p, nil
}

func run(base, want *state.State, opts Options) *builder {
	b := &builder{base: base, want: want, opts: opts, replace: opts.Replace,
		byID: map[objID]int{}, matched: map[string]bool{}, rebuilt: map[objID]bool{}, checked: map[objID]bool{}}
	b.listeners()
	b.clusters()
	b.backends()
	b.certificates()
	for _, k := range []state.Kind{state.KindHTTPFrontend, state.KindHTTPSFrontend} {
		b.httpFrontends(k)
	}
	for _, k := range []state.Kind{state.KindTCPFrontend, state.KindUDPFrontend} {
		b.l4Frontends(k)
	}
	b.rebuildListeners()
	return b
}

// name returns the plan address of an object.
func (b *builder) name(kind state.Kind, key string, msg proto.Message) string {
	if b.opts.Namer != nil {
		if n := b.opts.Namer(kind, key); n != "" {
			return n
		}
	}
	return DerivedAddress(kind, key, msg)
}

// forced reports whether --replace names the object; its address is
// computed only when --replace is given.
func (b *builder) forced(kind state.Kind, key string, msg proto.Message) bool {
	if len(b.replace) == 0 {
		return false
	}
	addr := b.name(kind, key, msg)
	for _, r := range b.replace {
		if r == addr {
			b.matched[r] = true
			return true
		}
	}
	return false
}

// record adds a change; keys lists every identity it covers (the desired
// one first).
func (b *builder) record(kind state.Kind, action Action, before, after proto.Message, keys ...string) int {
	var msg proto.Message = after
	if msg == nil {
		msg = before
	}
	if before != nil {
		before = state.Normalize(before)
	}
	if after != nil {
		after = state.Normalize(after)
	}
	c := Change{
		Address:    b.name(kind, keys[0], msg),
		Kind:       kind,
		Key:        keys[0],
		Action:     action,
		Before:     before,
		After:      after,
		Attributes: attributeChanges(before, after),
	}
	b.changes = append(b.changes, c)
	i := len(b.changes) - 1
	for _, k := range keys {
		b.byID[objID{kind, k}] = i
	}
	return i
}

func (b *builder) emit(phase int, change int, reqs ...*sozupb.Request) {
	for _, r := range reqs {
		b.phases[phase] = append(b.phases[phase], step{r, change})
	}
}

// checkCert records a CertificateError for a certificate, filed under
// fingerprint fp on addr, that a request will carry and that Sōzu would
// refuse or half-apply; each certificate is checked once.
func (b *builder) checkCert(addr, fp string, c *sozupb.CertificateAndKey) {
	id := objID{state.KindCertificate, state.CertificateKey(addr, fp)}
	if b.checked[id] {
		return
	}
	b.checked[id] = true
	if err := checkCertificate(addr, fp, c); err != nil {
		b.certErrs = append(b.certErrs, err)
	}
}

func (b *builder) note(i int, warning string) {
	b.changes[i].Warnings = append(b.changes[i].Warnings, warning)
}

func (b *builder) reason(i int, reason string) {
	b.changes[i].Reasons = append(b.changes[i].Reasons, reason)
}

// effectiveEqual compares two objects by their effective values.
func effectiveEqual(a, b proto.Message) bool {
	return proto.Equal(a, b) || state.EffectiveEqual(a, b)
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// streamKind reports whether listeners of kind k listen on TCP sockets.
func streamKind(k state.Kind) bool { return k != state.KindUDPListener }

// listeners plans guarantee 1 and 6.
func (b *builder) listeners() {
	// Addresses where a stream listener will be activated, by kind: an
	// active listener of another stream kind that goes away from such an
	// address is deactivated right before (both bound at once would share
	// connections through SO_REUSEPORT).
	activating := map[string][]state.Kind{}
	for _, k := range listenerKinds {
		if !streamKind(k) {
			continue
		}
		bm := listenerMap(b.base, k)
		for addr, wl := range listenerMap(b.want, k) {
			if isActive(wl) && (bm[addr] == nil || !isActive(bm[addr])) {
				activating[addr] = append(activating[addr], k)
			}
		}
	}
	handover := func(k state.Kind, addr string) bool {
		if !streamKind(k) {
			return false
		}
		for _, other := range activating[addr] {
			if other != k {
				return true
			}
		}
		return false
	}
	for _, k := range listenerKinds {
		bm, wm := listenerMap(b.base, k), listenerMap(b.want, k)
		for _, key := range unionKeys(bm, wm) {
			bl, wl := bm[key], wm[key]
			switch {
			case wl == nil:
				i := b.record(k, Delete, bl, nil, key)
				if n := len(frontendsOn(b.want, frontendKindOf(k), key)); n > 0 {
					b.note(i, fmt.Sprintf("%d frontends out of the plan's scope stay on this address: Sōzu's workers drop them with the listener", n))
				}
				switch {
				case isActive(bl) && handover(k, key):
					b.note(i, "deactivated right before the new listener on its address is activated")
					b.emit(phHandover, i, deactivateRequest(k, addressOf(bl)))
				case isActive(bl):
					b.emit(phDeactivate, i, deactivateRequest(k, addressOf(bl)))
				}
				b.emit(phListenerRemove, i, removeListenerRequest(k, addressOf(bl)))
			case bl == nil:
				i := b.record(k, Create, nil, wl, key)
				b.emit(phListenerAdd, i, addListenerRequest(k, withActive(wl, false)))
				if isActive(wl) {
					b.emit(phActivate, i, activateRequest(k, addressOf(wl)))
				}
			default:
				forced := b.forced(k, key, wl)
				same := sameConfig(bl, wl)
				if same && !forced {
					if isActive(bl) == isActive(wl) {
						continue
					}
					i := b.record(k, Update, bl, wl, key)
					b.toggle(k, i, bl, wl)
					continue
				}
				if !forced {
					if patch := listenerPatch(k, bl, wl); patch != nil {
						i := b.record(k, Update, bl, wl, key)
						b.emit(phListenerUpdate, i, patch)
						b.toggle(k, i, bl, wl)
						continue
					}
				}
				i := b.record(k, Replace, bl, wl, key)
				if forced {
					b.reason(i, "requested with --replace")
				} else {
					b.reason(i, "Sōzu cannot change "+strings.Join(topFields(b.changes[i].Attributes), ", ")+" in place")
				}
				b.note(i, "the listener stops briefly: it is removed and added again, with its certificates and frontends")
				b.rebuilt[objID{k, key}] = true
			}
		}
	}
}

// toggle emits the activation or deactivation of a listener that stays.
func (b *builder) toggle(k state.Kind, i int, bl, wl proto.Message) {
	switch {
	case !isActive(bl) && isActive(wl):
		b.emit(phActivate, i, activateRequest(k, addressOf(wl)))
	case isActive(bl) && !isActive(wl):
		b.emit(phDeactivate, i, deactivateRequest(k, addressOf(wl)))
	}
}

// topFields names the top-level attributes among changes, without "active".
func topFields(attrs []AttributeChange) []string {
	var out []string
	for _, a := range attrs {
		name, _, _ := strings.Cut(a.Path, ".")
		name, _, _ = strings.Cut(name, "[")
		if name == activeField || slices.Contains(out, name) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// clusters plans AddCluster upserts (guarantee 2 and 6) and removals.
func (b *builder) clusters() {
	for _, id := range unionKeys(b.base.Clusters, b.want.Clusters) {
		bc, wc := b.base.Clusters[id], b.want.Clusters[id]
		switch {
		case wc == nil:
			i := b.record(state.KindCluster, Delete, bc, nil, id)
			b.emit(phClusterRemove, i, removeClusterRequest(id))
		case bc == nil:
			i := b.record(state.KindCluster, Create, nil, wc, id)
			b.emit(phCluster, i, addClusterRequest(wc))
		default:
			forced := b.forced(state.KindCluster, id, wc)
			if forced {
				i := b.record(state.KindCluster, Replace, bc, wc, id)
				b.reason(i, "requested with --replace")
				b.note(i, "workers drop the cluster's settings for a moment; its routes and backends stay")
				b.emit(phCluster, i, removeClusterRequest(id), addClusterRequest(wc))
			} else if !effectiveEqual(bc, wc) {
				i := b.record(state.KindCluster, Update, bc, wc, id)
				b.emit(phCluster, i, addClusterRequest(wc))
			}
		}
	}
}

// backends plans guarantee 3, cluster by cluster.
func (b *builder) backends() {
	for _, cid := range unionKeys(b.base.Backends, b.want.Backends) {
		if len(b.replace) == 0 && sameBackends(b.base.Backends[cid], b.want.Backends[cid]) {
			continue
		}
		old := map[string]*sozupb.AddBackend{}
		for _, x := range b.base.Backends[cid] {
			old[state.BackendKey(x)] = x
		}
		neu := map[string]*sozupb.AddBackend{}
		wantAddrs := map[string]bool{}
		for _, x := range b.want.Backends[cid] {
			neu[state.BackendKey(x)] = x
			wantAddrs[state.FormatAddress(x.GetAddress())] = true
		}
		var adds []step
		var removes []*sozupb.AddBackend
		removeChange := map[*sozupb.AddBackend]int{}
		// Pair an old and a new backend of one id whose address changed.
		oldByID, newByID := map[string][]string{}, map[string][]string{}
		for _, key := range unionKeys(old, neu) {
			ob, nb := old[key], neu[key]
			switch {
			case ob != nil && nb != nil:
				if b.forced(state.KindBackend, key, nb) {
					i := b.record(state.KindBackend, Replace, ob, nb, key)
					b.reason(i, "requested with --replace")
					removes = append(removes, ob)
					removeChange[ob] = i
					adds = append(adds, step{addBackendRequest(nb), i})
				} else if !effectiveEqual(ob, nb) {
					i := b.record(state.KindBackend, Update, ob, nb, key)
					adds = append(adds, step{addBackendRequest(nb), i})
				}
			case ob != nil:
				oldByID[ob.GetBackendId()] = append(oldByID[ob.GetBackendId()], key)
			default:
				newByID[nb.GetBackendId()] = append(newByID[nb.GetBackendId()], key)
			}
		}
		paired := map[string]bool{}
		for _, id := range unionKeys(oldByID, newByID) {
			if len(oldByID[id]) != 1 || len(newByID[id]) != 1 {
				continue
			}
			ok, nk := oldByID[id][0], newByID[id][0]
			i := b.record(state.KindBackend, Replace, old[ok], neu[nk], nk, ok)
			b.reason(i, "its address changes: the new address is added, then the old one removed")
			adds = append(adds, step{addBackendRequest(neu[nk]), i})
			removes = append(removes, old[ok])
			removeChange[old[ok]] = i
			paired[ok], paired[nk] = true, true
		}
		for _, key := range unionKeys(old, neu) {
			ob, nb := old[key], neu[key]
			if paired[key] || (ob != nil && nb != nil) {
				continue
			}
			if nb != nil {
				i := b.record(state.KindBackend, Create, nil, nb, key)
				adds = append(adds, step{addBackendRequest(nb), i})
			} else {
				i := b.record(state.KindBackend, Delete, ob, nil, key)
				removes = append(removes, ob)
				removeChange[ob] = i
			}
		}
		// Workers remove backends by address: a removal whose address a
		// backend of the desired state uses must come before the adds, and
		// backends that stay at that address are added again after it.
		var early, late []*sozupb.AddBackend
		for _, ob := range removes {
			if wantAddrs[state.FormatAddress(ob.GetAddress())] {
				early = append(early, ob)
			} else {
				late = append(late, ob)
			}
		}
		sortBackends(early)
		sortBackends(late)
		sort.SliceStable(adds, func(i, j int) bool {
			return state.BackendKey(adds[i].req.GetAddBackend()) < state.BackendKey(adds[j].req.GetAddBackend())
		})
		readd := map[string]bool{}
		for _, ob := range early {
			i := removeChange[ob]
			b.emit(phBackend, i, removeBackendRequest(ob))
			readd[state.FormatAddress(ob.GetAddress())] = true
			if b.changes[i].Action == Replace && b.changes[i].Key == state.BackendKey(ob) {
				// A forced replace keeps its address: its add follows.
				continue
			}
			b.note(i, "a new backend takes its address: it is removed before the new one is added")
		}
		b.phases[phBackend] = append(b.phases[phBackend], adds...)
		// Backends that did not change but share an address with an early
		// removal lost it on the workers: announce them again.
		for _, nb := range b.want.Backends[cid] {
			a := state.FormatAddress(nb.GetAddress())
			if !readd[a] {
				continue
			}
			if _, changed := b.byID[objID{state.KindBackend, state.BackendKey(nb)}]; changed {
				continue
			}
			i := b.byID[objID{state.KindBackend, state.BackendKey(early[0])}]
			for _, ob := range early {
				if state.FormatAddress(ob.GetAddress()) == a {
					i = removeChange[ob]
				}
			}
			b.emit(phBackend, i, addBackendRequest(nb))
		}
		for _, ob := range late {
			b.emit(phBackendRemove, removeChange[ob], removeBackendRequest(ob))
		}
	}
}

// sameBackends reports whether two backend lists hold the same backends in
// the same order with the same effective values (the common case, checked
// without building keys).
func sameBackends(x, y []*sozupb.AddBackend) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !effectiveEqual(x[i], y[i]) {
			return false
		}
	}
	return true
}

func sortBackends(l []*sozupb.AddBackend) {
	sort.Slice(l, func(i, j int) bool { return state.BackendKey(l[i]) < state.BackendKey(l[j]) })
}
