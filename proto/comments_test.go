package sozupb

import (
	"os/exec"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestEveryDeclarationIsCommented keeps command.proto documented: every
// message and enum (map entries aside) and every member of Request's oneof
// has a leading comment of its own.
func TestEveryDeclarationIsCommented(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("protoc is not on the PATH: cannot read command.proto's comments")
	}
	fd, _, err := compileProto(t.TempDir(), "command.proto", "--include_source_info")
	if err != nil {
		t.Fatal(err)
	}
	locs := fd.SourceLocations()
	commented := func(d protoreflect.Descriptor) bool {
		return strings.TrimSpace(locs.ByDescriptor(d).LeadingComments) != ""
	}

	var missing []string
	var walkEnums func(protoreflect.EnumDescriptors)
	walkEnums = func(es protoreflect.EnumDescriptors) {
		for i := range es.Len() {
			if e := es.Get(i); !commented(e) {
				missing = append(missing, "enum "+string(e.FullName()))
			}
		}
	}
	var walkMessages func(protoreflect.MessageDescriptors)
	walkMessages = func(ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			m := ms.Get(i)
			if m.IsMapEntry() {
				continue
			}
			if !commented(m) {
				missing = append(missing, "message "+string(m.FullName()))
			}
			walkEnums(m.Enums())
			walkMessages(m.Messages())
		}
	}
	walkEnums(fd.Enums())
	walkMessages(fd.Messages())

	req := fd.Messages().ByName("Request")
	if req == nil {
		t.Fatal("no Request message")
	}
	members := req.Oneofs().ByName("request_type").Fields()
	for i := range members.Len() {
		if f := members.Get(i); !commented(f) {
			missing = append(missing, "Request."+string(f.Name()))
		}
	}
	if members.Len() != 55 {
		t.Errorf("Request.request_type has %d members, want Sōzu 2.1.0's 55", members.Len())
	}
	for _, m := range missing {
		t.Errorf("%s has no comment", m)
	}
}
