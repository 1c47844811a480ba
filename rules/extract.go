package rules

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/analysis"
)

// testNameRules find failing test identifiers in runner output. Each regexp
// runs on the lowercased text; the captured groups are cut from the original
// text and joined with sep (so "Class.method" keeps its case).
var testNameRules = []struct {
	p   pattern
	sep string
}{
	{mustPattern(`--- fail: (\S+)`, ""), ""},
	{mustPattern(`running tests:[ \t]*\n(?:\d{4}-\d\d-\d\dt[\d:.]+z)?[ \t]+(\S+) \(`, ""), ""},
	{mustPattern(`^failed ([\w/.-]+\.py::[^\s]+)`, ""), ""},
	{mustPattern(`^____* ([\w.\[\]:-]+) ____*\s*$`, ""), ""},
	{mustPattern(`^fail: (\w+ \([\w.]+\))`, ""), ""},
	{mustPattern(`● ([^\n›]+› [^\n]+)`, ""), ""},
	{mustPattern(`(?:^|\s)fail +([\w@/.-]+\.(?:test|spec|cy)\.[cm]?[jt]sx?)`, ""), ""},
	{mustPattern(`(\w+)\((?:[\w$]+\.)*(\w+)\)\s+time elapsed: [^\n]*<<< (?:failure|error)!`, ""), "<"},
	{mustPattern(`at (?:[\w$]+\.)+?(\w*test\w*)\.(\w+)\([\w$]+\.(?:java|kt|scala|groovy):\d+\)`, ""), "."},
	{mustPattern(`^rspec (\./spec/[^\s]+)`, ""), ""},
	{mustPattern(`---- (\S+) stdout ----`, ""), ""},
	{mustPattern(`\[  failed  \] ([\w./]+)`, ""), ""},
	{mustPattern(`^\s*failed ([\w.]+) \[\d`, ""), ""},
	{mustPattern(`([\w@/.-]+\.spec\.[cm]?[jt]sx?):\d+`, ""), ""},
	{mustPattern(`([\w@/.-]+\.test\.[cm]?[jt]sx?):\d+`, ""), ""},
	{mustPattern(`([\w@/.-]+\.cy\.[cm]?[jt]sx?):\d+`, ""), ""},
	{mustPattern(`\d+ failing\s*\n\s*1\) ([^\n]+)\n\s+([^\n]+):\s*\n`, ""), " "},
	{mustPattern(`error trace:\s+(\S+_test\.go):\d+`, ""), ""},
}

// testNames returns up to three failing test identifiers.
func (sc scanned) testNames() []string {
	var out []string
	for _, r := range testNameRules {
		if r.p.lit != "" && (!sc.tris.mayContain(r.p.tris) || !bytes.Contains(sc.low, []byte(r.p.lit))) {
			continue
		}
		for _, m := range r.p.re.FindAllSubmatchIndex(sc.low, 3) {
			var parts []string
			for g := 2; g+1 < len(m); g += 2 {
				if m[g] >= 0 {
					parts = append(parts, strings.TrimSpace(sc.text[m[g]:m[g+1]]))
				}
			}
			// "<" swaps "method", "Class" into "Class.method" (surefire).
			name := strings.Join(parts, r.sep)
			if r.sep == "<" && len(parts) == 2 {
				name = parts[1] + "." + parts[0]
			}
			name = cleanPath(strings.TrimSuffix(name, ":"))
			if name != "" && !slices.Contains(out, name) {
				out = append(out, name)
			}
			if len(out) == 3 {
				return out
			}
		}
	}
	return out
}

// components names what the failure affects: the extracted detail (file,
// package, lockfile), the signature's component, failing tests, then the
// step and job.
func (sc scanned) components(in Input, p hit, tests []string) []string {
	var out []string
	add := func(c string) {
		c = sanitizeComponent(c)
		if c != "" && len(out) < maxComponents && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, c) }) {
			out = append(out, c)
		}
	}
	if p.sig.extract != nil {
		for _, sp := range p.lines {
			m := p.sig.extract.FindSubmatchIndex(sc.low[sp.start:sp.end])
			// The first group that took part in the match is the value.
			for g := 2; g+1 < len(m); g += 2 {
				if m[g] >= 0 {
					add(cleanPath(sc.text[sp.start+m[g] : sp.start+m[g+1]]))
					break
				}
			}
			if len(out) > 0 {
				break
			}
		}
	}
	add(p.sig.component)
	for i, t := range tests {
		if i == 2 {
			break
		}
		add("test: " + t)
	}
	if in.FailingStep != "" {
		add("step: " + in.FailingStep)
	}
	if in.JobName != "" {
		add("job: " + in.JobName)
	}
	if len(out) == 0 {
		out = append(out, "ci pipeline")
	}
	return out
}

