package excerpt

import (
	"regexp"
	"strconv"
	"strings"
)

// reasonInput is the redacted material the reason is chosen from.
type reasonInput struct {
	errMarks []logLine // ##[error] messages (marker stripped)
	cands    []logLine // failing-step lines in log order, step header removed
	fallback []logLine // early error-looking lines, used when cands hold none
	earlier  []logLine // error lines from before the kept windows (early.go's hits): chosen only when stronger than cands' best
	// earlierAll is earlier with the lines around each hit: the chosen
	// hit's context is looked up there, never chosen from it.
	earlierAll []logLine
	exitCode   int
	last       string // last non-empty line of the log
	// laterFrom is the first line of the steps after the failing one (0:
	// none ran): their marks are cleanup's (an if: always() upload that
	// found no files, a teardown that could not stop a container).
	laterFrom int64
}

const maxReasonLen = 300

// chooseReasonFrom picks the line a person should read first, and the
// lines they need with it: the best meaningful ##[error] message, else the
// best error line of the failing step, else a generic ##[error], else the
// exit code, else the last line. "Best" is the highest rank, then the
// earliest, unless it names nothing (no file, test, package, host,
// exception or value) and a later line of the same rank does: the first
// causal error beats the summary printed after it. It also says whether
// the reason is one of the earlier lines (in.earlier): only then do they
// feed ErrorLines, and so the fingerprint (finish).
func chooseReasonFrom(in reasonInput) (string, []string, bool) {
	var weakMark string
	var marks []logLine
	for _, m := range in.errMarks {
		t := strings.TrimSpace(m.text)
		switch {
		case t == "", strings.HasPrefix(t, exitPhrase):
		case isExitWrapper(t), causeNamed(t, in.cands), causeNamed(t, in.errMarks):
			if weakMark == "" {
				weakMark = t
			}
		default:
			marks = append(marks, logLine{m.no, t})
		}
	}
	// A marked line's context lives in the step's output, where the
	// marker's line also appears (without the marker) when it was echoed.
	markedPick := func(p pick) (string, []string, bool) {
		if full := uncutLine(p.joined, in.cands); full != "" {
			return reasonLine(full), p.context(in.cands), false
		}
		if full := announcedInStep(p, in.cands); full != "" {
			return reasonLine(full), p.context(in.cands), false
		}
		return p.reason(), p.context(in.cands), false
	}
	own, later := splitMarks(marks, in.laterFrom)
	if p := strongest(own, true); p.ok() && p.tier > strengthGeneric {
		return markedPick(p)
	}
	best := strongest(in.cands, false)
	// An error cut from the windows (a compile error, then a thousand lines
	// of artifact uploads) beats only a weaker line: the last error of the
	// kept lines is usually the one that ended the job. An exit status
	// ("ERROR: script returned exit code 2") counts as the generic line it is.
	if e := strongest(in.earlier, false); e.ok() && (!best.ok() || e.tier > best.tier || IsGenericReason(best.joined) && e.tier > strengthGeneric) {
		return e.reason(), e.context(in.earlierAll), true
	}
	// A later step's mark is what the failure left behind (no coverage to
	// upload, a container that would not stop): it wins only over a
	// failing step that says nothing more than its exit status (its
	// error cut from the windows came first, above).
	if p := strongest(later, true); p.ok() && p.tier > strengthGeneric && (!best.ok() || best.tier <= strengthGeneric) {
		return markedPick(p)
	}
	for _, p := range []pick{best, strongest(in.fallback, false), strongest(marks, true)} {
		if p.ok() {
			p = p.overNotice()
			return p.reason(), p.context(nil), false
		}
	}
	if weakMark != "" {
		return reasonLine(weakMark), nil, false
	}
	if q := firstQuietCause(in.cands, in.fallback); q != "" {
		return reasonLine(q), otherDiffs(q, in.cands), false
	}
	if in.exitCode >= 0 {
		return reasonLine(exitPhrase + strconv.Itoa(in.exitCode)), nil, false
	}
	return reasonLine(in.last), nil, false
}

