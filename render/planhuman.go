package render

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"

	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// HumanOptions tune WritePlanHuman.
type HumanOptions struct {
	// Color writes ANSI colours: green for creations, yellow for updates,
	// red for removals, bold for headings.
	Color bool
}

// ANSI escapes of the human view.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// humanWriter collects the text of the human view.
type humanWriter struct {
	b     strings.Builder
	color bool
}

func (h *humanWriter) paint(code, s string) string {
	if !h.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (h *humanWriter) line(format string, args ...any) {
	h.b.WriteString(strings.TrimRight(fmt.Sprintf(format, args...), " "))
	h.b.WriteByte('\n')
}

// symbols of the actions, Terraform's.
var actionSymbol = map[string]string{"create": "+", "update": "~", "replace": "-/+", "delete": "-"}

var actionPhrase = map[string]string{
	"create":  "will be created",
	"update":  "will be updated in place",
	"replace": "must be replaced",
	"delete":  "will be destroyed",
}

func (h *humanWriter) actionColor(action string) string {
	switch action {
	case "create":
		return ansiGreen
	case "update":
		return ansiYellow
	case "replace":
		return ansiCyan
	}
	return ansiRed
}

// WritePlanHuman writes doc for people, in the manner of Terraform: what
// the base was, each change with its attribute-level differences (values
// spanning several lines as line diffs, certificates by fingerprint,
// secrets as Sensitive), the requests in the order they are sent, the
// warnings and the closing count. A plan without changes says "No
// changes." and that the proxy matches the configuration.
func WritePlanHuman(w io.Writer, doc *PlanDocument, opts HumanOptions) error {
	if doc == nil {
		return fmt.Errorf("rendering the plan: no plan")
	}
	h := &humanWriter{color: opts.Color}
	h.line("%s", baseSentence(doc.Base))
	h.line("")
	if !doc.HasChanges() {
		h.line("%s", h.paint(ansiBold+ansiGreen, "No changes."))
		h.line("%s", matchSentence(doc.Base))
		h.warnings(doc.Warnings)
		_, err := io.WriteString(w, h.b.String())
		return err
	}
	h.line("sozuctl-plan will perform the following actions:")
	for _, c := range doc.Changes {
		h.line("")
		h.change(c)
	}
	h.requests(doc)
	h.warnings(doc.Warnings)
	h.line("")
	h.line("%s", h.paint(ansiBold, summarySentence(doc.Summary)))
	if _, err := io.WriteString(w, h.b.String()); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	return nil
}

// baseSentence says what the plan was computed against.
func baseSentence(b PlanBase) string {
	fp := shortFingerprint(b.Fingerprint)
	switch b.Source {
	case "live":
		where := "the live proxy"
		if b.Socket != "" {
			where += " at " + b.Socket
		}
		return fmt.Sprintf("Base: %s (state %s).", where, fp)
	case "state":
		where := "a state file"
		if b.Path != "" {
			where = "the state file " + b.Path
		}
		return fmt.Sprintf("Base: %s (state %s).", where, fp)
	}
	return "Base: empty (no --state, no socket): the plan starts from a proxy with no configuration."
}

// matchSentence is the line under "No changes.".
func matchSentence(b PlanBase) string {
	switch b.Source {
	case "live":
		return "The live proxy matches the configuration."
	case "state":
		return "The state file matches the configuration."
	}
	return "The configuration declares nothing in scope, and the base is empty: nothing to do."
}

// summarySentence is the closing line.
func summarySentence(s PlanSummary) string {
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to replace, %d to destroy.", s.Create, s.Update, s.Replace, s.Delete)
}

// shortFingerprint keeps the algorithm and 16 hex digits.
func shortFingerprint(fp string) string {
	if fp == "" {
		return "unknown"
	}
	algo, hex, ok := strings.Cut(fp, ":")
	if ok && len(hex) > 16 {
		return algo + ":" + hex[:16]
	}
	return fp
}

func (h *humanWriter) change(c PlanChange) {
	sym := actionSymbol[c.Action]
	col := h.actionColor(c.Action)
	h.line("  %s", h.paint(ansiBold, "# "+c.Address+" "+actionPhrase[c.Action]))
	for _, r := range c.Reasons {
		h.line("  # (%s)", r)
	}
	label := c.Kind
	if c.Key != "" {
		label += " " + quote(c.Key)
	}
	h.line("%s%s %s {", strings.Repeat(" ", max(0, 3-len(sym))), h.paint(col, sym), label)
	switch c.Action {
	case "create":
		h.whole(decodeValue(c.After), "+", ansiGreen)
	case "delete":
		h.whole(decodeValue(c.Before), "-", ansiRed)
	default:
		for _, a := range c.Attributes {
			h.attribute(a)
		}
		if n := unchangedCount(c); n > 0 {
			word := "attributes"
			if n == 1 {
				word = "attribute"
			}
			h.line("        # (%d unchanged %s hidden)", n, word)
		}
	}
	h.line("    }")
	for _, wn := range c.Warnings {
		h.line("  %s %s", h.paint(ansiYellow, "Warning:"), wn)
	}
}

// leaf is one attribute of a flattened value.
type leaf struct {
	path  string
	value any
}

// whole writes every attribute of v with one mark.
func (h *humanWriter) whole(v any, mark, col string) {
	leaves := flatten(v, "", nil)
	width := 0
	for _, l := range leaves {
		if s, ok := l.value.(string); (ok && isMultiline(s) && !isPEMCertificate(s)) || len(l.path) > 40 {
			continue
		}
		width = max(width, len(l.path))
	}
	for _, l := range leaves {
		if h.heredoc(l.path, l.value, mark, col) {
			continue
		}
		if list, ok := l.value.([]any); ok && len(formatValue(list)) > 72 {
			h.line("      %s %-*s = [", h.paint(col, mark), width, l.path)
			for _, e := range list {
				h.line("          %s,", formatValue(e))
			}
			h.line("        ]")
			continue
		}
		h.line("      %s %-*s = %s", h.paint(col, mark), width, l.path, formatValue(l.value))
	}
}

// heredoc writes a text of several lines (not a certificate) whole, one
// line a line, and reports whether v was one.
func (h *humanWriter) heredoc(path string, v any, mark, col string) bool {
	s, ok := v.(string)
	if !ok || !isMultiline(s) || isPEMCertificate(s) {
		return false
	}
	h.line("      %s %s = <<EOT", h.paint(col, mark), path)
	for _, ln := range splitLines(s) {
		h.line("          %s", ln)
	}
	h.line("        EOT")
	return true
}

// attribute writes one changed attribute.
func (h *humanWriter) attribute(a PlanAttribute) {
	switch {
	case a.Sensitive:
		h.line("      %s %s = %s", h.paint(ansiYellow, "~"), a.Path, Sensitive)
	case a.Before == nil:
		if !h.heredoc(a.Path, a.After, "+", ansiGreen) {
			h.line("      %s %s = %s", h.paint(ansiGreen, "+"), a.Path, formatValue(a.After))
		}
	case a.After == nil:
		if !h.heredoc(a.Path, a.Before, "-", ansiRed) {
			h.line("      %s %s = %s -> null", h.paint(ansiRed, "-"), a.Path, formatValue(a.Before))
		}
	default:
		before, bok := a.Before.(string)
		after, aok := a.After.(string)
		if bok && aok && (isMultiline(before) || isMultiline(after)) && !isPEMCertificate(before) && !isPEMCertificate(after) {
			h.line("      %s %s = <<EOT", h.paint(ansiYellow, "~"), a.Path)
			h.lineDiff(before, after)
			h.line("        EOT")
			return
		}
		h.line("      %s %s = %s -> %s", h.paint(ansiYellow, "~"), a.Path, formatValue(a.Before), formatValue(a.After))
	}
}

// lineDiff writes a line-by-line diff of two texts.
func (h *humanWriter) lineDiff(before, after string) {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(before, after)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	for _, d := range diffs {
		for _, ln := range splitLines(d.Text) {
			switch d.Type {
			case diffmatchpatch.DiffDelete:
				h.line("        %s %s", h.paint(ansiRed, "-"), ln)
			case diffmatchpatch.DiffInsert:
				h.line("        %s %s", h.paint(ansiGreen, "+"), ln)
			default:
				h.line("          %s", ln)
			}
		}
	}
}

// unchangedCount counts the attributes of an update or replace that do not
// change.
func unchangedCount(c PlanChange) int {
	leaves := flatten(decodeValue(c.After), "", nil)
	n := 0
	for _, l := range leaves {
		segs := attributeSegments(l.path)
		changed := false
		for _, a := range c.Attributes {
			if overlaps(attributeSegments(a.Path), segs) {
				changed = true
				break
			}
		}
		if !changed {
			n++
		}
	}
	return n
}

// requests lists the requests in the order they are sent.
func (h *humanWriter) requests(doc *PlanDocument) {
	if len(doc.Requests) == 0 {
		return
	}
	h.line("")
	h.line("Requests, in the order they are sent:")
	width := len(fmt.Sprint(len(doc.Requests)))
	verbs := make([]string, len(doc.Requests))
	vw := 0
	for i, r := range doc.Requests {
		verbs[i] = requestVerb(r)
		vw = max(vw, len(verbs[i]))
	}
	for i := range doc.Requests {
		target := ""
		if i < len(doc.RequestChanges) {
			if ci := doc.RequestChanges[i]; ci >= 0 && ci < len(doc.Changes) {
				target = doc.Changes[ci].Address
			}
		}
		h.line("  %*d. %-*s %s", width, i+1, vw, verbs[i], target)
	}
}

// requestVerb is the name of a request's one field, such as "add_cluster".
func requestVerb(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return "request"
	}
	return strings.Join(sortedMapKeys(m), "+")
}

