package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
)

// Unknown failures. When no signature matches, the analyzer does not guess a
// remediation: the result is never auto-remediated (action none, risk >= 7,
// confidence <= 30) and says why. Its category comes from weak hints (a
// SIGTERM exit code, a "canceled" marker, the failing step's name); with no
// hint at all it is CategoryCode, because most CI failures that no
// infrastructure, configuration or dependency rule recognises are build or
// test failures of the change itself, and a code classification keeps a
// person in the loop (InvolvesApplicationCode is true).

const (
	unknownRisk           = 7
	unknownCodeRisk       = 8
	unknownHintConfidence = 25
	unknownConfidence     = 10
)

var fixUnknown = steps(
	"No known failure signature matched, so ccm will not remediate this automatically.",
	"Open the failing step's log, find the first error (not the last line), and decide whether it is the change, the pipeline configuration or the CI environment.",
	"If it is a recurring infrastructure or flaky failure, add its error line as a new rule so the next one is recognised.")

// weakHints map log markers to a category when nothing else matched.
var weakHints = []struct {
	re       *regexp.Regexp
	category analysis.Category
	why      string
}{
	{re(`(?:exit code|exit status|exited with code) 143\b|signal: terminated|received signal 15\b`), analysis.CategoryInfrastructure, "the process was terminated with SIGTERM (exit 143), usually the runner or a cancel stopping it"},
	{re(`the operation was canceled|the operation was cancelled|job was cancelled`), analysis.CategoryTimeout, "the step was canceled, which usually means a timeout or a superseding run"},
	{re(`(?:exit code|exit status) 127\b`), analysis.CategoryConfig, "exit code 127 means a command was not found"},
}

// stepHints map words in the failing step or job name to a category.
var stepHints = []struct {
	words    []string
	category analysis.Category
}{
	{[]string{"set up job", "checkout", "initialize containers", "post "}, analysis.CategoryInfrastructure},
	{[]string{"install", "dependenc", "restore", "bootstrap", "npm ci", "bundle", "vendor"}, analysis.CategoryDependency},
	{[]string{"deploy", "publish", "release", "upload", "login", "push"}, analysis.CategoryConfig},
}

// unknownResult is the safe default for a failure no signature explains.
func unknownResult(in Input, sc scanned, note string) analysis.AnalysisResult {
	cat, why := analysis.CategoryCode, "no hint in the log or step name; defaulting to code keeps a person in the loop"
	confidence := unknownConfidence
	if hc, hw, ok := hintFor(in, sc); ok {
		cat, why, confidence = hc, hw, unknownHintConfidence
	}
	risk := unknownRisk
	if cat == analysis.CategoryCode {
		risk = unknownCodeRisk
	}
	comps := sc.components(in, hit{sig: &signature{}}, nil)
	reason := fmt.Sprintf("No failure signature matched; classified as %s because %s. Not auto-remediated.", cat, why)
	if note != "" {
		reason += " " + note
	}
	return analysis.AnalysisResult{
		Category:                cat,
		RiskScore:               risk,
		Confidence:              confidence,
		Effort:                  analysis.EffortMedium,
		ProposedFix:             fixUnknown,
		Actions:                 []analysis.Action{{Type: analysis.ActionNone}},
		AffectedComponents:      comps,
		InvolvesApplicationCode: cat == analysis.CategoryCode,
		Evidence:                sc.errorLines(),
		Reasoning:               reason,
		Source:                  analysis.SourceRules,
	}
}

func hintFor(in Input, sc scanned) (analysis.Category, string, bool) {
	for _, h := range weakHints {
		if h.re.Match(sc.low) {
			return h.category, h.why, true
		}
	}
	name := strings.ToLower(in.FailingStep + " | " + in.JobName)
	for _, h := range stepHints {
		for _, w := range h.words {
			if strings.Contains(name, w) {
				return h.category, fmt.Sprintf("the failing step or job name mentions %q", w), true
			}
		}
	}
	return "", "", false
}

// errorLines picks up to three log lines mentioning an error, from the end
// of the log (where the cause usually is), or the last non-empty log line.
// The reason and ccm's markers are not log lines; with no log line left
// there is no evidence.
func (sc scanned) errorLines() []string {
	var out, last []string
	rest := sc.low[min(sc.logFrom, len(sc.low)):]
	for len(rest) > 0 && len(out) < 3 {
		end := len(rest)
		start := bytes.LastIndexByte(rest[:end], '\n') + 1
		ln := rest[start:end]
		if len(rest) > 0 && start > 0 {
			rest = rest[:start-1]
		} else {
			rest = nil
		}
		off := sc.logFrom + start
		sp := span{start: off, end: off + len(ln), mstart: off, mend: off}
		if len(bytes.TrimSpace(ln)) == 0 || !sc.isLog(sp) {
			continue
		}
		l := sc.line(sp)
		if len(last) == 0 {
			last = []string{l}
		}
		if bytes.Contains(ln, []byte("error")) || bytes.Contains(ln, []byte("fail")) {
			out = append([]string{l}, out...)
		}
	}
	if len(out) == 0 {
		return last
	}
	return out
}

// weakNote mentions weak matches that were not enough on their own.
func weakNote(hits []hit) string {
	if len(hits) == 0 {
		return ""
	}
	var names []string
	for _, h := range hits {
		names = append(names, h.sig.name)
	}
	return "Weak signals only: " + strings.Join(names, ", ") + "."
}