// workspacePrefix strips CI checkout directories so paths read as repository
// paths.
var workspacePrefix = regexp.MustCompile(`^(?:/home/runner/work/[^/]+/[^/]+/|/__w/[^/]+/[^/]+/|[a-zA-Z]:\\a\\[^\\]+\\[^\\]+\\|/builds/[^/]+/[^/]+/|/home/circleci/(?:project|repo)/|/github/workspace/|/var/lib/jenkins/workspace/[^/]+/|/checkout/|/home/travis/build/[^/]+/[^/]+/)`)

func cleanPath(p string) string { return workspacePrefix.ReplaceAllString(p, "") }

// sanitizeComponent makes c a valid component identifier or "".
func sanitizeComponent(c string) string {
	c = strings.ToValidUTF8(c, "")
	c = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, c)
	c = strings.Join(strings.Fields(c), " ")
	for len(c) > 100 {
		_, size := lastRune(c)
		c = c[:len(c)-size]
	}
	c = strings.TrimSpace(c)
	if !analysis.ValidComponent(c) {
		return ""
	}
	return c
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0x80 || s[i] >= 0xC0 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// classifyAssertion decides flaky_test vs code for a plain assertion failure
// and returns a note for the reasoning. The fixtures and public CI history
// agree that an assertion failure reported on its own is more often a flaky
// test than a regression (regressions are usually fixed in the PR that
// caused them, flaky tests keep coming back), so flaky_test is the default,
// with low confidence. The change's files override that default:
//   - the change touches the failing test or the file it exercises: code,
//     with confidence at the deterministic floor's threshold so the model
//     cannot talk the risk down (docs/ARCHITECTURE.md §3.2);
//   - the expected and actual values print the same (sameLookingValues):
//     code, since they differ in invisible characters, which is the
//     runner's culture or line endings on every run, not timing;
//   - the change is known and does not: flaky_test, slightly more confident.
//
// Flakiness evidence in the log (timing, UI waits, network, "flaky") does
// not cancel a touched test: a regression in a test that also talks to the
// network is still a regression, and any build can print a network error.
// It only lowers the confidence a little and is named in the note.
func classifyAssertion(res *analysis.AnalysisResult, in Input, text string, tests, flakyEv, alwaysFailed []string) string {
	touched := changedTestFile(in.ChangedFiles, tests)
	same := ""
	if touched == "" {
		same = sameLookingValues(text)
	}
	switch {
	case touched != "":
		res.Category = analysis.CategoryCode
		res.RiskScore = 8
		res.Confidence = 65
		res.Actions = []analysis.Action{{Type: analysis.ActionNone}}
		res.ProposedFix = steps(
			"The change modifies "+touched+", which the failing test covers: treat the assertion failure as a regression.",
			"Reproduce it locally with the test name from the evidence and fix the code or update the test's expectation deliberately.",
			"Do not re-run to get green; if it turns out to be flaky, document why in the fix PR.")
		note := fmt.Sprintf("The change touches %s, which the failing test covers, so the assertion failure is treated as a code defect.", touched)
		if len(flakyEv) > 0 {
			res.Confidence = 60
			note += fmt.Sprintf(" The log also shows flakiness evidence (%s), which does not outweigh a change to the failing test or the code it covers.", strings.Join(flakyEv, ", "))
		}
		return note
	case same != "":
		deterministicFailure(res, steps(
			"The assertion's expected and actual values print the same, so they differ in characters that do not show: a non-breaking or narrow space from culture/ICU date and number formatting, a line ending (CRLF), or trailing whitespace.",
			"Compare the two values byte by byte locally (or print them escaped); make the test pin the culture/locale (InvariantCulture, LANG=C.UTF-8) or normalise line endings instead of depending on the runner's defaults.",
			"Do not re-run to get green: the same runner image gives the same bytes every time."))
		return fmt.Sprintf("Expected and actual print the same (%q), so the failure is a difference in invisible characters (culture formatting, line endings, whitespace): deterministic on this runner, not flaky.", same)
	case len(flakyEv) > 0:
		return "The assertion failure comes with flakiness evidence."
	case len(alwaysFailed) > 0:
		deterministicFailure(res, steps(
			"The test failed on every attempt the runner made (its retries did not pass), so a re-run would fail the same way: treat it as a defect in the code or the test.",
			"Reproduce it locally with the test name from the evidence; fix the code, or the test's expectation if the change meant to alter the behaviour.",
			"If it turns out to depend on the runner (order, locale, time zone), pin that in the test rather than retrying it."))
		return fmt.Sprintf("The runner retried the failing test and it failed every attempt (%s), with no flakiness evidence: deterministic, not flaky.", alwaysFailed[0])
	case len(in.ChangedFiles) > 0:
		res.Confidence += 5
		return "No flakiness evidence, but the change does not touch the failing test; flaky_test is the default for an isolated assertion failure."
	default:
		return "No flakiness evidence and no changed-file list; flaky_test is the default for an isolated assertion failure, at low confidence."
	}
}

