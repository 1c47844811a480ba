package llm

import (
	"fmt"
	"regexp"
	"strings"
)

// minFragment is the shortest part of a log line accepted as evidence: a
// model quoting "Error" has not shown which line it read.
const minFragment = 8

var cutMarkerLine = regexp.MustCompile(`^\[\.\.\. \d+ lines cut by ccm \.\.\.\]$`)

// normalize makes quoting robust to what models do to whitespace (tabs to
// spaces, trimmed indentation) without accepting any other change.
func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// quotable lists, normalized, the log text the model was shown: the excerpt
// lines as sent (not ccm's cut markers) and the failure reason, which ingest
// took from the same log.
func (p *prompt) quotable() []string {
	out := make([]string, 0, len(p.excerptLines)+1)
	for _, l := range p.excerptLines {
		if cutMarkerLine.MatchString(l) {
			continue
		}
		if n := normalize(l); n != "" {
			out = append(out, n)
		}
	}
	if n := normalize(p.reasonLine); n != "" {
		out = append(out, n)
	}
	return out
}

// checkEvidence demands that the answer points at the log: at least one
// evidence item, and every non-empty line of every item found in the log
// that was sent, whole or as a fragment of one line. An answer that cannot
// show where it read its cause is not trusted.
func (p *prompt) checkEvidence(evidence []string) []string {
	if len(evidence) == 0 {
		return []string{"evidence is empty: quote 1 to 5 lines from between the log markers"}
	}
	log := p.quotable()
	var bad []string
	for i, e := range evidence {
		lines := 0
		for _, part := range strings.Split(e, "\n") {
			n := normalize(part)
			if n == "" {
				continue
			}
			lines++
			if !inLog(n, log) {
				bad = append(bad, fmt.Sprintf("evidence[%d] %q is not copied from the log", i, clip(part, 160)))
				break
			}
		}
		if lines == 0 {
			bad = append(bad, fmt.Sprintf("evidence[%d] is empty", i))
		}
	}
	return bad
}

func inLog(quote string, log []string) bool {
	for _, l := range log {
		if l == quote || len(quote) >= minFragment && strings.Contains(l, quote) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}

// EvidenceInLog reports whether an analysis's evidence is present in a
// failure's own excerpt or reason, by the rule the model's answers are held
// to. A cached analysis is reused for another failure only when it is: two
// failures can share a fingerprint (a generic reason) without sharing a
// cause.
func EvidenceInLog(evidence []string, excerpt, reason string) bool {
	p := &prompt{excerptLines: strings.Split(excerpt, "\n"), reasonLine: reason}
	return len(p.checkEvidence(evidence)) == 0
}
