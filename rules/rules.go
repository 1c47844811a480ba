// Package rules is the deterministic analyzer of a failed CI run: a table
// of signatures (regular expressions with a category, risk, confidence,
// fix and actions; signatures*.go), the engine that matches them against
// an excerpt or a raw log and ranks the hits (rules.go, compile.go,
// testcontext.go, extract.go), and the answers for a log that no signature
// explains (unknown.go) or that shows no failure at all (nofailure.go). It
// answers in package analysis's types and compiles its patterns at start,
// so only the analyzers import it.
package rules

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/logtext"
	"github.com/ccm-ci/ccm/redact"
)

// Input is what the rule analyzer sees. Text is the (already redacted) excerpt.
type Input struct {
	Reason       string   // failure reason; matched, but never quoted as evidence (it may join several log lines)
	Text         string   // Excerpt.Text() (its header lines are skipped) or a raw log; may be large, scanning is bounded to the first/last 256 KiB
	FailingStep  string   // name of the step that failed, when known
	JobName      string   // name of the failed job, when known
	Workflow     string   // workflow name, when known
	Repo         string   // owner/name
	ChangedFiles []string // when known
}

// InputFromExcerpt is the analyzer's input as ccm builds it from an
// excerpt: its text (ccm's header lines first, which the scan skips), the
// reason ccm shows (Reason) and the failing step.
func InputFromExcerpt(ex excerpt.Excerpt) Input {
	in := excerptInput(ex)
	in.Reason, _ = Reason(ex)
	return in
}

// excerptInput is InputFromExcerpt with the excerpt's own reason.
func excerptInput(ex excerpt.Excerpt) Input {
	return Input{Reason: ex.Reason, Text: ex.Text(), FailingStep: ex.FailingStep}
}

// Match is the signature that fired, for explanations and the deterministic risk floor.
type Match struct {
	Signature string
	Category  analysis.Category
	// Line is the log line it matched, or the reason when the reason is
	// the only place it matched.
	Line string
}

const (
	scanHalf        = logtext.ScanHalf // Text beyond this from either end is not scanned
	maxReason       = 4 << 10
	maxLinesPerSig  = 3
	maxEvidence     = 5
	maxEvidenceLine = 300
	maxComponents   = 5
)

// hit is one signature that matched, with the lines it matched on. tier is
// its precedence in this log: the signature's tier unless rank moved it;
// flaky says it counts as flakiness evidence; why says what accounts for it
// when something else does.
type hit struct {
	sig   *signature
	lines []span
	tier  int
	flaky bool
	weak  bool // the signature is weak, or a gate made this hit evidence only (gates.go)
	why   explanation
}

// explanation is why a hit is not a failure of its own. An explained hit
// is neither a competing signal nor flakiness evidence.
type explanation uint8

const (
	unexplained    explanation = iota
	byTestOutput               // printed by the tests while they ran (rules_context.go)
	byCompileError             // outranked by a compile error in the project's sources (rules_compile.go)
)

// span is a line of the scanned text (start, end) and the match inside it.
type span struct{ start, end, mstart, mend int }

// scanned is the bounded input: text keeps the original case (evidence is
// cut from it), low is the same bytes ASCII-lowercased so offsets agree,
// tris records which trigrams occur in low. text starts with the reason;
// the log's lines start at logFrom.
type scanned struct {
	text    string
	low     []byte
	tris    *trigramSet
	logFrom int
	passed  []byteRange // output captured by passing tests (testoutput.go)
}

// Explain returns every signature that matched, strongest first.
func Explain(in Input) []Match {
	sc := newScan(in)
	hits := rank(in, sc, sc.match())
	out := make([]Match, 0, len(hits))
	for _, h := range hits {
		out = append(out, Match{Signature: h.sig.name, Category: h.sig.category, Line: sc.line(sc.quoteSpan(h))})
	}
	return out
}

// Classify never fails: it always returns an AnalysisResult that passes
// Validate(), with Source "rules".
// The learned guess is loaded inside classify's recovered scope.
func Classify(in Input) analysis.AnalysisResult { return classify(in, defaultGuess) }

// classify is Classify with the learned guess guess returns (guess.go). It
// is called inside the recovered scope, so that no fault of the guess's
// loading can make Classify fail.
func classify(in Input, guess func() GuessConfig) (res analysis.AnalysisResult) {
	defer func() {
		// A bug in a rule must not take the pipeline down: fall back to the
		// never-auto-remediated unknown result.
		if r := recover(); r != nil {
			res = unknownResult(in, scanned{}, clues{}, fmt.Sprintf("rule analyzer error: %v", r), GuessConfig{})
		}
	}()
	return classifyWith(in, guess())
}