// expectedActual is an equality assertion's report of the two values on
// consecutive lines: "Expected: x" then "Actual: y" (xUnit, NUnit, Catch),
// "Received: y" (Jest) or "but was: y" (JUnit), optionally behind a
// "[name]" prefix that a monorepo runner puts on every line.
var expectedActual = regexp.MustCompile(`(?mi)^[^\S\n]*(?:\[[^\]\n]*\][^\S\n]+)?expected:[^\S\n]*(\S[^\n]*?)[^\S\n]*\r?\n[^\S\n]*(?:\[[^\]\n]*\][^\S\n]+)?(?:actual|received|but was):[^\S\n]*(\S[^\n]*?)[^\S\n]*\r?$`)

// zeroWidth drops the characters that print as nothing (zero-width space,
// byte-order mark, direction marks) and a carriage return inside a value
// (a CRLF string compared with an LF one). Spaces that print like a space
// (ICU's U+202F before "PM", U+00A0 as a thousands separator) need no
// mapping: strings.Fields splits on them.
var zeroWidth = strings.NewReplacer("\u200b", "", "\ufeff", "", "\u200e", "", "\u200f", "", "\r", "")

// diffMarker is a framework's own note that two printed strings differ
// (xUnit's "↓ (pos 19)", NUnit's "Strings differ at index 2"): with it,
// byte-identical values mean the log lost the invisible character (a
// pasted or re-encoded log), not that the values were equal.
var diffMarker = regexp.MustCompile(`(?i)[↓↑] \(pos \d+\)|differ at index \d+`)

// sameLookingValues returns the value of an equality assertion whose
// expected and actual values print the same but are not the same bytes,
// or "". A test that compared equal-looking values and failed differs in
// bytes a reader cannot see; that is a property of the runner's culture,
// encoding or line endings, the same on every run, not timing. Values that
// are byte for byte the same (an object's type name, a date to the second,
// "True") say nothing of the kind: the test compared something the printout
// does not show. They count only next to the framework's diff marker. text
// is the scanned text (bounded, without ANSI colours). Only the first few
// pairs are looked at: a log that prints many is a report of many
// failures, not one.
func sameLookingValues(text string) string {
	if !strings.Contains(text, "xpected:") && !strings.Contains(text, "XPECTED:") ||
		!strings.Contains(text, "ctual:") && !strings.Contains(text, "eceived:") && !strings.Contains(text, "ut was:") &&
			!strings.Contains(text, "CTUAL:") && !strings.Contains(text, "ECEIVED:") && !strings.Contains(text, "UT WAS:") {
		return ""
	}
	for _, m := range expectedActual.FindAllStringSubmatchIndex(text, 3) {
		rawWant, rawGot := text[m[2]:m[3]], text[m[4]:m[5]]
		want, got := zeroWidth.Replace(rawWant), zeroWidth.Replace(rawGot)
		if utf8.RuneCountInString(strings.TrimSpace(want)) < 2 || strings.Join(strings.Fields(want), " ") != strings.Join(strings.Fields(got), " ") {
			continue
		}
		if rawWant != rawGot || diffMarker.MatchString(text[max(0, m[0]-400):min(len(text), m[1]+200)]) {
			return strings.TrimSpace(want)
		}
	}
	return ""
}

// changedTestFile returns the first changed file whose stem matches a failing
// test's file, class or function stem.
func changedTestFile(changed, tests []string) string {
	if len(changed) == 0 || len(tests) == 0 {
		return ""
	}
	want := map[string]bool{}
	for _, t := range tests {
		for _, f := range strings.FieldsFunc(t, func(r rune) bool { return strings.ContainsRune(" ./:()[]<>›", r) }) {
			if s := stem(f); len(s) >= 3 {
				want[s] = true
			}
		}
	}
	for _, c := range changed {
		if want[stem(path.Base(strings.ReplaceAll(c, "\\", "/")))] {
			return c
		}
	}
	return ""
}

// stem reduces a file, class or test function name to what a test and the
// code it covers share: "traverse_test.go", "TestTraverse" and "traverse.go"
// all become "traverse". Suffixes like "Test" are only stripped at a case
// boundary so "latest" stays "latest".
func stem(name string) string {
	n := name
	if i := strings.IndexByte(n, '.'); i > 0 {
		n = n[:i]
	}
	for _, suf := range []string{"_test", "_spec", "-test", "-spec", "_tests", "Tests", "Test", "Spec", "IT"} {
		if len(n) > len(suf)+1 && strings.HasSuffix(n, suf) {
			n = strings.TrimSuffix(n, suf)
			break
		}
	}
	switch {
	case strings.HasPrefix(n, "test_") && len(n) > 6:
		n = n[5:]
	case strings.HasPrefix(n, "Test") && len(n) > 5 && unicode.IsUpper(rune(n[4])):
		n = n[4:]
	}
	return strings.ToLower(strings.Trim(n, "_-"))
}

// deterministicFailure makes res the answer for an assertion failure the
// log shows is no flake: code, nothing done alone, with fix.
func deterministicFailure(res *analysis.AnalysisResult, fix string) {
	res.Category = analysis.CategoryCode
	res.RiskScore = 7
	res.Confidence = 55
	res.Actions = []analysis.Action{{Type: analysis.ActionNone}}
	res.ProposedFix = fix
}
