package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// docs/configuration.md documents every block and attribute. Its attribute
// tables are generated from the loader's schema by this file (refresh them
// with go test ./config -run ConfigurationDoc -update); the prose around them
// is written by hand. TestProtoFieldCoverage then reads the document back and
// checks that every field of every message Sōzu records is either named in
// the "Sōzu field" column of a table, or listed with a reason in the table of
// fields deliberately not set from HCL.

const configurationDoc = "../docs/configuration.md"

const (
	docBegin = "<!-- BEGIN GENERATED TABLES: go test ./config -run ConfigurationDoc -update -->"
	docEnd   = "<!-- END GENERATED TABLES -->"
)

// docBlock is one top-level block of the reference.
type docBlock struct {
	title    string // heading, such as `listener "http" NAME`
	anchor   string // prefix of nested headings, such as "listener http"
	spec     *msgSpec
	defaults proto.Message // what Sōzu's config.toml loader fills in, if any
	extra    []docRow      // rows for labels, shorthands and implied fields
}

// docRow is one row of an attribute table.
type docRow struct {
	name, typ, def, source, field string
}

func docBlocks() []docBlock {
	listenerRows := func(msg string) []docRow {
		return []docRow{
			{"label 1: protocol", "`http`, `https`, `tcp` or `udp`", "required", "", "—"},
			{"label 2: name", "string", "required", "", "— (local name, used in references `listener.<protocol>.<name>`)"},
			{"address", "string `ip:port`", "required", "", "`" + msg + ".address`"},
		}
	}
	frontendAddr := func(msg string) []docRow {
		return []docRow{
			{"address", "string `ip:port`", "one of `address`, `listener`", "", "`" + msg + ".address`"},
			{"listener", "reference `listener.<protocol>.<name>`", "one of `address`, `listener`", "", "`" + msg + ".address` (the listener's address)"},
		}
	}
	pathRows := []docRow{
		{"path_prefix", "string", "`\"\"` (every path) when no path rule is given", "sozuctl-plan", "`RequestHttpFrontend.path`: `PathRule.kind` = `PREFIX`, `PathRule.value`"},
		{"path_regex", "string (a regular expression)", "unset; at most one of the three path rules", "", "`RequestHttpFrontend.path`: `PathRule.kind` = `REGEX`, `PathRule.value`"},
		{"path_equals", "string", "unset; at most one of the three path rules", "", "`RequestHttpFrontend.path`: `PathRule.kind` = `EQUALS`, `PathRule.value`"},
	}
	enclosing := func(msg string) docRow {
		return docRow{"(enclosing cluster)", "", "", "", "`" + msg + ".cluster_id` (the label of the enclosing `cluster` block)"}
	}
	return []docBlock{
		{title: `listener "http" NAME`, anchor: "listener http", spec: specHTTPListener,
			defaults: state.NewHTTPListener(nil), extra: listenerRows("HttpListenerConfig")},
		{title: `listener "https" NAME`, anchor: "listener https", spec: specHTTPSListener,
			defaults: state.NewHTTPSListener(nil), extra: listenerRows("HttpsListenerConfig")},
		{title: `listener "tcp" NAME`, anchor: "listener tcp", spec: specTCPListener,
			defaults: state.NewTCPListener(nil), extra: listenerRows("TcpListenerConfig")},
		{title: `listener "udp" NAME`, anchor: "listener udp", spec: specUDPListener,
			defaults: state.NewUDPListener(nil), extra: listenerRows("UdpListenerConfig")},
		{title: `cluster CLUSTER_ID`, anchor: "cluster", spec: specCluster, extra: []docRow{
			{"label: cluster_id", "string", "required", "", "`Cluster.cluster_id`"},
			{"backend", "block, repeatable", "", "", "see `cluster › backend`"},
			{"http_frontend", "block, repeatable", "", "", "see `cluster › http_frontend`"},
			{"https_frontend", "block, repeatable", "", "", "see `cluster › https_frontend`"},
			{"tcp_frontend", "block, repeatable", "", "", "see `cluster › tcp_frontend`"},
			{"udp_frontend", "block, repeatable", "", "", "see `cluster › udp_frontend`"},
		}},
		{title: `cluster › backend BACKEND_ID`, anchor: "backend", spec: specBackend, extra: []docRow{
			{"label: backend_id", "string", "required", "", "`AddBackend.backend_id`"},
			enclosing("AddBackend"),
			{"address", "string `ip:port`", "required", "", "`AddBackend.address`"},
			{"weight", "number", "unset (Sōzu weighs every backend 100)", "", "`AddBackend.load_balancing_parameters`: `LoadBalancingParams.weight`"},
		}},
		{title: `cluster › http_frontend`, anchor: "http_frontend", spec: specHTTPFrontend,
			extra: append(append([]docRow{enclosing("RequestHttpFrontend")}, frontendAddr("RequestHttpFrontend")...), pathRows...)},
		{title: `cluster › https_frontend`, anchor: "https_frontend", spec: specHTTPFrontend,
			extra: append(append([]docRow{enclosing("RequestHttpFrontend")}, frontendAddr("RequestHttpFrontend")...), pathRows...)},
		{title: `cluster › tcp_frontend`, anchor: "tcp_frontend", spec: specTCPFrontend,
			extra: append([]docRow{enclosing("RequestTcpFrontend")}, frontendAddr("RequestTcpFrontend")...)},
		{title: `cluster › udp_frontend`, anchor: "udp_frontend", spec: specUDPFrontend,
			extra: append([]docRow{enclosing("RequestUdpFrontend")}, frontendAddr("RequestUdpFrontend")...)},
		{title: `http_frontend, https_frontend (top level, no cluster)`, anchor: "top-level frontend", spec: specTopHTTPFrontend,
			extra: append(frontendAddr("RequestHttpFrontend"), pathRows...)},
		{title: `certificate NAME`, anchor: "certificate", spec: specCertificate, extra: []docRow{
			{"label: name", "string", "required", "", "— (local name; the identity is the listener address and the fingerprint)"},
			{"(the block)", "", "", "", "`AddCertificate.certificate` (a `CertificateAndKey`)"},
			{"address", "string `ip:port`", "one of `address`, `listener`", "", "`AddCertificate.address`"},
			{"listener", "reference `listener.https.<name>`", "one of `address`, `listener`", "", "`AddCertificate.address` (the listener's address)"},
			{"expired_at", "number (Unix time)", "unset", "", "`AddCertificate.expired_at`"},
		}},
	}
}

