package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Test output context. A package manager fails at install time: a registry
// it cannot reach or a dependency it cannot resolve ends the install, and
// the tests never run. So when the test runner itself reported failing
// tests, a registry, network or resolution error in the same output was
// printed while the tests ran (a mocked fetch, a fixture, a CLI under test
// shelling out to npm) and is not why the step failed. Such hits drop below
// every test-failure signature and are explained: not flakiness evidence
// (the line is whatever the tests chose to print, anyone can add it), nor
// are the bare network words on the same lines.
//
// The step name can veto this: a step whose name says it installs, sets up
// or publishes (the step hints that also steer unknown failures) and does
// not say it tests keeps its registry error as the root cause, because
// test-failure lines in its log are then left over from earlier output
// (a test that failed and passed on retry, an earlier step's log).

// testStepWords find a test step or job in a lowercased name. Words, not
// substrings: "latest" and "attestation" are not tests.
var testStepWords = regexp.MustCompile(`(?:^|[^a-z])(?:tests?|testing|specs?|e2e|pytest|jest|vitest|mocha|rspec|phpunit|ctest|cypress|playwright|unittest|junit|tox|nox)(?:[^a-z]|$)`)

// installTime reports a package-manager signature: a registry it could not
// reach or a dependency it could not resolve or verify. Module-not-found
// errors are not among them: a test importing a missing package is a
// dependency problem found by the tests.
func (s *signature) installTime() bool {
	return s.tier == tierRegistryNet || s.tier == tierDepExact || s.tier == tierDepWrap
}

// reportsFailingTest reports a signature that only a test runner prints
// about a test that failed or hung. The flaky-marker words ("flaky",
// "(attempt 2 of 3)", "address already in use") are left out: retrying
// installers and servers print them too.
func (s *signature) reportsFailingTest() bool {
	return s.tests && !s.weak && s.tier != tierFlakyMarker
}

// rank applies the test output context and the compile-first rule and
// orders hits strongest first (tier in this log, then table order).
func rank(in Input, sc scanned, hits []hit) []hit {
	if _, ok := testOutputStep(in, hits); ok {
		for i := range hits {
			if h := &hits[i]; h.sig.installTime() {
				h.tier = tierGeneric
				h.flaky = false
				h.why = byTestOutput
			}
		}
		absorbTestOutput(sc, hits)
	}
	compileFirst(sc, hits)
	slices.SortStableFunc(hits, func(a, b hit) int { return b.tier - a.tier })
	return hits
}

// absorbTestOutput explains the flakiness-evidence hits that matched only
// on lines of demoted hits: "npm error code ECONNREFUSED" also matches the
// bare network words, and is no more evidence for them. A hit's recorded
// lines are a sample, so it is rescanned before it is absorbed.
func absorbTestOutput(sc scanned, hits []hit) {
	demoted := map[int]bool{}
	for _, h := range hits {
		if h.why == byTestOutput {
			for _, sp := range h.lines {
				demoted[sp.start] = true
			}
		}
	}
	for i := range hits {
		h := &hits[i]
		if !h.flaky || h.why != unexplained {
			continue
		}
		elsewhere := func(sp span) bool { return !demoted[sp.start] }
		if !slices.ContainsFunc(h.lines, elsewhere) && !slices.ContainsFunc(sc.findN(h.sig, compileScanLimit), elsewhere) {
			h.flaky = false
			h.why = byTestOutput
		}
	}
}

// testOutputStep reports whether install-time hits are test output: a
// test-failure signature matched and the step (or, when the step is not
// known, the job) is not vetoed. It returns the name it judged, if any.
func testOutputStep(in Input, hits []hit) (string, bool) {
	if !slices.ContainsFunc(hits, func(h hit) bool { return h.sig.reportsFailingTest() }) ||
		!slices.ContainsFunc(hits, func(h hit) bool { return h.sig.installTime() }) {
		return "", false
	}
	name := strings.TrimSpace(in.FailingStep)
	if name == "" {
		name = strings.TrimSpace(in.JobName)
	}
	low := strings.ToLower(name)
	if testStepWords.MatchString(low) {
		return name, true
	}
	for _, h := range stepHints {
		for _, w := range h.words {
			if strings.Contains(low, w) {
				return name, false
			}
		}
	}
	return name, true
}

// demotedNote explains, for the reasoning, which hits the context demoted.
func demotedNote(in Input, hits []hit) string {
	var names []string
	for _, h := range hits {
		if h.why == byTestOutput && h.tier < h.sig.tier {
			names = append(names, h.sig.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	where := "the log"
	if name := sanitizeComponent(in.FailingStep); name != "" {
		where = fmt.Sprintf("step %q", name)
	} else if name := sanitizeComponent(in.JobName); name != "" {
		where = fmt.Sprintf("job %q", name)
	}
	return fmt.Sprintf("The test runner reported failing tests in %s, so %s is output of the tests, not why the step failed; ranked below the test failure.",
		where, strings.Join(names, ", "))
}
