package llm

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/analysis"
)

// minFragment is the shortest part of a log line accepted as evidence
// (a whole line may be shorter): a model quoting "rror cod" has not shown
// which line it read.
const minFragment = 20

// synthesizedLine matches, whitespace-normalized, the lines ccm writes into
// an excerpt itself; they are not log output and cannot be evidence:
//   - this package's cut markers (excerpt.go);
//   - excerpt.Excerpt.Text's header and block titles: "Failing step: …",
//     "Reason: …", "Exit code: N", "--- section ---", the truncation note;
//   - tasks' fillReason: "=== job: NAME ===" and "[excerpt truncated]".
//
// A real log line of the same shape is excluded too; the model can quote
// the lines around it.
var synthesizedLine = regexp.MustCompile(`^(?:` +
	`\[\.\.\. \d+ lines cut by ccm \.\.\.\]` +
	`|=== job: .* ===` +
	`|Failing step: .*` +
	`|Reason: .*` +
	`|Exit code: -?\d+` +
	`|--- [a-z ]+ ---` +
	`|\(excerpt: the log was \d+ lines, \d+ bytes; parts were left out\)` +
	`|\[excerpt truncated\]` +
	`)$`)

// synthesizedReason matches the failure reasons tasks' fallbackReason
// writes when no log line gave one.
var synthesizedReason = regexp.MustCompile(`^(?:logs unavailable` +
	`|run failed without a failed job \(workflow file or startup failure\)` +
	`|no error line found in the log)(?:; failed step: .*)?$`)

// charsCut matches the note splitLines puts in the middle of an overlong
// line; the text on each side is quotable, the note is not.
var charsCut = regexp.MustCompile(` ?\[\.\.\. \d+ characters cut by ccm \.\.\.\] ?`)

// normalize makes quoting robust to what models do to whitespace (tabs to
// spaces, trimmed indentation) without accepting any other change. Control
// characters are dropped on both sides: the model's text is stripped of
// them (stripControls), and a log line may carry ANSI colours.
func normalize(s string) string { return strings.Join(strings.Fields(stripControls(s)), " ") }

// quotable lists, normalized, the log text the model was shown: the excerpt
// lines as sent, without the lines and notes ccm wrote itself, and the
// failure reason, which ingest took from the same log.
func (p *prompt) quotable() []string {
	return quotableLines(p.excerptLines, p.reasonLine)
}

func quotableLines(lines []string, reason string) []string {
	out := make([]string, 0, len(lines)+1)
	for _, l := range lines {
		for _, part := range charsCut.Split(l, -1) {
			if n := normalize(part); n != "" && !synthesizedLine.MatchString(n) {
				out = append(out, n)
			}
		}
	}
	if n := normalize(reason); n != "" && !synthesizedReason.MatchString(n) {
		out = append(out, n)
	}
	return out
}

// checkEvidence demands that the answer points at the log: at least one
// evidence item, and every non-empty line of every item found in the log
// that was sent, whole or as a fragment of at least minFragment characters
// of one line. An answer that cannot show where it read its cause is not
// trusted. Items beyond analysis.MaxEvidence are left to Validate.
func (p *prompt) checkEvidence(evidence []string) []string {
	return checkQuotes(evidence, p.quotable())
}

func checkQuotes(evidence, log []string) []string {
	if len(evidence) == 0 {
		return []string{"evidence is empty: quote 1 to 5 lines from between the log markers"}
	}
	var bad []string
	for i, e := range evidence[:min(len(evidence), analysis.MaxEvidence)] {
		lines := 0
		for _, part := range strings.Split(e, "\n") {
			n := normalize(part)
			if n == "" {
				continue
			}
			lines++
			if !inLog(n, log) {
				bad = append(bad, fmt.Sprintf("evidence[%d] %q is not copied from the log (quote a whole log line, or at least %d characters of one; not the lines ccm added)",
					i, clip(part, maxQuoteRunes), minFragment))
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
	long := utf8.RuneCountInString(quote) >= minFragment
	for _, l := range log {
		if l == quote || long && strings.Contains(l, quote) {
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
// to (same exclusions, same minimum fragment). A cached analysis is reused
// for another failure only when it is: two failures can share a
// fingerprint (a generic reason) without sharing a cause.
func EvidenceInLog(evidence []string, excerpt, reason string) bool {
	if len(evidence) > analysis.MaxEvidence {
		return false
	}
	return len(checkQuotes(evidence, quotableLines(strings.Split(excerpt, "\n"), reason))) == 0
}