// docType describes the HCL type of a proto field.
func docType(fd protoreflect.FieldDescriptor) string {
	var base string
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		base = "string"
	case protoreflect.BoolKind:
		base = "bool"
	case protoreflect.EnumKind:
		base = "string: " + docEnumValues(fd.Enum())
	case protoreflect.MessageKind:
		if fd.Message().FullName() == socketAddressName {
			base = "string `ip:port`"
		} else {
			base = "block"
		}
	default:
		base = "number"
	}
	switch {
	case fd.IsMap():
		return "map(string)"
	case fd.IsList() && fd.Kind() == protoreflect.EnumKind:
		return "list(string): " + docEnumValues(fd.Enum())
	case fd.IsList():
		return "list(" + base + ")"
	}
	return base
}

// docEnumValues lists the value names of an enum, backticked.
func docEnumValues(ed protoreflect.EnumDescriptor) string {
	vals := ed.Values()
	names := make([]string, vals.Len())
	for i := range names {
		names[i] = "`" + string(vals.Get(i).Name()) + "`"
	}
	return strings.Join(names, ", ")
}

// docValue formats a protobuf value as HCL.
func docValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	if fd.IsList() {
		l := v.List()
		parts := make([]string, l.Len())
		for i := range parts {
			parts[i] = docScalar(fd, l.Get(i))
		}
		if len(parts) == 0 {
			return "`[]`"
		}
		return "`[" + strings.Join(parts, ", ") + "]`"
	}
	return "`" + docScalar(fd, v) + "`"
}

func docScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return fmt.Sprintf("%q", v.String())
	case protoreflect.BytesKind:
		return fmt.Sprintf("%q", v.Bytes())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return fmt.Sprintf("%q", ev.Name())
		}
		return fmt.Sprint(v.Enum())
	}
	return fmt.Sprint(v.Interface())
}

// docDefault returns the default of a field and where it comes from.
func docDefault(fd protoreflect.FieldDescriptor, required bool, defaults proto.Message) (string, string) {
	switch {
	case required:
		return "required", ""
	case fd.Name() == "active" && defaults != nil:
		return "`true`", "sozuctl-plan: a declared listener is wanted active (SPEC §3)"
	case fd.HasDefault():
		return docValue(fd, fd.Default()), "command.proto `[default = …]`"
	}
	if defaults != nil {
		m := defaults.ProtoReflect()
		if m.Has(fd) && fd.Kind() != protoreflect.MessageKind {
			return docValue(fd, m.Get(fd)), "Sōzu's config.toml loader (`state.New" + docListenerName(m) + "`)"
		}
	}
	if fd.Cardinality() == protoreflect.Required && fd.Kind() != protoreflect.MessageKind {
		return docValue(fd, fd.Default()), "zero value of a required proto field"
	}
	if fd.IsList() || fd.IsMap() {
		return "empty", ""
	}
	return "unset", "not sent: Sōzu applies its own behaviour"
}