// classifyWith is classify's work, unguarded.
func classifyWith(in Input, g GuessConfig) analysis.AnalysisResult {
	sc := newScan(in)
	hits := rank(in, sc, sc.match())
	if i := decider(hits); i >= 0 {
		return sc.result(in, hits, i)
	}
	cl := sc.clues(in)
	if !cl.family.ok && !cl.orphanFound && cl.noFailure {
		// Nothing to explain is not an unknown failure (nofailure.go). A
		// line of a known message family (hints.go) is a failure line even
		// when it reads like none ("Unexpected value 'name'").
		return noFailureResult(in, sc, hits, g)
	}
	return unknownResult(in, sc, cl, weakNote(hits), g)
}

// decider is the index of the hit that decides the answer, the first of
// rank's order that is not weak (a weak signature only adds evidence), or
// -1 when none does.
func decider(hits []hit) int {
	return slices.IndexFunc(hits, func(h hit) bool { return !h.weak })
}

// newScan puts the reason on the first line(s), where a match counts for
// the verdict but never becomes evidence (it is ccm's summary, possibly of
// several joined lines), followed by the log lines of the text without
// ccm's own header.
func newScan(in Input) scanned {
	reason := in.Reason
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	reason = logtext.WithoutANSI(reason)
	text := logtext.WithoutANSI(logtext.Bound(withoutHeader(in.Text)))
	logFrom := 0
	if reason != "" {
		text = reason + "\n" + text
		logFrom = len(reason) + 1
	}
	low := logtext.ASCIILower(text)
	return scanned{text: text, low: low, tris: newTrigramSet(low), logFrom: logFrom, passed: passedOutput(low)}
}

// match runs the table, in table order; rank orders the hits.
func (sc scanned) match() []hit {
	var hits []hit
	for i := range table {
		s := &table[i]
		var lines []span
		if gate := gates[s.name]; gate != nil {
			lines = gate(sc, sc.findN(s, gateScan))
			lines = lines[:min(len(lines), maxLinesPerSig)]
		} else {
			lines = sc.find(s)
		}
		if len(lines) == 0 {
			continue
		}
		h := hit{sig: s, lines: lines, tier: s.tier, flaky: s.flakyEvidence, weak: s.weak}
		if jestExitedOnItsOwn(sc, h) {
			h.tier, h.weak = tierWeak, true
		}
		hits = append(hits, h)
	}
	return hits
}

func (sc scanned) find(s *signature) []span { return sc.findN(s, maxLinesPerSig) }

// findN returns up to n lines s matched on, in log order.
func (sc scanned) findN(s *signature, n int) []span {
	var out []span
	for _, p := range s.patterns {
		if p.lit != "" && (!sc.tris.mayContain(p.tris) || !bytes.Contains(sc.low, []byte(p.lit))) {
			continue
		}
		for _, loc := range p.re.FindAllIndex(sc.low, n+1) {
			// Multi-line patterns report the line their match ends on: that
			// is where the decisive words are ("but: was", "SyntaxError").
			sp := lineSpan(sc.low, loc)
			if p.not != nil && p.not.Match(sc.low[sp.start:sp.end]) {
				continue
			}
			if !s.weak && sc.passedTestLine(sp) || s.flakyEvidence && sc.quotedLine(s, sp) {
				continue
			}
			if !slices.ContainsFunc(out, func(o span) bool { return o.start == sp.start }) {
				out = append(out, sp)
			}
			if len(out) >= n {
				break
			}
		}
		if len(out) >= n {
			break
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.start - b.start })
	return out
}

// line returns the matched line verbatim, trimmed of surrounding blanks and
// cut to a window around the match when it is very long.
func (sc scanned) line(sp span) string {
	start, end := sp.start, sp.end
	if end-start > maxEvidenceLine {
		// Keep the line's beginning when the match fits in the first
		// window; otherwise centre the window on the match.
		if sp.mend-sp.start > maxEvidenceLine {
			start = max(sp.start, sp.mstart-maxEvidenceLine/3)
		}
		end = min(sp.end, start+maxEvidenceLine)
		for start > sp.start && !utf8.RuneStart(sc.text[start]) {
			start--
		}
		for end < sp.end && !utf8.RuneStart(sc.text[end]) {
			end--
		}
		start, end = outsideMarkers(sc.text, start, end)
	}
	return strings.ToValidUTF8(strings.TrimSpace(sc.text[start:end]), "\uFFFD")
}