func (h *humanWriter) warnings(ws []string) {
	if len(ws) == 0 {
		return
	}
	h.line("")
	for _, wn := range ws {
		h.line("%s %s", h.paint(ansiBold+ansiYellow, "Warning:"), wn)
	}
}

// decodeValue decodes a JSON value keeping numbers as written.
func decodeValue(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}

// mapFields are the proto map fields: their entries are attributes of
// their own ("answers[503]"), as the planner names them.
var mapFields = map[string]bool{"answers": true, "tags": true}

// flatten lists the leaves of v with dotted paths, names sorted at each
// level. Lists
// are one value; map fields give one attribute per entry.
func flatten(v any, prefix string, out []leaf) []leaf {
	obj, ok := v.(map[string]any)
	if !ok {
		if prefix != "" {
			out = append(out, leaf{prefix, v})
		}
		return out
	}
	for _, k := range sortedMapKeys(obj) {
		child := obj[k]
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if a, ok := socketAddress(child); ok {
			out = append(out, leaf{path, a})
			continue
		}
		if m, ok := child.(map[string]any); ok && mapFields[k] {
			for _, mk := range sortedMapKeys(m) {
				out = append(out, leaf{path + "[" + mk + "]", m[mk]})
			}
			continue
		}
		out = flatten(child, path, out)
	}
	return out
}