// splitMarks parts marks into the failing step's and the cleanup marks of
// the steps after it, which begin at line from (0: no step followed). Only
// a cleanup's known words make a later mark one: a later step's other
// error may be the failure itself, after a step that failed with
// continue-on-error (a lint step's exit 1, then setup-node's "Unable to
// find Node version").
func splitMarks(marks []logLine, from int64) (own, later []logLine) {
	if from <= 0 {
		return marks, nil
	}
	for _, m := range marks {
		if m.no >= from && cleanupMark.MatchString(m.text) {
			later = append(later, m)
		} else {
			own = append(own, m)
		}
	}
	return own, later
}

// cleanupMark is what a step that runs after a failure (if: always(), a
// post step) reports when the failure left it nothing to do: no files to
// upload, no cache folder to save.
var cleanupMark = regexp.MustCompile(`No files were found with the provided path|Path Validation Error: Path\(s\) specified in the action for caching do\(es\) not exist|Cache folder path is retrieved for \S+ but doesn't exist on disk|^(?:Warning: )?Cache save failed|^Failed to save: |Unable to reserve cache`)

// pick is the chosen line: where it is among the lines it was chosen from,
// its rank and its text joined with the lines it announces.
type pick struct {
	lines  []logLine
	at     int
	tier   int
	joined string
}

func (p pick) ok() bool       { return p.at >= 0 && p.joined != "" }
func (p pick) reason() string { return reasonLine(p.joined) }
func (p pick) context(alt []logLine) []string {
	return failureContext(p.lines, p.at, p.joined, alt)
}

// strongest returns the best line (see chooseReasonFrom), with its continuation
// when the line only announces what follows ("AssertionError:", "Expected").
// marked lines are ##[error] annotations: an error even when their words do
// not say so.
func strongest(lines []logLine, marked bool) pick {
	best := pick{lines: lines, at: -1}
	bestSpec := -1
	header := false        // the previous non-blank line announced this one
	handed := strengthNone // the rank a cause chain's summary hands down
	compileFailed := false // create-react-app said "Failed to compile."
	causedBy := false      // the previous non-blank line was a bare "Caused by:"
	bestCausedBy := false  // the pick is the message under a "Caused by:"
	bestServer := false    // the pick, as joined, names a server's failed answer
	var rspec rspecFailure
	var pytest pytestBlock
	pyFrame := false // the previous non-blank line was a Python traceback's frame
	for i, l := range lines {
		tier := headerStrength(lines, i, lineStrength(l.text))
		if pyFrame && tier > strengthGeneric {
			tier = strengthGeneric // the source line a frame quotes: code, not the exception
		}
		if (marked || header) && tier < strengthError && !isGeneric(l.text) {
			tier = strengthError
		}
		if compileFailed && tier < strengthError && craRow.MatchString(l.text) {
			tier = strengthError
		}
		if tier < strengthError && strings.Contains(l.text, "_test.go:") && goFailMessage(lines, i) {
			tier = strengthError
		}
		if tier == strengthOutcome && strings.HasPrefix(l.text, "--- FAIL:") && goHeaderFails(lines, i) {
			tier = strengthError
		}
		tier = rspec.rank(l.text, tier)
		tier = pytest.rank(l.text, tier)
		if causedBy && tier < strengthCause && tier != strengthGeneric {
			tier = strengthCause // the deepest cause of a chain of errors
		}
		if tier == strengthError {
			if d := hclDetail(lines, i); d != nil {
				tier = hclRank(d, tier) // a cause in the detail is the headline's
			}
		}
		if tier < strengthError && psErrorRecord(lines, i) {
			tier = strengthError // PowerShell's message, over its quote of the statement
		}
		if tier < strengthError && strings.HasSuffix(l.text, "Failure") && gtestFailure.MatchString(strings.TrimSpace(l.text)) {
			tier = strengthError
		}
		if tier == strengthCause && causeNamed(l.text, lines) {
			tier = strengthGeneric
		}
		if tier > strengthNone || handed > strengthNone {
			tier, handed = causeChain(lines, i, tier, handed)
		}
		// A retried attempt's plain error yields to the last attempt's;
		// one that names a root cause stays it (the last often only
		// sums it up: "Error: Failed to resolve action download info.").
		if tier == strengthError && retried(lines, i) {
			tier = strengthOutcome
		}
		if tier == strengthCause && spuriousRetried(lines, i) {
			tier = strengthOutcome
		}
		under := causedBy
		if t := strings.TrimSpace(l.text); t != "" {
			causedBy = causedByHeader(t)
			pyFrame = strings.HasPrefix(t, `File "`)
			header = announces(t)
			compileFailed = compileFailed || t == "Failed to compile."
		}
		// A later "Caused by:" is deeper in the chain: its message wins.
		// So does a server's failed answer at the end of the message the
		// pick starts, unbroken by a blank line (Maven's "Could not
		// resolve …: Failed to transfer …: Return code is: 502").
		deeper := under && bestCausedBy && tier == best.tier ||
			tier == strengthCause && best.tier == tier && !bestServer && sameMessage(lines, best.at, i) && serverFailure(l.text, strings.ToLower(l.text))
		if tier == strengthNone || tier < best.tier || tier == best.tier && bestSpec != 0 && !deeper {
			continue // it cannot replace the pick: spare the joining and matching
		}
		text := reasonText(lines, i, tier)
		spec := specificity(text)
		if spec == 0 && strings.HasPrefix(text, cargoSpurious) {
			spec = 1 // the network error is what the chain after it lacks (cargoSpurious)
		}
		// A later line of the same rank wins only over a vague one: the
		// first causal error is usually the one a maintainer points at.
		if tier > best.tier || bestSpec == 0 && spec > 0 || deeper {
			best.at, best.tier, best.joined, bestSpec, bestCausedBy = i, tier, text, spec, under
			// A joined pick that names the answer already (Terraform's
			// headline with its detail) is not deepened by its own line.
			shown := reasonLine(text)
			bestServer = tier == strengthCause && (serverFailure(l.text, strings.ToLower(l.text)) || serverFailure(shown, strings.ToLower(shown)))
		}
	}
	return best
}

