package sim

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// TestProxiesHandleEveryStateVerb builds a request of each verb with an
// empty payload: the worker proxies must handle every one of the 28 state
// verbs (no "not supported") and must not panic on missing fields.
func TestProxiesHandleEveryStateVerb(t *testing.T) {
	oneof := (&sozupb.Request{}).ProtoReflect().Descriptor().Oneofs().ByName("request_type")
	n := 0
	for i := range oneof.Fields().Len() {
		fd := oneof.Fields().Get(i)
		req := &sozupb.Request{}
		m := req.ProtoReflect()
		var v protoreflect.Value
		if fd.Kind() == protoreflect.MessageKind {
			v = protoreflect.ValueOfMessage(m.NewField(fd).Message())
		} else {
			v = m.NewField(fd)
		}
		m.Set(fd, v)
		err := newProxies().apply(req)
		if state.IsStateChanging(req) {
			n++
			if errors.Is(err, errNotSupported) {
				t.Errorf("%s: the worker proxies do not handle it", fd.Name())
			}
		}
	}
	if n != 28 {
		t.Errorf("%d state verbs, want 28", n)
	}
}