// formatValue writes a value on one line: JSON, except that a certificate
// is named by its fingerprint.
func formatValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if isPEMCertificate(t) {
			return certificateLabel(t)
		}
		if t == Sensitive {
			return t
		}
	case map[string]any:
		if a, ok := socketAddress(t); ok {
			return quote(a)
		}
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = formatValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	b, err := marshalCompact(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// socketAddress reads v as the JSON of a SocketAddress ({"ip": {"v4": n},
// "port": p}, or {"v6": {"high": h, "low": l}}) and writes it as
// "10.0.0.1:80" or "[::1]:443".
func socketAddress(v any) (string, bool) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 2 {
		return "", false
	}
	ip, ok := obj["ip"].(map[string]any)
	if !ok || len(ip) != 1 {
		return "", false
	}
	port, ok := jsonUint(obj["port"], 32)
	if !ok {
		return "", false
	}
	a := &sozupb.SocketAddress{Port: ptrTo(uint32(port)), Ip: &sozupb.IpAddress{}}
	if v4, ok := ip["v4"]; ok {
		n, ok := jsonUint(v4, 32)
		if !ok {
			return "", false
		}
		a.Ip.Inner = &sozupb.IpAddress_V4{V4: uint32(n)}
	} else {
		v6, ok := ip["v6"].(map[string]any)
		if !ok {
			return "", false
		}
		high, hok := jsonUint(v6["high"], 64)
		low, lok := jsonUint(v6["low"], 64)
		if !hok || !lok {
			return "", false
		}
		a.Ip.Inner = &sozupb.IpAddress_V6{V6: &sozupb.Uint128{High: ptrTo(high), Low: ptrTo(low)}}
	}
	return state.FormatAddress(a), true
}

// jsonUint reads an unsigned integer of the protobuf JSON mapping: a
// number, or a string for 64-bit fields.
func jsonUint(v any, bits int) (uint64, bool) {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = string(t)
	case string:
		s = t
	default:
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, bits)
	return n, err == nil
}

func ptrTo[T any](v T) *T { return &v }

// isPEMCertificate reports whether s is a PEM certificate.
func isPEMCertificate(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), "-----BEGIN CERTIFICATE-----")
}

// certificateLabel names a certificate by its fingerprint, with its
// subject and the end of its validity when they read.
func certificateLabel(pemText string) string {
	fp, err := state.CertificateFingerprint(pemText)
	if err != nil {
		return "(certificate that does not parse)"
	}
	label := "certificate sha256:" + fp
	if block, _ := pem.Decode([]byte(pemText)); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			if cn := cert.Subject.CommonName; cn != "" {
				label += ", CN=" + cn
			}
			label += ", valid until " + cert.NotAfter.UTC().Format("2006-01-02")
		}
	}
	return "(" + label + ")"
}

func isMultiline(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(strings.TrimRight(s, "\r\n"), "\n")
}

// splitLines splits text into lines without their line ends.
func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// quote writes s as a JSON string.
func quote(s string) string {
	b, err := marshalCompact(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return string(b)
}