func docListenerName(m protoreflect.Message) string {
	switch m.Descriptor().Name() {
	case "HttpsListenerConfig":
		return "HTTPSListener"
	case "TcpListenerConfig":
		return "TCPListener"
	case "UdpListenerConfig":
		return "UDPListener"
	}
	return "HTTPListener"
}

// writeDocTable writes the table of spec (and, recursively, of its nested
// blocks) under heading title.
func writeDocTable(b *strings.Builder, level int, title string, spec *msgSpec, defaults proto.Message, extra []docRow) {
	fmt.Fprintf(b, "%s `%s`\n\n", strings.Repeat("#", level), title)
	fmt.Fprintf(b, "Sōzu message: `%s`.\n\n", spec.md.Name())
	b.WriteString("| Attribute | Type | Default | Default from | Sōzu field |\n|---|---|---|---|---|\n")
	rows := append([]docRow(nil), extra...)
	required := map[string]bool{}
	for _, a := range spec.schema.Attributes {
		required[a.Name] = a.Required
	}
	for _, a := range spec.schema.Attributes {
		fd, ok := spec.attrs[a.Name]
		if !ok {
			continue // an extra attribute, documented by an extra row
		}
		def, src := docDefault(fd, required[a.Name], defaults)
		typ := docType(fd)
		if spec.sensitive[a.Name] {
			typ += " (sensitive: never printed)"
		}
		rows = append(rows, docRow{a.Name, typ, def, src, "`" + string(spec.md.Name()) + "." + a.Name + "`"})
	}
	var nested []string
	for name := range spec.blocks {
		nested = append(nested, name)
	}
	sort.Strings(nested)
	for _, name := range nested {
		bf := spec.blocks[name]
		rep := "block, at most one"
		if bf.fd.IsList() {
			rep = "block, repeatable"
		}
		rows = append(rows, docRow{name, rep, "unset", "", "`" + string(spec.md.Name()) + "." + string(bf.fd.Name()) + "` (see `" + title + " › " + name + "`)"})
	}
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", docCell(r.name), r.typ, r.def, r.source, r.field)
	}
	b.WriteString("\n")
	for _, name := range nested {
		bf := spec.blocks[name]
		writeDocTable(b, min(level+1, 4), title+" › "+name, bf.spec, nil, nil)
	}
}

func docCell(name string) string {
	if strings.HasPrefix(name, "label") || strings.HasPrefix(name, "(") {
		return name
	}
	return "`" + name + "`"
}

// generateDocTables returns the generated part of docs/configuration.md.
func generateDocTables() string {
	var b strings.Builder
	for _, blk := range docBlocks() {
		writeDocTable(&b, 3, blk.title, blk.spec, blk.defaults, blk.extra)
	}
	return b.String()
}

