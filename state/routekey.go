package state

import (
	"strconv"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// RouteKey returns the key under which Sōzu's main process files an HTTP or
// HTTPS frontend: "<ip:port>;<hostname>;<P|R|=><path>[;<method>]", with P
// for a prefix, R for a regex and = for an exact path, and the method only
// when the frontend has one (command/src/request.rs:259-280). The hostname is
// used as given: "API.example.com" and "api.example.com" are two keys.
// cluster_id, position, tags, redirects, rewrites, headers and hsts are not
// part of the key. An unknown path kind gives the text Sōzu uses as the key
// in that case.
func RouteKey(f *sozupb.RequestHttpFrontend) string {
	var s string
	path := f.GetPath()
	prefix := FormatAddress(f.GetAddress()) + ";" + f.GetHostname() + ";"
	switch k := path.GetKind(); k {
	case sozupb.PathRuleKind_PREFIX:
		s = prefix + "P" + path.GetValue()
	case sozupb.PathRuleKind_REGEX:
		s = prefix + "R" + path.GetValue()
	case sozupb.PathRuleKind_EQUALS:
		s = prefix + "=" + path.GetValue()
	default:
		s = "Wrong variant of PathRuleKind: unknown enumeration value " + strconv.Itoa(int(k))
	}
	if f.Method != nil {
		s += ";" + f.GetMethod()
	}
	return s
}
