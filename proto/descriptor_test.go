package sozupb

// The declarations in command.proto must stay exactly Sōzu's: only comments
// (and the go_package option) are ours. TestDescriptorsMatchSozu proves it by
// rendering the compiled descriptor of our file as a canonical listing and
// comparing it with a golden listing rendered, by the same code, from Sōzu's
// own command.proto.
//
// To rewrite the golden from Sōzu's file at a given tag, from a clone of
// https://github.com/sozu-proxy/sozu:
//
//	git -C path/to/sozu show 2.1.0:command/src/command.proto > sozu-command.proto
//	go test ./proto -run TestDescriptorsMatchSozu -sozu-proto=sozu-command.proto
//
// The flag needs protoc on the PATH. Review the golden's diff before
// committing it: every line of it is a declaration our file must reproduce.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

var sozuProto = flag.String("sozu-proto", "", "path to Sōzu's command.proto: compile it with protoc and rewrite testdata/"+goldenName+" from it")

const (
	goldenName = "sozu-2.1.0.descriptors.txt"
	// Sōzu 2.1.0 declares this many messages and enums at the top level
	// of command.proto (nested map-entry messages not counted).
	wantTopMessages = 94
	wantTopEnums    = 18
)

// TestDescriptorsMatchSozu compares our compiled schema with the golden
// listing rendered from Sōzu's command.proto.
func TestDescriptorsMatchSozu(t *testing.T) {
	golden := filepath.Join("testdata", goldenName)
	if *sozuProto != "" {
		fd, sum, err := compileProto(t.TempDir(), *sozuProto)
		if err != nil {
			t.Fatalf("compiling %s: %v", *sozuProto, err)
		}
		header := fmt.Sprintf("# Descriptors of Sōzu's command.proto (sha256 %s), rendered by\n"+
			"# TestDescriptorsMatchSozu -sozu-proto. Lines starting with # are not compared.\n", sum)
		if err := writeFileAtomic(golden, []byte(header+renderDescriptors(fd)), 0o644); err != nil {
			t.Fatalf("rewriting golden: %v", err)
		}
		t.Logf("rewrote %s from %s", golden, *sozuProto)
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden (rewrite it with -sozu-proto): %v", err)
	}
	want := listingLines(string(raw))
	got := listingLines(renderDescriptors(File_command_proto))
	if diff := lineDiff(want, got); diff != "" {
		t.Errorf("command.proto declarations differ from Sōzu's (- Sōzu, + ours):\n%s", diff)
	}
}

// TestDescriptorCounts guards against a deletion that also slipped into the
// golden: the numbers are Sōzu 2.1.0's, counted independently.
func TestDescriptorCounts(t *testing.T) {
	fd := File_command_proto
	if got := fd.Messages().Len(); got != wantTopMessages {
		t.Errorf("top-level messages: got %d, want %d", got, wantTopMessages)
	}
	if got := fd.Enums().Len(); got != wantTopEnums {
		t.Errorf("top-level enums: got %d, want %d", got, wantTopEnums)
	}
	if fd.Syntax() != protoreflect.Proto2 || fd.Package() != "command" {
		t.Errorf("file: syntax %v package %q, want proto2 package command", fd.Syntax(), fd.Package())
	}

	raw, err := os.ReadFile(filepath.Join("testdata", goldenName))
	if err != nil {
		t.Fatalf("reading golden: %v", err)
	}
	var msgs, enums int
	for _, l := range listingLines(string(raw)) {
		f := strings.Fields(l)
		switch {
		case len(f) == 2 && f[0] == "message" && strings.Count(f[1], ".") == 1:
			msgs++
		case len(f) == 2 && f[0] == "enum" && strings.Count(f[1], ".") == 1:
			enums++
		}
	}
	if msgs != wantTopMessages || enums != wantTopEnums {
		t.Errorf("golden lists %d top-level messages and %d enums, want %d and %d", msgs, enums, wantTopMessages, wantTopEnums)
	}
}

