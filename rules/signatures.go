package rules

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
)

// Precedence tiers. The rule analyzer reports the matching signature with the
// highest tier; ties go to the signature listed first (the families in
// load.go, then file order). The order of tiers encodes
// "root cause beats symptom":
//
//  1. tierPlatform: the runner or agent died, the job hit the platform's hard
//     time limit, the disk filled or the kernel killed the process. Whatever
//     else the log says was cut short by this.
//  2. tierSetup: the workflow could not start as written (invalid workflow,
//     unknown action, missing input or secret, token permissions, Jenkinsfile
//     syntax). Nothing after it is meaningful.
//  3. tierService: a named external service refused us (Docker Hub rate limit,
//     GitHub API rate limit, cache service errors, corrupt cache restore).
//  4. tierDepExact / tierRegistryNet: a package manager stated a deterministic
//     resolution problem (lockfile out of date, no such version, checksum
//     mismatch) or a network failure talking to its registry. The exact
//     problem wins over the network one when both appear, and a network cause
//     beats the generic "could not resolve dependencies" wrapper (tierDepWrap).
//  5. tierCompile: compile, type and lint errors. Tests never ran, so any test
//     output is stale or secondary. A genuine one in the project's sources
//     also outranks every non-code tier above it (compile.go): no
//     other failure makes it go away.
//  6. tierTestTimeout: a test runner's own timeout (go test -timeout, mocha,
//     jest, pytest-timeout). The hang is the failure; assertions printed
//     before it are collateral.
//  7. tierE2E and tierFlakyMarker: evidence that a test is nondeterministic
//     (UI waits, element not found, data races, port collisions, explicit
//     "flaky" words).
//  8. tierAssertion and tierTestSummary: a test assertion failed with no
//     stronger signal. See classifyAssertion for how flaky_test vs code is
//     decided.
//  9. tierCoverageGate: a coverage threshold the tests did not reach. The
//     gate runs after the tests, so a failing test outranks it (its failure
//     also lowers the coverage), and it outranks the bare words below,
//     which passing tests print too.
//  10. tierGeneric: bare network or timeout words without context; they also
//     count as flakiness evidence when a test failure wins.
//
// Weak signatures (retry counters, order-randomisation seeds) never win on
// their own; they only add evidence, or (a seed, printed on every run of a
// randomized suite) are only noted.
const (
	tierPlatform     = 100
	tierSetup        = 95
	tierResource     = 92
	tierService      = 88
	tierCache        = 85
	tierToolchain    = 82
	tierRegistryNet  = 81
	tierDepExact     = 80
	tierDepModule    = 72
	tierCompile      = 70
	tierTestTimeout  = 68
	tierE2E          = 66
	tierFlakyMarker  = 62
	tierDepWrap      = 60
	tierCollect      = 56
	tierRuntimeCrash = 52
	tierAssertion    = 50
	tierTestSummary  = 46
	tierCoverageGate = 44
	tierGeneric      = 42
	tierWeak         = 10
)

// tierNames are the tiers by the names the signature files use.
var tierNames = map[string]int{
	"platform":      tierPlatform,
	"setup":         tierSetup,
	"resource":      tierResource,
	"service":       tierService,
	"cache":         tierCache,
	"toolchain":     tierToolchain,
	"registry-net":  tierRegistryNet,
	"dep-exact":     tierDepExact,
	"dep-module":    tierDepModule,
	"compile":       tierCompile,
	"test-timeout":  tierTestTimeout,
	"e2e":           tierE2E,
	"flaky-marker":  tierFlakyMarker,
	"dep-wrap":      tierDepWrap,
	"collect":       tierCollect,
	"runtime-crash": tierRuntimeCrash,
	"assertion":     tierAssertion,
	"test-summary":  tierTestSummary,
	"coverage-gate": tierCoverageGate,
	"generic":       tierGeneric,
	"weak":          tierWeak,
}

// signature is one known failure shape and what to do about it.
type signature struct {
	name       string
	category   analysis.Category
	tier       int
	patterns   []pattern
	risk       int
	effort     analysis.Effort
	confidence int
	// transient: a plain re-run most likely passes. Transient signatures get
	// rerun_failed_jobs unless actions says otherwise; the rest get none.
	transient bool
	fix       string
	actions   []analysis.ActionType
	// component names what broke when it is fixed ("pnpm-lock.yaml").
	component string
	// extract pulls a more precise component from the matched line, e.g. the
	// package that has no matching version.
	extract *regexp.Regexp
	// tests asks for failing test names to be extracted as components.
	tests bool
	// assertion marks plain test-assertion signatures, subject to the
	// flaky-vs-code decision.
	assertion bool
	// flakyEvidence: this match hints that a failing test is nondeterministic.
	flakyEvidence bool
	// weak signatures never win on their own.
	weak bool
}

// pattern is one regular expression, matched against the ASCII-lowercased
// log, with a literal that must occur for the expression to be tried at all
// (cheap prefilter, derived from the expression).
type pattern struct {
	lit  string
	tris []uint32 // trigram hashes of lit, for the bitset prefilter
	re   *regexp.Regexp
	not  *regexp.Regexp // a matched line that also matches not is ignored
}

// mustPattern compiles a pattern written in Go (the test-name rules); the
// signatures' patterns come from their files (load.go).
func mustPattern(expr, not string) pattern {
	p, err := compilePattern(expr, not)
	if err != nil {
		panic(fmt.Sprintf("rules: pattern %q: %v", expr, err))
	}
	return p
}

// requiredLiteral returns the longest literal substring every match of expr
// must contain, or "" when there is none (the pattern then always runs).
func requiredLiteral(expr string) string {
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	return longestRequired(tree)
}

func longestRequired(t *syntax.Regexp) string {
	switch t.Op {
	case syntax.OpLiteral:
		if t.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(t.Rune)
	case syntax.OpCapture:
		return longestRequired(t.Sub[0])
	case syntax.OpPlus:
		return longestRequired(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return longestRequired(t.Sub[0])
		}
		return ""
	case syntax.OpConcat:
		best, run := "", ""
		for _, s := range t.Sub {
			if s.Op == syntax.OpLiteral && s.Flags&syntax.FoldCase == 0 {
				run += string(s.Rune)
				if len(run) > len(best) {
					best = run
				}
				continue
			}
			run = ""
			if l := longestRequired(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	default:
		return ""
	}
}

// actionsFor is the signature's remediation list.
func (s signature) actionsFor() []analysis.Action {
	types := s.actions
	if len(types) == 0 {
		if s.transient {
			types = []analysis.ActionType{analysis.ActionRerunFailedJobs}
		} else {
			types = []analysis.ActionType{analysis.ActionNone}
		}
	}
	out := make([]analysis.Action, 0, len(types))
	for _, t := range types {
		out = append(out, analysis.Action{Type: t})
	}
	return out
}

// steps joins numbered remediation steps into one proposed fix.
func steps(lines ...string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d. %s", i+1, l)
	}
	return b.String()
}