// outsideMarkers narrows the window text[start:end] so that neither edge
// splits a redaction marker (redact.MarkerAround): an edge inside one moves
// to its far side, dropping it whole.
func outsideMarkers(text string, start, end int) (int, int) {
	if o, _ := redact.MarkerAround(text, end); o >= start {
		end = o
	}
	if _, c := redact.MarkerAround(text, start); c >= 0 && c <= end {
		start = c
	}
	return start, end
}

// onLinesOf reports whether every line of h is one of the winner's.
func onLinesOf(h, win hit) bool {
	for _, l := range h.lines {
		if !slices.ContainsFunc(win.lines, func(w span) bool { return w.start == l.start }) {
			return false
		}
	}
	return len(h.lines) > 0
}

// result builds the analysis from the winning hit (hits[win]) and the rest.
func (sc scanned) result(in Input, hits []hit, win int) analysis.AnalysisResult {
	p := hits[win]
	s := p.sig
	res := analysis.AnalysisResult{
		Category:    s.category,
		RiskScore:   s.risk,
		Confidence:  s.confidence,
		Effort:      s.effort,
		ProposedFix: s.fix,
		Actions:     s.actionsFor(),
		Source:      analysis.SourceRules,
	}
	var notes []string
	var tests []string
	if s.tests || s.assertion {
		tests = sc.testNames()
	}
	// flakyEv is every flakiness signal (the assertion decision reads
	// them all); boostEv and same count only hits on other lines than the
	// winner's: a second signature matching the very same line is the
	// same evidence read twice, not more of it.
	var flakyEv, boostEv, retriedEv []string
	same, rivals := 0, []string(nil)
	var retried retryReport
	if s.assertion {
		retried = sc.retries()
	}
	for i, h := range hits {
		if i == win || h.sig == s {
			continue
		}
		own := onLinesOf(h, p)
		if h.flaky && h.why == unexplained && h.sig.category != analysis.CategoryCode && retried.otherTests(sc, h) {
			// Printed by a test that passed on a later attempt, or a
			// retry marker the attempts already read: no evidence that
			// the test that failed is flaky (retries.go).
			retriedEv = append(retriedEv, h.sig.name)
		} else if h.flaky && h.why == unexplained && h.sig.category != analysis.CategoryCode {
			flakyEv = append(flakyEv, h.sig.name)
			if !own {
				boostEv = append(boostEv, h.sig.name)
			}
		}
		switch {
		case h.weak, h.why != unexplained:
		case h.sig.category == s.category:
			if !own {
				same++
			}
		case h.tier >= s.tier-10 && !h.flaky:
			rivals = append(rivals, h.sig.name)
		}
	}
	if note := demotedNote(in, hits); note != "" {
		notes = append(notes, note)
	}
	if note := compileNote(hits); note != "" {
		notes = append(notes, note)
	}
	// The assertion decision comes first: a change to the failing test makes
	// it code, and then the evidence is only named in its note.
	var assertNote string
	if s.assertion {
		assertNote = classifyAssertion(&res, in, sc.text, tests, flakyEv, retried.alwaysFailed)
		if len(retriedEv) > 0 {
			notes = append(notes, fmt.Sprintf("Not flakiness evidence: %s, printed by a test that passed on a later attempt or marking the retries.", strings.Join(retriedEv, ", ")))
		}
	}
	if res.Category == analysis.CategoryFlakyTest && len(boostEv) > 0 {
		res.Confidence += min(10*len(boostEv), 25)
		notes = append(notes, fmt.Sprintf("Flakiness evidence: %s.", strings.Join(boostEv, ", ")))
	}
	if assertNote != "" {
		notes = append(notes, assertNote)
	}
	if f := reclassifiers[s.name]; f != nil {
		if note := f(sc, p, &res); note != "" {
			notes = append(notes, note)
		}
	}
	if same > 0 {
		res.Confidence += min(5*same, 10)
	}
	if len(rivals) > 0 {
		res.Confidence -= 10
		notes = append(notes, fmt.Sprintf("Competing signals of similar strength: %s.", strings.Join(rivals, ", ")))
	}
	res.Confidence = min(max(res.Confidence, 5), 95)
	res.InvolvesApplicationCode = res.Category == analysis.CategoryCode
	res.Evidence = sc.evidence(hits, win)
	res.AffectedComponents = sc.components(in, p, tests)
	res.Reasoning = reasoning(sc.line(sc.quoteSpan(p)), s, res, hits, win, notes)
	return res
}
