package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// MarkdownLimit is the most characters (counted as bytes, which is never
// fewer) that WritePlanMarkdown writes: pull-request comments are capped at
// 65,535, and the margin leaves room for what a CI job adds around it.
const MarkdownLimit = 60000

// markdownTailRoom is kept free for the line that says what was left out.
const markdownTailRoom = 400

// WritePlanMarkdown writes doc for a pull-request comment: the closing
// count as a heading, what the base was, a table of changes per kind of
// object, the impact (routes and backends removed, requests sent), the
// warnings, then each change with its differences in a diff block. It
// never writes more than MarkdownLimit characters: when the whole does not
// fit, the changes (then the warnings) that do not fit are left out, from
// the first one that does not fit to the end, and a last line says how
// many were left out. The ordered list of requests closes it when all the
// rest fits. The same document always gives the same text.
func WritePlanMarkdown(w io.Writer, doc *PlanDocument) error {
	if doc == nil {
		return fmt.Errorf("rendering the plan: no plan")
	}
	if _, err := io.WriteString(w, markdownPlan(doc, MarkdownLimit)); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	return nil
}

// markdownPlan renders doc within limit bytes.
func markdownPlan(doc *PlanDocument, limit int) string {
	var b strings.Builder
	if !doc.HasChanges() {
		b.WriteString("### sozuctl-plan: no changes\n\n")
		b.WriteString(mdEscape(baseSentence(doc.Base)) + "\n\n")
		b.WriteString("**No changes.** " + mdEscape(matchSentence(doc.Base)) + "\n")
	} else {
		fmt.Fprintf(&b, "### sozuctl-plan: %d to add, %d to change, %d to replace, %d to destroy\n\n",
			doc.Summary.Create, doc.Summary.Update, doc.Summary.Replace, doc.Summary.Delete)
		b.WriteString(mdEscape(baseSentence(doc.Base)) + "\n\n")
		writeMarkdownTable(&b, doc)
		writeMarkdownImpact(&b, doc)
	}
	budget := limit - markdownTailRoom
	warningsLeft, changesLeft := 0, 0
	if len(doc.Warnings) > 0 {
		b.WriteString("\n#### Warnings\n\n")
		for i, wn := range doc.Warnings {
			line := "- " + mdEscape(oneLine(wn)) + "\n"
			if b.Len()+len(line) > budget {
				warningsLeft = len(doc.Warnings) - i
				break
			}
			b.WriteString(line)
		}
	}
	if len(doc.Changes) > 0 {
		head := "\n#### Changes\n\n"
		if warningsLeft > 0 || b.Len()+len(head) > budget {
			changesLeft = len(doc.Changes)
		} else {
			b.WriteString(head)
			for i, c := range doc.Changes {
				chunk := markdownChange(c)
				if b.Len()+len(chunk) > budget {
					changesLeft = len(doc.Changes) - i
					break
				}
				b.WriteString(chunk)
			}
		}
	}
	requestsLeft := false
	if len(doc.Requests) > 0 {
		if warningsLeft > 0 || changesLeft > 0 {
			requestsLeft = true
		} else {
			block := markdownRequests(doc)
			if !strings.HasSuffix(b.String(), "\n\n") {
				block = "\n" + block
			}
			if b.Len()+len(block) > budget {
				requestsLeft = true
			} else {
				b.WriteString(block)
			}
		}
	}
	if warningsLeft > 0 || changesLeft > 0 || requestsLeft {
		var parts []string
		if changesLeft > 0 {
			parts = append(parts, fmt.Sprintf("the last %d of %d changes", changesLeft, len(doc.Changes)))
		}
		if warningsLeft > 0 {
			parts = append(parts, fmt.Sprintf("the last %d of %d warnings", warningsLeft, len(doc.Warnings)))
		}
		if requestsLeft {
			parts = append(parts, fmt.Sprintf("the list of the %d requests", len(doc.Requests)))
		}
		fmt.Fprintf(&b, "\n_Left out to stay under %d characters: %s. Run `sozuctl-plan plan` (or `--format json`) for the whole plan._\n",
			limit, strings.Join(parts, ", "))
	}
	return b.String()
}

