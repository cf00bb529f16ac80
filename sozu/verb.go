package sozu

import (
	"strings"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// requestOneof is the request_type oneof of Request.
var requestOneof = (&sozupb.Request{}).ProtoReflect().Descriptor().Oneofs().ByName("request_type")

// Verb returns the name of the request's verb: the field set in its
// request_type oneof, in lower snake case ("add_cluster", "save_state";
// the schema's "Logging" gives "logging"). It returns "" for a nil request
// or one with no verb set.
func Verb(req *sozupb.Request) string {
	if req == nil {
		return ""
	}
	fd := req.ProtoReflect().WhichOneof(requestOneof)
	if fd == nil {
		return ""
	}
	return strings.ToLower(string(fd.Name()))
}
