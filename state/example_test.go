package state_test

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func ExampleState_Apply() {
	s := state.New()
	addr, _ := state.ParseAddress("0.0.0.0:80")
	listener := &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: state.NewHTTPListener(addr)}}
	fmt.Println(s.Apply(listener))
	err := s.Apply(listener)
	var se *state.Error
	if errors.As(err, &se) {
		fmt.Println(se.Kind, "—", se.Message)
	}
	// Output:
	// <nil>
	// exists — HttpListener '0.0.0.0:80' already exists
}

func ExampleRouteKey() {
	addr, _ := state.ParseAddress("[::1]:443")
	f := &sozupb.RequestHttpFrontend{
		Address:  addr,
		Hostname: proto.String("api.example.com"),
		Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("/v1")},
		Method:   proto.String("GET"),
	}
	fmt.Println(state.RouteKey(f))
	// Output: [::1]:443;api.example.com;P/v1;GET
}

func ExampleNormalize() {
	addr, _ := state.ParseAddress("0.0.0.0:443")
	fromLoader := state.NewHTTPSListener(addr)
	// What a state file may hold: timeouts and TLS lists left out.
	sparse := &sozupb.HttpsListenerConfig{
		Address:          addr,
		StickyName:       proto.String(state.DefaultStickyName),
		Versions:         state.DefaultTLSVersions(),
		SendTls13Tickets: proto.Uint64(state.DefaultSendTLS13Tickets),
	}
	fmt.Println(proto.Equal(fromLoader, sparse), state.EffectiveEqual(fromLoader, sparse))
	// Output: false true
}