// reasonText is line i as a reason: joined with the lines it announces,
// and under the Gradle test's heading it is the message of.
func reasonText(lines []logLine, i, tier int) string {
	return underGradleTest(lines, i, lineText(lines, i, tier))
}

// lineText is line i joined with the lines it announces.
func lineText(lines []logLine, i, tier int) string {
	text := lineOwnText(lines[i].text)
	if tier >= strengthError {
		if d := hclDetail(lines, i); d != nil {
			return joinHCL(text, d)
		}
	}
	if tier >= strengthOutcome && cmakeBlock(text) {
		return joinIndentedBlock(text, lines[i+1:], 4)
	}
	if strings.HasSuffix(text, "referenced from:") && undefinedSymbolRow.MatchString(text) {
		// The linker's missing symbol with the first object that uses
		// it, indented under it; its summary lines follow unindented.
		return joinContinuation(text, lines[i+1:], true, indentOf(lines[i].text), 1)
	}
	if tier == strengthError && strings.Contains(text, "ould reformat") && formatterRow.MatchString(text) {
		return withFormatterCount(text, lines[i+1:])
	}
	if joined, ok := joinHeader(lines, i, text); ok {
		return joined
	}
	goHeader := tier == strengthError && strings.HasPrefix(text, "--- FAIL:") // joined like an outcome (goHeaderFails)
	if tier >= strengthError && (strings.HasSuffix(text, ":") || text == "Expected" || gtestFailure.MatchString(text)) || tier == strengthOutcome || goHeader {
		header := text
		if isRustPanicHeader(text) {
			text, _ = panicJoin(lines, i, text)
		} else {
			most := 3
			if strings.Contains(text, "panicked at ") {
				most = 1 // Rust's message before 1.73; the values it compared are context
			}
			text = joinContinuation(text, lines[i+1:], tier == strengthOutcome || goHeader, indentOf(lines[i].text), most)
		}
		if tier >= strengthError && strings.HasSuffix(header, ":") {
			text = wholeMessage(header, text, lines[i+1:])
		}
		return text
	}
	if strings.Contains(text, npmCIOutOfSync) {
		return withLockDetail(text, lines[i+1:])
	}
	if npmCIWrapped(lines, i) {
		start := strings.TrimSpace(lines[i-1].text)
		return withLockDetail(reasonLine(start+" "+untagged(text)), lines[i+1:])
	}
	if (strings.HasSuffix(text, "Error") || strings.HasSuffix(text, ": null")) && bareAssertion.MatchString(text) {
		return withFirstOwnFrame(text, lines[i+1:])
	}
	if tier == strengthCause && strings.HasPrefix(text, "Failure/Error: ") {
		// RSpec's expectation, with the message under it (rspecFailure).
		return joinContinuation(text, lines[i+1:], false, indentOf(lines[i].text), 3)
	}
	if tier == strengthCause && strings.HasSuffix(text, bundlerWrap) {
		return joinContinuation(text, lines[i+1:], false, indentOf(lines[i].text), 2)
	}
	if tier == strengthCause {
		text = joinComparison(text, lines[i+1:])
	}
	return text
}