// markdownRequests lists the requests in the order they are sent, folded
// in a details element.
func markdownRequests(doc *PlanDocument) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>The %d requests, in the order they are sent</summary>\n\n", len(doc.Requests))
	for i, r := range doc.Requests {
		target := ""
		if i < len(doc.RequestChanges) {
			if ci := doc.RequestChanges[i]; ci >= 0 && ci < len(doc.Changes) {
				target = " " + mdCode(doc.Changes[ci].Address)
			}
		}
		fmt.Fprintf(&b, "%d. %s%s\n", i+1, mdCode(requestVerb(r)), target)
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

// markdownGroups are the rows of the summary table.
var markdownGroups = []struct {
	name  string
	kinds []string
}{
	{"listeners", []string{"http_listener", "https_listener", "tcp_listener", "udp_listener"}},
	{"clusters", []string{"cluster"}},
	{"backends", []string{"backend"}},
	{"frontends", []string{"http_frontend", "https_frontend", "tcp_frontend", "udp_frontend"}},
	{"certificates", []string{"certificate"}},
}

var markdownActions = []string{"create", "update", "replace", "delete"}

func writeMarkdownTable(b *strings.Builder, doc *PlanDocument) {
	group := map[string]int{}
	for i, g := range markdownGroups {
		for _, k := range g.kinds {
			group[k] = i
		}
	}
	counts := make([][4]int, len(markdownGroups)+1) // the last row: other kinds
	for _, c := range doc.Changes {
		gi, ok := group[c.Kind]
		if !ok {
			gi = len(markdownGroups)
		}
		for ai, a := range markdownActions {
			if a == c.Action {
				counts[gi][ai]++
			}
		}
	}
	b.WriteString("| objects | add | change | replace | destroy |\n|---|--:|--:|--:|--:|\n")
	var total [4]int
	for gi, row := range counts {
		name := "other"
		if gi < len(markdownGroups) {
			name = markdownGroups[gi].name
		}
		if row == [4]int{} {
			continue
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d |\n", name, row[0], row[1], row[2], row[3])
		for i := range total {
			total[i] += row[i]
		}
	}
	fmt.Fprintf(b, "| **total** | **%d** | **%d** | **%d** | **%d** |\n", total[0], total[1], total[2], total[3])
}

func writeMarkdownImpact(b *strings.Builder, doc *PlanDocument) {
	m := doc.MassRemoval
	fmt.Fprintf(b, "\n**Impact:** %d requests; %d of %d routes and %d of %d backends in scope removed.\n",
		len(doc.Requests), m.RoutesRemoved, m.RoutesInScope, m.BackendsRemoved, m.BackendsInScope)
	if m.Exceeded {
		fmt.Fprintf(b, "\n> **Mass removal:** this plan removes more than %s of the routes or backends in scope; `apply` refuses it without `--allow-mass-removal`.\n",
			percent(m.Threshold))
	}
}

// percent writes a share such as 0.3 as "30%".
func percent(share float64) string {
	return fmt.Sprintf("%.4g%%", share*100)
}

// markdownChange renders one change: a line with its action and address,
// its reasons and warnings, and its differences in a diff block.
func markdownChange(c PlanChange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- %s %s %s\n", mdCode(actionSymbol[c.Action]), mdCode(c.Address), actionPhrase[c.Action])
	for _, r := range c.Reasons {
		fmt.Fprintf(&b, "  - %s\n", mdEscape(oneLine(r)))
	}
	for _, wn := range c.Warnings {
		fmt.Fprintf(&b, "  - **Warning:** %s\n", mdEscape(oneLine(wn)))
	}
	lines := changeDiffLines(c)
	if len(lines) > 0 {
		body := strings.Join(lines, "\n")
		fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
		fmt.Fprintf(&b, "\n  %sdiff\n", fence)
		for _, l := range lines {
			b.WriteString(strings.TrimRight("  "+l, " ") + "\n")
		}
		fmt.Fprintf(&b, "  %s\n\n", fence)
	}
	return b.String()
}

// changeDiffLines are the lines of a change's diff block: every attribute
// of a creation or a removal, the changed ones of an update or replace.
func changeDiffLines(c PlanChange) []string {
	var out []string
	switch c.Action {
	case "create", "delete":
		mark, raw := "+", c.After
		if c.Action == "delete" {
			mark, raw = "-", c.Before
		}
		for _, l := range flatten(decodeValue(raw), "", nil) {
			out = append(out, markdownValue(mark, l.path, l.value)...)
		}
	default:
		for _, a := range c.Attributes {
			switch {
			case a.Sensitive:
				out = append(out, "! "+a.Path+" = "+Sensitive)
			case a.Before == nil:
				out = append(out, markdownValue("+", a.Path, a.After)...)
			case a.After == nil:
				out = append(out, markdownValue("-", a.Path, a.Before)...)
			default:
				before, bok := a.Before.(string)
				after, aok := a.After.(string)
				if bok && aok && (isMultiline(before) || isMultiline(after)) && !isPEMCertificate(before) && !isPEMCertificate(after) {
					out = append(out, markdownLineDiff(a.Path, before, after)...)
					continue
				}
				out = append(out, "- "+a.Path+" = "+formatValue(a.Before), "+ "+a.Path+" = "+formatValue(a.After))
			}
		}
	}
	return out
}

// markdownValue writes one value of a diff block: a text of several lines
// (not a certificate) one line a line.
func markdownValue(mark, path string, v any) []string {
	if s, ok := v.(string); ok && isMultiline(s) && !isPEMCertificate(s) {
		var out []string
		for _, ln := range splitLines(s) {
			out = append(out, mark+" "+path+": "+ln)
		}
		return out
	}
	return []string{mark + " " + path + " = " + formatValue(v)}
}

// markdownLineDiff diffs two texts line by line for a diff block.
func markdownLineDiff(path, before, after string) []string {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(before, after)
	var out []string
	for _, d := range dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines) {
		mark := " "
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			mark = "-"
		case diffmatchpatch.DiffInsert:
			mark = "+"
		}
		for _, ln := range splitLines(d.Text) {
			out = append(out, mark+" "+path+": "+ln)
		}
	}
	return out
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// mdCode writes s as inline code, with a fence longer than any backtick run
// inside it.
func mdCode(s string) string {
	s = oneLine(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdEscape keeps text from being read as Markdown or HTML.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "|", `\|`, "#", `\#`,
)

func mdEscape(s string) string { return mdEscaper.Replace(s) }

// oneLine folds line breaks into spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", " ")), " ")
}
