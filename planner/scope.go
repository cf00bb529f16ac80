package planner

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// The kinds of Options.Manage.
const (
	ManageListeners    = "listeners"
	ManageClusters     = "clusters"
	ManageCertificates = "certificates"
)

// OptionError is an invalid Options value (an unknown managed kind, a
// malformed glob pattern).
type OptionError struct {
	Option string // "manage" or "ignore_clusters"
	Value  string
	Reason string
}

// Error says which option and value are wrong, and why.
func (e *OptionError) Error() string {
	return fmt.Sprintf("planner: %s: %q: %s", e.Option, e.Value, e.Reason)
}

// scope decides which objects a plan may touch.
type scope struct {
	listeners, clusters, certificates bool
	ignore                            []string
}

func newScope(opts Options) (scope, error) {
	s := scope{ignore: opts.IgnoreClusters}
	if len(opts.Manage) == 0 {
		s.listeners, s.clusters, s.certificates = true, true, true
	}
	for _, m := range opts.Manage {
		switch strings.ToLower(m) {
		case ManageListeners:
			s.listeners = true
		case ManageClusters:
			s.clusters = true
		case ManageCertificates:
			s.certificates = true
		default:
			return s, &OptionError{"manage", m, `not one of "listeners", "clusters", "certificates"`}
		}
	}
	for _, p := range opts.IgnoreClusters {
		if _, err := path.Match(p, ""); err != nil {
			return s, &OptionError{"ignore_clusters", p, err.Error()}
		}
	}
	return s, nil
}

// full reports whether every object is in scope.
func (s scope) full() bool {
	return s.listeners && s.clusters && s.certificates && len(s.ignore) == 0
}

// ignored reports whether a cluster id matches an ignore_clusters pattern.
func (s scope) ignored(id string) bool {
	for _, p := range s.ignore {
		if ok, _ := path.Match(p, id); ok {
			return true
		}
	}
	return false
}

func (s scope) cluster(id string) bool { return s.clusters && !s.ignored(id) }

// contains reports whether an object is in scope.
func (s scope) contains(kind state.Kind, msg proto.Message) bool {
	switch kind {
	case state.KindHTTPListener, state.KindHTTPSListener, state.KindTCPListener, state.KindUDPListener:
		return s.listeners
	case state.KindCluster:
		return s.cluster(msg.(*sozupb.Cluster).GetClusterId())
	case state.KindBackend:
		return s.cluster(msg.(*sozupb.AddBackend).GetClusterId())
	case state.KindHTTPFrontend, state.KindHTTPSFrontend:
		f := msg.(*sozupb.RequestHttpFrontend)
		return s.clusters && (f.ClusterId == nil || !s.ignored(f.GetClusterId()))
	case state.KindTCPFrontend:
		return s.cluster(msg.(*sozupb.RequestTcpFrontend).GetClusterId())
	case state.KindUDPFrontend:
		return s.cluster(msg.(*sozupb.RequestUdpFrontend).GetClusterId())
	case state.KindCertificate:
		return s.certificates
	}
	return false
}

type objID struct {
	kind state.Kind
	key  string
}

// putObject stores a copy of an object, as state.State.Objects gives it,
// into s.
func putObject(s *state.State, o state.Object) {
	switch m := o.Message.(type) {
	case *sozupb.HttpListenerConfig:
		s.HTTPListeners[o.Key] = proto.Clone(m).(*sozupb.HttpListenerConfig)
	case *sozupb.HttpsListenerConfig:
		s.HTTPSListeners[o.Key] = proto.Clone(m).(*sozupb.HttpsListenerConfig)
	case *sozupb.TcpListenerConfig:
		s.TCPListeners[o.Key] = proto.Clone(m).(*sozupb.TcpListenerConfig)
	case *sozupb.UdpListenerConfig:
		s.UDPListeners[o.Key] = proto.Clone(m).(*sozupb.UdpListenerConfig)
	case *sozupb.Cluster:
		s.Clusters[o.Key] = proto.Clone(m).(*sozupb.Cluster)
	case *sozupb.AddBackend:
		s.Backends[m.GetClusterId()] = append(s.Backends[m.GetClusterId()], proto.Clone(m).(*sozupb.AddBackend))
	case *sozupb.RequestHttpFrontend:
		if o.Kind == state.KindHTTPSFrontend {
			s.HTTPSFrontends[o.Key] = proto.Clone(m).(*sozupb.RequestHttpFrontend)
		} else {
			s.HTTPFrontends[o.Key] = proto.Clone(m).(*sozupb.RequestHttpFrontend)
		}
	case *sozupb.RequestTcpFrontend:
		s.TCPFrontends[m.GetClusterId()] = append(s.TCPFrontends[m.GetClusterId()], proto.Clone(m).(*sozupb.RequestTcpFrontend))
	case *sozupb.RequestUdpFrontend:
		s.UDPFrontends[m.GetClusterId()] = append(s.UDPFrontends[m.GetClusterId()], proto.Clone(m).(*sozupb.RequestUdpFrontend))
	case *sozupb.AddCertificate:
		addr, fp, _ := strings.Cut(o.Key, ";")
		if s.Certificates[addr] == nil {
			s.Certificates[addr] = map[string]*sozupb.CertificateAndKey{}
		}
		s.Certificates[addr][fp] = proto.Clone(m.GetCertificate()).(*sozupb.CertificateAndKey)
	}
}

