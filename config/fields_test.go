package config

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// TestEveryFieldReachable checks that every field of the messages Sōzu
// records is an attribute or a block of the schema, or one of the
// documented shorthands.
func TestEveryFieldReachable(t *testing.T) {
	tests := []struct {
		spec       *msgSpec
		msg        proto.Message
		shorthands map[string]string // proto field → what stands for it
	}{
		{specHTTPListener, &sozupb.HttpListenerConfig{}, map[string]string{"address": "address"}},
		{specHTTPSListener, &sozupb.HttpsListenerConfig{}, map[string]string{"address": "address"}},
		{specTCPListener, &sozupb.TcpListenerConfig{}, map[string]string{"address": "address"}},
		{specUDPListener, &sozupb.UdpListenerConfig{}, map[string]string{"address": "address"}},
		{specCluster, &sozupb.Cluster{}, map[string]string{"cluster_id": "label"}},
		{specBackend, &sozupb.AddBackend{}, map[string]string{"cluster_id": "enclosing cluster", "backend_id": "label", "load_balancing_parameters": "weight"}},
		{specHTTPFrontend, &sozupb.RequestHttpFrontend{}, map[string]string{"cluster_id": "enclosing cluster", "address": "address", "path": "path_prefix"}},
		{specTopHTTPFrontend, &sozupb.RequestHttpFrontend{}, map[string]string{"address": "address", "path": "path_prefix"}},
		{specTCPFrontend, &sozupb.RequestTcpFrontend{}, map[string]string{"cluster_id": "enclosing cluster", "address": "address"}},
		{specUDPFrontend, &sozupb.RequestUdpFrontend{}, map[string]string{"cluster_id": "enclosing cluster", "address": "address"}},
		{specCertificate, &sozupb.CertificateAndKey{}, nil},
	}
	for _, tt := range tests {
		md := tt.msg.ProtoReflect().Descriptor()
		t.Run(string(md.Name()), func(t *testing.T) {
			checkReachable(t, tt.spec, md, tt.shorthands)
		})
	}
}

func checkReachable(t *testing.T, spec *msgSpec, md protoreflect.MessageDescriptor, shorthands map[string]string) {
	t.Helper()
	names := map[string]bool{}
	for _, a := range spec.schema.Attributes {
		names[a.Name] = true
	}
	for _, b := range spec.schema.Blocks {
		names[b.Type] = true
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		name := string(fd.Name())
		if alt, ok := shorthands[name]; ok {
			if alt != "label" && alt != "enclosing cluster" && !names[alt] {
				t.Errorf("%s.%s: shorthand %q is not in the schema", md.Name(), name, alt)
			}
			continue
		}
		if _, isAttr := spec.attrs[name]; isAttr {
			continue
		}
		found := false
		for _, bf := range spec.blocks {
			if bf.fd == fd {
				found = true
				checkReachable(t, bf.spec, fd.Message(), nil)
			}
		}
		if !found {
			t.Errorf("%s.%s cannot be written in HCL", md.Name(), name)
		}
	}
}