// TestRenderSeesMutations proves the comparison can fail: each mutation of
// our descriptor must change the listing, on the line named.
func TestRenderSeesMutations(t *testing.T) {
	base := protodesc.ToFileDescriptorProto(File_command_proto)
	baseLines := listingLines(renderDescriptors(File_command_proto))

	msg := func(fdp *descriptorpb.FileDescriptorProto, name string) *descriptorpb.DescriptorProto {
		for _, m := range fdp.MessageType {
			if m.GetName() == name {
				return m
			}
		}
		t.Fatalf("no message %s", name)
		return nil
	}
	field := func(m *descriptorpb.DescriptorProto, name string) *descriptorpb.FieldDescriptorProto {
		for _, f := range m.Field {
			if f.GetName() == name {
				return f
			}
		}
		t.Fatalf("no field %s in %s", name, m.GetName())
		return nil
	}
	enum := func(fdp *descriptorpb.FileDescriptorProto, name string) *descriptorpb.EnumDescriptorProto {
		for _, e := range fdp.EnumType {
			if e.GetName() == name {
				return e
			}
		}
		t.Fatalf("no enum %s", name)
		return nil
	}

	tests := []struct {
		name   string
		mutate func(*descriptorpb.FileDescriptorProto)
		// line is a line that must be in exactly one of the original and
		// the mutated listings.
		line string
	}{
		{
			name: "field renumbered",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				field(msg(f, "Request"), "add_cluster").Number = proto.Int32(60)
			},
			line: "message command.Request field 13 add_cluster optional message command.Cluster oneof=request_type",
		},
		{
			name: "field renamed",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				field(msg(f, "Request"), "Logging").Name = proto.String("logging")
			},
			line: "message command.Request field 42 Logging optional string oneof=request_type",
		},
		{
			name: "label changed",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				field(msg(f, "Cluster"), "sticky_session").Label = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
			},
			line: "message command.Cluster field 2 sticky_session required bool",
		},
		{
			name: "type changed",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				field(msg(f, "IpAddress"), "v4").Type = descriptorpb.FieldDescriptorProto_TYPE_UINT32.Enum()
			},
			line: "message command.IpAddress field 1 v4 optional fixed32 oneof=inner",
		},
		{
			name: "default changed",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				field(msg(f, "RequestHttpFrontend"), "position").DefaultValue = proto.String("PRE")
			},
			line: "message command.RequestHttpFrontend field 6 position required enum command.RulePosition default=TREE",
		},
		{
			name: "default dropped",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				field(msg(f, "HttpListenerConfig"), "front_timeout").DefaultValue = nil
			},
			line: "message command.HttpListenerConfig field 7 front_timeout required uint32 default=60",
		},
		{
			name: "packed option added",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				field(msg(f, "HttpsListenerConfig"), "versions").Options = &descriptorpb.FieldOptions{Packed: proto.Bool(true)}
			},
			line: "message command.HttpsListenerConfig field 12 versions repeated enum command.TlsVersion",
		},
		{
			name: "field moved out of its oneof",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				m := msg(f, "ProtobufEndpoint")
				m.Field = slices.DeleteFunc(m.Field, func(f *descriptorpb.FieldDescriptorProto) bool { return f.GetName() == "tcp" })
			},
			line: "message command.ProtobufEndpoint oneof inner = http tcp",
		},
		{
			name: "reserved range dropped",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				msg(f, "WorkerInfo").ReservedRange = nil
			},
			line: "message command.WorkerInfo reserved 4",
		},
		{
			name: "reserved name dropped",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				msg(f, "MetricDetailStatus").ReservedName = nil
			},
			line: `message command.MetricDetailStatus reserved "unsupported_workers"`,
		},
		{
			name: "enum value renumbered",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				enum(f, "ResponseStatus").Value[2].Number = proto.Int32(3)
			},
			line: "enum command.ResponseStatus value #2 FAILURE = 2",
		},
		{
			name: "enum values reordered",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				v := enum(f, "ProtobufAccessLogFormat").Value
				v[0], v[1] = v[1], v[0]
			},
			line: "enum command.ProtobufAccessLogFormat value #0 Ascii = 1",
		},
		{
			name: "message deleted",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				f.MessageType = slices.DeleteFunc(f.MessageType, func(m *descriptorpb.DescriptorProto) bool { return m.GetName() == "TcpEndpoint" })
				field(msg(f, "ProtobufEndpoint"), "tcp").TypeName = proto.String(".command.HttpEndpoint")
			},
			line: "message command.TcpEndpoint",
		},
		{
			name: "message option added",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				msg(f, "Status").Options = &descriptorpb.MessageOptions{Deprecated: proto.Bool(true)}
			},
			line: "message command.Status options deprecated=true",
		},
		{
			name: "package changed",
			mutate: func(f *descriptorpb.FileDescriptorProto) {
				f.Package = proto.String("sozu")
				var retype func([]*descriptorpb.DescriptorProto)
				retype = func(ms []*descriptorpb.DescriptorProto) {
					for _, m := range ms {
						for _, fd := range m.Field {
							if n, ok := strings.CutPrefix(fd.GetTypeName(), ".command."); ok {
								fd.TypeName = proto.String(".sozu." + n)
							}
						}
						retype(m.NestedType)
					}
				}
				retype(f.MessageType)
			},
			line: "file command.proto syntax=proto2 package=command",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fdp := proto.Clone(base).(*descriptorpb.FileDescriptorProto)
			tt.mutate(fdp)
			fd, err := protodesc.NewFile(fdp, new(protoregistry.Files))
			if err != nil {
				t.Fatalf("building mutated descriptor: %v", err)
			}
			got := listingLines(renderDescriptors(fd))
			if slices.Equal(baseLines, got) {
				t.Fatal("mutation left the listing unchanged")
			}
			if slices.Contains(baseLines, tt.line) == slices.Contains(got, tt.line) {
				t.Errorf("line %q is in both listings or in neither", tt.line)
			}
		})
	}
}

