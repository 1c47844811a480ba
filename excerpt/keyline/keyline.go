// Package keyline judges a chosen reason against a log's labelled key
// line, as the accuracy floors and rules/internal/measure count it. It is
// its own package so the measuring command does not link the tests'
// generators (and their flags) in.
package keyline

import (
	"regexp"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/logtext"
)

// Normalize is a reason or log line as the reason tests compare it: normalized,
// without an ##[error] marker, blanks collapsed. NormalizeLine drops `gh run
// view --log`'s "job<TAB>step<TAB>" columns, only when a timestamp follows
// them as it always does there: a line's own tabs (TeamCity's nesting, go
// test's "FAIL<TAB>pkg<TAB>0.5s") are its text.
func Normalize(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(logtext.NormalizeLine(s)), "##[error]")
	return strings.Join(strings.Fields(s), " ")
}

// Hit reports whether a chosen reason carries a labelled key line:
// one contains the other once both are normalized. A reason cut at its
// bound ("…") counts when what is left is in the key line. A reason that
// joins a tool's message states the tool's tag once ("npm error Could not
// resolve dependency: peer a@1 …"): a key line with that tag counts
// without it when the reason starts with it.
func Hit(reason, keyLine string) bool {
	got := strings.TrimSuffix(Normalize(reason), "…")
	want := Normalize(keyLine)
	tags := []string{"npm ERR! ", "npm error "}
	if got == "" || slices.Contains(tags, got+" ") {
		return false // a bare tag says nothing, whatever the key line
	}
	if strings.Contains(got, want) || strings.Contains(want, got) {
		return true
	}
	// A long reason cut in the middle ("head … tail", excerpt's cutReason)
	// also carries the key line when the key line holds both parts in
	// order, a redaction marker in them standing for the credential (one
	// part holding the key line is the case above).
	if head, tail, ok := strings.Cut(got, midCut); ok && len(got) >= minCutReason && partsIn(head, tail, want) {
		return true
	}
	if strings.Contains(got, "[REDACTED:") && redactedIn(got, want) {
		return true
	}
	for _, tag := range tags {
		rest := strings.TrimPrefix(want, tag)
		if strings.HasPrefix(got, tag) && len(rest) < len(want) && len(rest) >= 8 {
			return wholeIn(got, rest)
		}
	}
	// GitHub shows an annotation's marker, "##[error]" in the raw log, as
	// "Error: " before the line a problem matcher annotated ("Error:
	// Variable not in scope: fastRem :: …" under GHC's header): a reason
	// that joins the line without the marker carries the key line.
	if rest, ok := strings.CutPrefix(want, uiErrorMarker); ok && len(rest) >= 8 && !strings.HasPrefix(got, uiErrorMarker) {
		return markedIn(got, rest)
	}
	return false
}

// markedIn is wholeIn for a key line's message under GitHub's marker: the
// message must also start where a word does ("1 failing" is not in "21
// failing") and not under a severity of another kind ("warning: x" does
// not carry "Error: x"). An "error:" before it is the same severity, as
// GHC's header states it over the message it joins.
func markedIn(got, msg string) bool {
	at := strings.Index(got, msg)
	if at < 0 || !wholeIn(got[at:], msg) || at > 0 && got[at-1] != ' ' {
		return false
	}
	before := strings.ToLower(strings.TrimSpace(got[:at]))
	for _, w := range []string{"warning:", "warn:", "note:", "info:", "hint:"} {
		if strings.HasSuffix(before, w) {
			return false
		}
	}
	return true
}

// midCut is what excerpt puts where it cut a long reason's middle; only a
// reason of minCutReason bytes or more can be such a cut (a short one that
// holds " … " is a line's own words).
const (
	midCut       = " … "
	minCutReason = 200
)

// uiErrorMarker is GitHub's "##[error]" as its web page shows it.
const uiErrorMarker = "Error: "

// wholeIn reports whether got holds the key line's message whole: "errno
// 1" must not count in "errno 127".
func wholeIn(got, msg string) bool {
	at := strings.Index(got, msg)
	return at >= 0 && (at+len(msg) == len(got) || got[at+len(msg)] == ' ')
}

// redactedMark is ccm's stand-in for a credential it removed from a line.
var redactedMark = regexp.MustCompile(`\\\[REDACTED:[a-z_]+\\\]`)

// redactedLiteral is the marker as ccm writes it.
var redactedLiteral = regexp.MustCompile(`\[REDACTED:[a-z_]+\]`)

// partsIn reports whether want holds head, then tail, each
// "[REDACTED:kind]" in them standing for any run of non-blank characters.
func partsIn(head, tail, want string) bool {
	if i := strings.Index(want, head); i >= 0 && strings.Contains(want[i+len(head):], tail) {
		return true
	}
	if !strings.Contains(head+tail, "[REDACTED:") {
		return false
	}
	quote := func(s string) string {
		return redactedMark.ReplaceAllLiteralString(regexp.QuoteMeta(s), `\S+`)
	}
	return regexp.MustCompile(quote(head) + `.*` + quote(tail)).MatchString(want)
}

// redactedIn reports whether got is want with credentials redacted: each
// "[REDACTED:kind]" in got stands for any run of non-blank characters.
func redactedIn(got, want string) bool {
	// A reason that is little more than the marker would match any line.
	if len(redactedLiteral.ReplaceAllLiteralString(got, "")) < 16 {
		return false
	}
	re := redactedMark.ReplaceAllLiteralString(regexp.QuoteMeta(got), `\S+`)
	return regexp.MustCompile(re).MatchString(want)
}