// lineOwnText is a line trimmed, without its annotation marker.
func lineOwnText(s string) string {
	return strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "##[error]"), "##[warning]")
}

// repeatedPrefixes are the tags a tool puts on each line of one message
// ("npm error …"): a joined reason says them once.
var repeatedPrefixes = []string{"npm ERR!", "npm error", "[ERROR]", "error:"}

// joinContinuation appends up to most following detail lines: the message
// an error header announced, or the indented detail under an outcome line.
// A tool's tag that the first line starts with is dropped from the next.
func joinContinuation(text string, next []logLine, outcome bool, indent, most int) string {
	text, _ = continuation(text, next, outcome, indent, most)
	return text
}

// continuation is joinContinuation that also returns the indexes in next
// of the lines it joined, for a rank that reads the same lines (panicJoin).
func continuation(text string, next []logLine, outcome bool, indent, most int) (string, []int) {
	var joined []int
	tag := ""
	for _, p := range repeatedPrefixes {
		if strings.HasPrefix(text, p+" ") {
			tag = p
			break
		}
	}
	for i, l := range next {
		t := strings.TrimSpace(l.text)
		if tag != "" && (t == tag || strings.HasPrefix(t, tag+" ")) {
			t = strings.TrimSpace(t[len(tag):])
		}
		if len(joined) == most || len(text) >= maxReasonLen || i > 0 && next[i-1].no+1 != l.no {
			break
		}
		if t == "" && len(joined) > 0 {
			break // a blank line ends the message
		}
		if t == "" || separatorRule(t) {
			continue // blank or a separator rule
		}
		if isTraceFrame(t) || strings.HasPrefix(t, "##[") || outcome && indentOf(l.text) <= indent {
			break
		}
		text += " " + t
		joined = append(joined, i)
	}
	return text, joined
}

// separatorRule reports a line (trimmed) that only draws a rule between
// parts of the output ("------", "====", "[INFO] ---").
func separatorRule(t string) bool { return strings.Trim(t, "-=_*~^[]INFO ") == "" }

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}

// reasonLine collapses whitespace and bounds the reason to maxReasonLen bytes
// (cutReason says how a longer one is cut).
func reasonLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxReasonLen {
		return s
	}
	return cutReason(s, maxReasonLen)
}

// failedWith is an action's wrapper around the tool's own message
// ("buildx failed with: ERROR: …", "The process failed with: …").
var failedWith = regexp.MustCompile(`^[\w .'/-]{1,60} failed with: `)

// uncutLine returns the step's own line that an annotation cut short: an
// action often annotates only the first part of a tool's message
// ("buildx failed with: ERROR: failed to solve: …: unexpected status code")
// while the log line goes on to the cause ("… 429 Too Many Requests").
// "" when no longer line starts with the annotation's message.
func uncutLine(mark string, cands []logLine) string {
	msg := strings.TrimSpace(failedWith.ReplaceAllString(strings.TrimSpace(mark), ""))
	if len(msg) < 20 {
		return ""
	}
	for _, l := range cands {
		t := strings.TrimSpace(l.text)
		if len(t) > len(msg)+8 && strings.HasPrefix(t, msg) {
			return t
		}
	}
	return ""
}