// TestRenderIgnoresGoPackage checks the one option we add on purpose is left
// out of the listing, and that other file options are not.
func TestRenderIgnoresGoPackage(t *testing.T) {
	fdp := protodesc.ToFileDescriptorProto(File_command_proto)
	want := listingLines(renderDescriptors(File_command_proto))

	fdp.Options.GoPackage = proto.String("example.com/elsewhere;pb")
	fd, err := protodesc.NewFile(fdp, new(protoregistry.Files))
	if err != nil {
		t.Fatal(err)
	}
	if diff := lineDiff(want, listingLines(renderDescriptors(fd))); diff != "" {
		t.Errorf("go_package leaked into the listing:\n%s", diff)
	}

	fdp.Options.JavaPackage = proto.String("org.example")
	fd, err = protodesc.NewFile(fdp, new(protoregistry.Files))
	if err != nil {
		t.Fatal(err)
	}
	if got := listingLines(renderDescriptors(fd)); !slices.Contains(got, `file options java_package="org.example"`) {
		t.Errorf("java_package missing from the listing; file lines: %q", got[:1])
	}
}

// BenchmarkRenderDescriptors measures one rendering of the whole schema.
func BenchmarkRenderDescriptors(b *testing.B) {
	for b.Loop() {
		_ = renderDescriptors(File_command_proto)
	}
}

// lineDiff lists the lines only in a (prefixed "- ") and only in b
// (prefixed "+ "), in order, from a longest common subsequence. Each
// listing line names its message or enum, so no context is needed. It
// returns "" when a and b are equal. Past a few million line pairs it falls
// back to listing the whole differing middle of a, then of b.
func lineDiff(a, b []string) string {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	var out strings.Builder
	if len(a)*len(b) > 4_000_000 {
		for _, l := range a {
			out.WriteString("- " + l + "\n")
		}
		for _, l := range b {
			out.WriteString("+ " + l + "\n")
		}
		return out.String()
	}
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i++
			j++
		case j == len(b) || (i < len(a) && lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + a[i] + "\n")
			i++
		default:
			out.WriteString("+ " + b[j] + "\n")
			j++
		}
	}
	return out.String()
}