func TestConfigurationDoc(t *testing.T) {
	doc, err := os.ReadFile(configurationDoc)
	if err != nil {
		t.Fatal(err)
	}
	begin := bytes.Index(doc, []byte(docBegin))
	end := bytes.Index(doc, []byte(docEnd))
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the markers %q and %q", configurationDoc, docBegin, docEnd)
	}
	want := "\n\n" + generateDocTables()
	got := string(doc[begin+len(docBegin) : end])
	if got == want {
		return
	}
	if golden.Updating() {
		var out bytes.Buffer
		out.Write(doc[:begin+len(docBegin)])
		out.WriteString(want)
		out.Write(doc[end:])
		if err := os.WriteFile(configurationDoc, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the generated tables of %s are out of date with the schema; run go test ./config -run ConfigurationDoc -update", configurationDoc)
}

// coveredMessages are the messages of every request that changes what Sōzu
// records; their fields, and those of the messages nested in them, must all
// be documented.
var coveredMessages = []proto.Message{
	&sozupb.HttpListenerConfig{}, &sozupb.HttpsListenerConfig{}, &sozupb.TcpListenerConfig{}, &sozupb.UdpListenerConfig{},
	&sozupb.Cluster{}, &sozupb.AddBackend{}, &sozupb.RequestHttpFrontend{}, &sozupb.RequestTcpFrontend{},
	&sozupb.RequestUdpFrontend{}, &sozupb.AddCertificate{},
}

// fieldRef matches a backticked Message.field reference.
var fieldRef = regexp.MustCompile("`([A-Z][A-Za-z0-9]*)\\.([a-z][a-z0-9_]*)`")

// documentedFields reads the document: the fields named in the last column
// of attribute tables, and the excluded fields (first column of the table
// under the "Fields not set from HCL" heading) with their reasons.
func documentedFields(t *testing.T) (mapped map[string]bool, excluded map[string]string) {
	t.Helper()
	f, err := os.Open(configurationDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mapped = map[string]bool{}
	excluded = map[string]string{}
	inExcluded := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			inExcluded = strings.Contains(line, "Fields not set from HCL")
			continue
		}
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if inExcluded {
			if len(cells) < 2 {
				continue
			}
			for _, m := range fieldRef.FindAllStringSubmatch(cells[0], -1) {
				excluded[m[1]+"."+m[2]] = strings.TrimSpace(cells[1])
			}
			continue
		}
		if len(cells) < 5 {
			continue
		}
		for _, m := range fieldRef.FindAllStringSubmatch(cells[len(cells)-1], -1) {
			mapped[m[1]+"."+m[2]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return mapped, excluded
}

func TestProtoFieldCoverage(t *testing.T) {
	mapped, excluded := documentedFields(t)
	known := map[string]bool{}
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || md.FullName() == socketAddressName {
			return
		}
		seen[md.FullName()] = true
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			name := string(md.Name()) + "." + string(fd.Name())
			known[name] = true
			reason, isExcluded := excluded[name]
			switch {
			case mapped[name] && isExcluded:
				t.Errorf("%s is both mapped and excluded in %s", name, configurationDoc)
			case isExcluded && reason == "":
				t.Errorf("%s is excluded without a reason in %s", name, configurationDoc)
			case !mapped[name] && !isExcluded:
				t.Errorf("%s is neither mapped to HCL nor excluded with a reason in %s", name, configurationDoc)
			}
			if fd.Kind() == protoreflect.MessageKind && !fd.IsMap() {
				walk(fd.Message())
			}
		}
	}
	for _, m := range coveredMessages {
		walk(m.ProtoReflect().Descriptor())
	}
	for _, want := range []string{"Cluster", "HealthCheckConfig", "UdpClusterConfig", "UdpHealthConfig",
		"LoadBalancingParams", "CertificateAndKey", "CustomHttpAnswers", "HstsConfig", "Header", "PathRule"} {
		if !seen[protoreflect.FullName("command."+want)] {
			t.Errorf("message %s was not walked", want)
		}
	}
	// Every reference in the document names a real field, so that a typo
	// cannot cover a field by accident.
	for name := range mapped {
		if !known[name] {
			t.Errorf("%s names %s, which is not a field of the covered messages", configurationDoc, name)
		}
	}
	for name := range excluded {
		if !known[name] {
			t.Errorf("%s excludes %s, which is not a field of the covered messages", configurationDoc, name)
		}
	}
	if len(known) < 100 {
		t.Errorf("walked only %d fields", len(known))
	}
}

// TestDocumentedListenerDefaults checks the defaults the reference states
// for listeners against what the loader builds for a listener block that
// sets nothing but its address.
func TestDocumentedListenerDefaults(t *testing.T) {
	dir := t.TempDir()
	src := `listener "http" "a" { address = "127.0.0.1:80" }
listener "https" "b" { address = "127.0.0.1:443" }
listener "tcp" "c" { address = "127.0.0.1:5432" }
listener "udp" "d" { address = "127.0.0.1:53" }
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(dir, Options{Environ: []string{}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	byName := map[protoreflect.Name]protoreflect.Message{}
	for _, o := range cfg.Desired.Objects() {
		m := state.Normalize(o.Message).ProtoReflect()
		byName[m.Descriptor().Name()] = m
	}
	for _, blk := range docBlocks()[:4] {
		md := blk.spec.md
		got := byName[md.Name()]
		if got == nil {
			t.Fatalf("no %s in the desired state", md.Name())
		}
		for name, fd := range blk.spec.attrs {
			def, _ := docDefault(fd, false, blk.defaults)
			if !strings.HasPrefix(def, "`") || fd.Name() == "active" {
				continue // unset, empty, or wanted-active
			}
			if gotDef := docValue(fd, got.Get(fd)); gotDef != def {
				t.Errorf("%s.%s: documented default %s, loader gives %s", md.Name(), name, def, gotDef)
			}
		}
	}
}