// merge builds the state a plan aims at: every object of base for which
// keepBase is true, and every object of desired for which takeDesired is
// true, unless base already gave that identity.
func merge(base, desired *state.State, keepBase, takeDesired func(state.Object) bool) *state.State {
	out := state.New()
	seen := map[objID]bool{}
	for _, o := range base.Objects() {
		if keepBase(o) {
			putObject(out, o)
			seen[objID{o.Kind, o.Key}] = true
		}
	}
	for _, o := range desired.Objects() {
		if takeDesired(o) && !seen[objID{o.Kind, o.Key}] {
			putObject(out, o)
		}
	}
	return out
}

// AddressError is a --target or --replace address that names no object of
// the base or of the configuration (a typo, most often). Planning with it
// would silently do something else than asked, so it is an error.
type AddressError struct {
	Flag    string // "--target" or "--replace"
	Address string
}

// Error says which flag and address name nothing.
func (e *AddressError) Error() string {
	return fmt.Sprintf("planner: %s %s names no object of the base or the configuration", e.Flag, e.Address)
}

// resolveDerivedAddresses returns opts with every --target and --replace
// address that is the derived address of an object the Namer names
// otherwise (listener.http["0.0.0.0:80"] for listener.http.public, as
// `state list` prints them from a state file alone) replaced by the name the
// plan uses, so both spellings select the same object. opts itself is not
// modified.
func resolveDerivedAddresses(base, desired *state.State, opts Options) Options {
	if opts.Namer == nil || (len(opts.Targets) == 0 && len(opts.Replace) == 0) {
		return opts
	}
	named := map[string]string{}
	for _, s := range []*state.State{base, desired} {
		for _, o := range s.Objects() {
			n := opts.Namer(o.Kind, o.Key)
			if d := DerivedAddress(o.Kind, o.Key, o.Message); n != "" && n != d {
				named[d] = n
			}
		}
	}
	if len(named) == 0 {
		return opts
	}
	resolve := func(list []string) []string {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a
			if n, ok := named[a]; ok {
				out[i] = n
			}
		}
		return out
	}
	opts.Targets = resolve(opts.Targets)
	opts.Replace = resolve(opts.Replace)
	return opts
}

// checkAddresses returns an *AddressError for every target that matches no
// object address (itself or nested under it) and every replace address that
// is no object's address, in base or desired, joined.
func checkAddresses(base, desired *state.State, opts Options) error {
	if len(opts.Targets) == 0 && len(opts.Replace) == 0 {
		return nil
	}
	known := map[string]bool{}
	for _, s := range []*state.State{base, desired} {
		for _, o := range s.Objects() {
			addr := ""
			if opts.Namer != nil {
				addr = opts.Namer(o.Kind, o.Key)
			}
			if addr == "" {
				addr = DerivedAddress(o.Kind, o.Key, o.Message)
			}
			known[addr] = true
		}
	}
	var errs []error
	for _, t := range opts.Targets {
		hit := known[t]
		for a := range known {
			if hit {
				break
			}
			hit = addressMatches(t, a)
		}
		if !hit {
			errs = append(errs, &AddressError{"--target", t})
		}
	}
	for _, r := range opts.Replace {
		if !known[r] {
			errs = append(errs, &AddressError{"--replace", r})
		}
	}
	return errors.Join(errs...)
}