// listingLines splits a listing into its lines, dropping comments and blank
// lines.
func listingLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// compileProto compiles the proto file at path with protoc (given the extra
// protocArgs) into dir and returns its descriptor and the sha256 of its
// bytes. The file is compiled
// under the name command.proto whatever its name on disk, so that renaming
// the input cannot change the listing.
func compileProto(dir, path string, protocArgs ...string) (protoreflect.FileDescriptor, string, error) {
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		return nil, "", fmt.Errorf("protoc is needed to compile %s: %w", path, err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading proto: %w", err)
	}
	sum := sha256.Sum256(src)
	if err := os.WriteFile(filepath.Join(dir, "command.proto"), src, 0o600); err != nil {
		return nil, "", fmt.Errorf("copying proto: %w", err)
	}
	set := filepath.Join(dir, "set.pb")
	args := append([]string{"--proto_path=" + dir, "--include_imports", "--descriptor_set_out=" + set}, protocArgs...)
	cmd := exec.Command(protoc, append(args, "command.proto")...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("protoc: %w\n%s", err, out)
	}
	raw, err := os.ReadFile(set)
	if err != nil {
		return nil, "", fmt.Errorf("reading descriptor set: %w", err)
	}
	var fds descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &fds); err != nil {
		return nil, "", fmt.Errorf("decoding descriptor set: %w", err)
	}
	files, err := protodesc.NewFiles(&fds)
	if err != nil {
		return nil, "", fmt.Errorf("loading descriptor set: %w", err)
	}
	fd, err := files.FindFileByPath("command.proto")
	if err != nil {
		return nil, "", fmt.Errorf("finding command.proto in descriptor set: %w", err)
	}
	return fd, hex.EncodeToString(sum[:]), nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating directory: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("creating temp file: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	if err := os.Chmod(f.Name(), mode); err != nil {
		return fmt.Errorf("setting mode: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	return nil
}

// renderDescriptors renders everything in fd that a declaration can change,
// one self-contained line per fact. Each enum, message (nested ones and map
// entries included), extension and service is a block of lines; blocks are
// sorted by their first line, fields by number, oneof members by name, so
// that two files declaring the same schema in another order render the same.
// Enum values keep their declaration order, which proto2 gives a meaning.
// Comments, source positions and the go_package option are left out.
func renderDescriptors(fd protoreflect.FileDescriptor) string {
	// File facts come first in a fixed order.
	head := []string{fmt.Sprintf("file %s syntax=%s package=%s", fd.Path(), fd.Syntax(), fd.Package())}
	imports := fd.Imports()
	for i := range imports.Len() {
		imp := imports.Get(i)
		head = append(head, fmt.Sprintf("file import %s public=%t weak=%t", imp.Path(), imp.IsPublic, imp.IsWeak))
	}
	if opts := renderOptions(fd.Options(), "go_package"); opts != "" {
		head = append(head, "file options "+opts)
	}

	var blocks [][]string
	var walkMessages func(protoreflect.MessageDescriptors)
	var walkEnums func(protoreflect.EnumDescriptors)
	var walkExtensions func(protoreflect.ExtensionDescriptors)

	walkEnums = func(es protoreflect.EnumDescriptors) {
		for i := range es.Len() {
			e := es.Get(i)
			name := e.FullName()
			block := []string{fmt.Sprintf("enum %s", name)}
			if opts := renderOptions(e.Options()); opts != "" {
				block = append(block, fmt.Sprintf("enum %s options %s", name, opts))
			}
			vals := e.Values()
			for j := range vals.Len() {
				v := vals.Get(j)
				// An enum field without a declared default takes the first
				// value, so the position is part of the schema.
				line := fmt.Sprintf("enum %s value #%d %s = %d", name, j, v.Name(), v.Number())
				if opts := renderOptions(v.Options()); opts != "" {
					line += " options " + opts
				}
				block = append(block, line)
			}
			er := e.ReservedRanges()
			rs := make([][2]int64, er.Len())
			for j := range er.Len() {
				r := er.Get(j) // inclusive
				rs[j] = [2]int64{int64(r[0]), int64(r[1])}
			}
			block = append(block, reserved("enum "+string(name), rs, e.ReservedNames())...)
			blocks = append(blocks, block)
		}
	}

	walkExtensions = func(xs protoreflect.ExtensionDescriptors) {
		for i := range xs.Len() {
			x := xs.Get(i)
			blocks = append(blocks, []string{fmt.Sprintf("extension %s extends %s field %d %s",
				x.FullName(), x.ContainingMessage().FullName(), x.Number(), fieldFacts(x))})
		}
	}

	walkMessages = func(ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			m := ms.Get(i)
			name := m.FullName()
			block := []string{fmt.Sprintf("message %s", name)}
			if opts := renderOptions(m.Options()); opts != "" {
				block = append(block, fmt.Sprintf("message %s options %s", name, opts))
			}
			fields := m.Fields()
			byNumber := make([]protoreflect.FieldDescriptor, fields.Len())
			for j := range fields.Len() {
				byNumber[j] = fields.Get(j)
			}
			slices.SortFunc(byNumber, func(a, b protoreflect.FieldDescriptor) int { return int(a.Number()) - int(b.Number()) })
			for _, f := range byNumber {
				block = append(block, fmt.Sprintf("message %s field %d %s %s", name, f.Number(), f.Name(), fieldFacts(f)))
			}
			var oneofLines []string
			oneofs := m.Oneofs()
			for j := range oneofs.Len() {
				o := oneofs.Get(j)
				var members []string
				of := o.Fields()
				for k := range of.Len() {
					members = append(members, string(of.Get(k).Name()))
				}
				slices.Sort(members)
				line := fmt.Sprintf("message %s oneof %s = %s", name, o.Name(), strings.Join(members, " "))
				if opts := renderOptions(o.Options()); opts != "" {
					line += " options " + opts
				}
				oneofLines = append(oneofLines, line)
			}
			slices.Sort(oneofLines)
			block = append(block, oneofLines...)
			mr := m.ReservedRanges()
			rs := make([][2]int64, mr.Len())
			for j := range mr.Len() {
				r := mr.Get(j) // half-open
				rs[j] = [2]int64{int64(r[0]), int64(r[1]) - 1}
			}
			block = append(block, reserved("message "+string(name), rs, m.ReservedNames())...)
			er := m.ExtensionRanges()
			var extLines []string
			for j := range er.Len() {
				r := er.Get(j)
				extLines = append(extLines, fmt.Sprintf("message %s extensions %s", name, rangeString(r[0], r[1])))
			}
			slices.Sort(extLines)
			block = append(block, extLines...)
			blocks = append(blocks, block)
			walkEnums(m.Enums())
			walkExtensions(m.Extensions())
			walkMessages(m.Messages())
		}
	}

	walkEnums(fd.Enums())
	walkExtensions(fd.Extensions())
	walkMessages(fd.Messages())
	services := fd.Services()
	for i := range services.Len() {
		s := services.Get(i)
		block := []string{fmt.Sprintf("service %s", s.FullName())}
		methods := s.Methods()
		var ml []string
		for j := range methods.Len() {
			md := methods.Get(j)
			ml = append(ml, fmt.Sprintf("service %s method %s(%s stream=%t) returns (%s stream=%t)", s.FullName(), md.Name(),
				md.Input().FullName(), md.IsStreamingClient(), md.Output().FullName(), md.IsStreamingServer()))
		}
		slices.Sort(ml)
		blocks = append(blocks, append(block, ml...))
	}

	slices.SortFunc(blocks, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	out := head
	for _, b := range blocks {
		out = append(out, b...)
	}
	return strings.Join(out, "\n") + "\n"
}

// reserved renders the reserved ranges (inclusive bounds, sorted by start)
// and names (sorted) of an enum or message.
func reserved(prefix string, rs [][2]int64, names protoreflect.Names) []string {
	slices.SortFunc(rs, func(a, b [2]int64) int { return cmpInt(a[0], b[0]) })
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s reserved %s", prefix, inclusiveRange(r[0], r[1])))
	}
	var ns []string
	for i := range names.Len() {
		ns = append(ns, fmt.Sprintf("%s reserved %q", prefix, names.Get(i)))
	}
	slices.Sort(ns)
	return append(out, ns...)
}

