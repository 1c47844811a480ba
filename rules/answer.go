package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
)

// What a signature's answer says besides its category: the log lines it
// rests on and the reasoning a person reads.

// evidence is the winning hit's log lines, then one log line from each of up
// to two other hits, verbatim. A hit that shows in no log line (it matched
// in the reason only, across lines the reason joined) gives none: the
// contract is lines of the log, not ccm's summary of them.
func (sc scanned) evidence(hits []hit, win int) []string {
	var out []string
	add := func(sp span) {
		if l := sc.line(sp); l != "" && !slices.Contains(out, l) && len(out) < maxEvidence {
			out = append(out, l)
		}
	}
	for _, sp := range sc.logSpans(hits[win]) {
		add(sp)
	}
	others := 0
	for i, h := range hits {
		if i == win || others == 2 {
			continue
		}
		if sps := sc.logSpans(h); len(sps) > 0 {
			others++
			add(sps[0])
		}
	}
	return out
}

func reasoning(line string, s *signature, res analysis.AnalysisResult, hits []hit, win int, notes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Rule %q (%s, precedence %d) matched: %q.", s.name, s.category, s.tier, line)
	if res.Category != s.category {
		fmt.Fprintf(&b, " Reclassified as %s.", res.Category)
	}
	for _, n := range notes {
		b.WriteString(" " + n)
	}
	var also []string
	for i, h := range hits {
		if i != win {
			also = append(also, fmt.Sprintf("%s (%s)", h.sig.name, h.sig.category))
		}
	}
	if len(also) > 0 {
		fmt.Fprintf(&b, " Also matched, lower precedence: %s.", strings.Join(also, ", "))
	}
	switch {
	case s.assertion && res.Category == analysis.CategoryFlakyTest:
		b.WriteString(" One re-run is the cheapest way to tell a flaky test from a regression.")
	case slices.ContainsFunc(res.Actions, func(a analysis.Action) bool { return a.Type == analysis.ActionDeleteCache }):
		b.WriteString(" Deleting the cache entry and re-running is expected to fix it.")
	case s.transient && res.Category != analysis.CategoryCode:
		b.WriteString(" A plain re-run is expected to pass.")
	default:
		b.WriteString(" A re-run is not expected to help; a person has to change something.")
	}
	return b.String()
}