// fieldFacts renders a field's label, type, type name, default, oneof,
// explicit JSON name and options.
func fieldFacts(f protoreflect.FieldDescriptor) string {
	var b strings.Builder
	b.WriteString(f.Cardinality().String())
	b.WriteByte(' ')
	b.WriteString(f.Kind().String())
	switch f.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		b.WriteString(" " + string(f.Message().FullName()))
	case protoreflect.EnumKind:
		b.WriteString(" " + string(f.Enum().FullName()))
	}
	if f.HasDefault() {
		b.WriteString(" default=" + defaultString(f))
	}
	if o := f.ContainingOneof(); o != nil {
		b.WriteString(" oneof=" + string(o.Name()))
	}
	if f.JSONName() != jsonCamelCase(string(f.Name())) {
		b.WriteString(" json_name=" + strconv.Quote(f.JSONName()))
	}
	if opts := renderOptions(f.Options()); opts != "" {
		b.WriteString(" options " + opts)
	}
	return b.String()
}

// defaultString renders a field's declared default value.
func defaultString(f protoreflect.FieldDescriptor) string {
	v := f.Default()
	switch f.Kind() {
	case protoreflect.EnumKind:
		if ev := f.DefaultEnumValue(); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.StringKind:
		return strconv.Quote(v.String())
	case protoreflect.BytesKind:
		return strconv.Quote(string(v.Bytes()))
	default:
		return fmt.Sprint(v.Interface())
	}
}

// renderOptions renders the options set in an options message as
// space-separated name=value pairs sorted by name, leaving out the names in
// skip. It returns "" when no option is set.
func renderOptions(opts proto.Message, skip ...protoreflect.Name) string {
	if opts == nil {
		return ""
	}
	m := opts.ProtoReflect()
	if !m.IsValid() {
		return ""
	}
	var pairs []string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if slices.Contains(skip, fd.Name()) {
			return true
		}
		pairs = append(pairs, string(fd.Name())+"="+valueString(fd, v))
		return true
	})
	if unknown := m.GetUnknown(); len(unknown) > 0 {
		pairs = append(pairs, "unknown="+hex.EncodeToString(unknown))
	}
	slices.Sort(pairs)
	return strings.Join(pairs, " ")
}

// valueString renders an option value: lists in brackets, messages in braces
// with their own set fields.
func valueString(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case fd.IsList():
		l := v.List()
		parts := make([]string, l.Len())
		for i := range l.Len() {
			parts[i] = scalarString(fd, l.Get(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case fd.IsMap():
		var parts []string
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			parts = append(parts, k.String()+":"+scalarString(fd.MapValue(), mv))
			return true
		})
		slices.Sort(parts)
		return "{" + strings.Join(parts, ",") + "}"
	default:
		return scalarString(fd, v)
	}
}

func scalarString(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.StringKind:
		return strconv.Quote(v.String())
	case protoreflect.BytesKind:
		return strconv.Quote(string(v.Bytes()))
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return "{" + renderOptions(v.Message().Interface()) + "}"
	default:
		return fmt.Sprint(v.Interface())
	}
}

// rangeString renders a half-open field range [start, end) the way a .proto
// file declares it.
func rangeString(start, end protoreflect.FieldNumber) string {
	return inclusiveRange(int64(start), int64(end)-1)
}

// inclusiveRange renders the range [first, last] the way a .proto file
// declares it.
func inclusiveRange(first, last int64) string {
	if first == last {
		return strconv.FormatInt(first, 10)
	}
	return fmt.Sprintf("%d to %d", first, last)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// jsonCamelCase is protoc's default JSON name for a field name.
func jsonCamelCase(s string) string {
	var b bytes.Buffer
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			upper = true
		case upper && 'a' <= c && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
			upper = false
		default:
			b.WriteByte(c)
			upper = false
		}
	}
	return b.String()
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b []string
		want string
	}{
		{"equal", []string{"x", "y"}, []string{"x", "y"}, ""},
		{"both empty", nil, nil, ""},
		{"changed line", []string{"a", "b", "c"}, []string{"a", "B", "c"}, "- b\n+ B\n"},
		{"added at end", []string{"a"}, []string{"a", "b"}, "+ b\n"},
		{"removed at start", []string{"a", "b"}, []string{"b"}, "- a\n"},
		{"all different", []string{"a"}, []string{"b"}, "- a\n+ b\n"},
		{"interleaved", []string{"a", "x", "b", "y", "c"}, []string{"a", "b", "z", "c"}, "- x\n- y\n+ z\n"},
		{"too large for LCS", slices.Repeat([]string{"x"}, 2001), slices.Repeat([]string{"y"}, 2001),
			strings.Repeat("- x\n", 2001) + strings.Repeat("+ y\n", 2001)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lineDiff(tt.a, tt.b); got != tt.want {
				t.Errorf("lineDiff(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
