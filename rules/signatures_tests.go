package rules

import "github.com/ccm-ci/ccm/analysis"

// testTimeoutSignatures: a test runner's own per-test or per-binary timeout
// fired. The hang is the failure; assertions printed before it are collateral.
var testTimeoutSignatures = []signature{
	{
		name: "go-test-timeout", category: analysis.CategoryTimeout, tier: tierTestTimeout,
		patterns: pats(`panic: test timed out after [\dhms.]+`),
		risk:     4, effort: analysis.EffortMedium, confidence: 85, transient: true, tests: true,
		component: "go test",
		fix: steps(
			"A Go test ran past `go test -timeout`; the tests listed under `running tests:` are the ones that hung.",
			"Re-run once: hangs that depend on timing or shared CI load often pass.",
			"Then fix the hang: look at the goroutine dump for the test's blocked channel/lock/network wait, add contexts with deadlines, and avoid real sleeps and external services in tests."),
	},
	{
		name: "js-test-timeout", category: analysis.CategoryTimeout, tier: tierTestTimeout,
		patterns: pats(
			`timeout of \d+ms exceeded`,
			`exceeded timeout of \d+ ?ms for a (?:test|hook)`,
			`async callback was not invoked within the \d+ ?ms timeout`),
		risk: 4, effort: analysis.EffortLow, confidence: 80, transient: true, tests: true,
		component: "test runner timeout",
		fix: steps(
			"A test or hook exceeded the runner's per-test timeout (mocha/jest), usually because CI machines are slower or an async call never resolved.",
			"Re-run once; if it passes, raise the timeout for the slow suite (this.timeout / jest.setTimeout / testTimeout) or make the test faster.",
			"If it always times out, a promise is never resolved or `done()` is never called: fix the test's async handling."),
	},
	{
		name: "jvm-python-test-timeout", category: analysis.CategoryTimeout, tier: tierTestTimeout,
		patterns: pats(
			`testtimedoutexception: test timed out after`,
			`there was a timeout in the fork`,
			`failed: timeout >\d+(?:\.\d+)?s`,
			`\+{5,} timeout \+{5,}`,
			`java\.util\.concurrent\.timeoutexception: [^\n]*timed out after`),
		risk: 4, effort: analysis.EffortMedium, confidence: 75, transient: true, tests: true,
		component: "test runner timeout",
		fix: steps(
			"A test exceeded its configured timeout (JUnit @Timeout/surefire fork timeout, pytest-timeout).",
			"Re-run once; if it passes, the test is load-sensitive: raise its timeout or reduce its work.",
			"If it always times out, take the thread dump/traceback printed at the timeout and fix the blocked call."),
	},
}

// fixFlaky is shared by the nondeterministic-test signatures.
var fixFlaky = steps(
	"Re-run the failed jobs; the failure looks nondeterministic (timing, ordering, UI waits or the network inside a test).",
	"Quarantine or fix the test: replace sleeps with explicit waits on the condition, isolate shared state between tests, mock external services, and pin random seeds.",
	"Track it: if the same test fails again on an unrelated change, open an issue labelled flaky with this log.")

// flakySignatures: evidence that a failing test is nondeterministic.
var flakySignatures = []signature{
	{
		name: "e2e-wait-timeout", category: analysis.CategoryFlakyTest, tier: tierE2E, flakyEvidence: true,
		patterns: pats(
			`locator\.\w+: timeout \d+ms exceeded`,
			`waiting for (?:locator|selector|navigation|element)`,
			`page\.goto: (?:net::err_|timeout)`,
			`test timeout of \d+ms exceeded`,
			`navigation timeout of \d+ ?ms exceeded`,
			`timed out retrying after \d+ms`,
			`cy\.\w+\(\) (?:failed|timed out)`,
			`element is detached from the dom`,
			`expected to find element: [^\n]* but never found it`,
			`expected condition failed: waiting for`),
		risk: 4, effort: analysis.EffortMedium, confidence: 70, transient: true, tests: true,
		component: "e2e test", fix: fixFlaky,
	},
	{
		name: "e2e-element-not-found", category: analysis.CategoryFlakyTest, tier: tierE2E, flakyEvidence: true,
		patterns: pats(
			`staleelementreference(?:exception|error)`,
			`elementclickintercepted(?:exception|error)`,
			`element click intercepted`,
			`element not interactable`,
			`nosuchelementexception`,
			`no such element: unable to locate element`,
			`capybara::elementnotfound`,
			`unable to find (?:visible )?(?:css|xpath|button|link|field|field or button)\b`,
			`expected to find (?:visible )?(?:text|css|xpath|content|button|link|field) `,
			`could not find [^\n]{0,60}\b(?:button|element|link|selector|locator|modal|dialog|input|checkbox)\b`,
			`\belement (?:is )?not (?:visible|clickable|found)\b`,
			`\bunable to locate element\b`),
		risk: 4, effort: analysis.EffortMedium, confidence: 65, transient: true, tests: true,
		component: "e2e test", fix: fixFlaky,
	},
	{
		name: "data-race", category: analysis.CategoryFlakyTest, tier: tierE2E, flakyEvidence: true,
		patterns: pats(
			`warning: data race`,
			`race detected during execution of test`,
			`threadsanitizer: data race`),
		risk: 5, effort: analysis.EffortHigh, confidence: 65, transient: true, tests: true,
		component: "concurrent code",
		fix: steps(
			"The race detector found unsynchronised access; the failure depends on scheduling, so a re-run may pass.",
			"Fix the race shown in the two stacks (add locking, channels or atomics; stop sharing test state across goroutines) - a re-run only hides it.",
			"Run the package with -race -count=20 locally to confirm the fix."),
	},
	{
		name: "flaky-marker", category: analysis.CategoryFlakyTest, tier: tierFlakyMarker, flakyEvidence: true,
		patterns: pats(
			`\bflaky\b`,
			`\bintermittent(?:ly)?\b`,
			`\bnon-?deterministic\b`,
			`rspec::retry`,
			`\(attempt \d+ of \d+\)`,
			`\bretry #\d+`,
			`\[rerun\]`,
			`\brerun failed tests?\b`,
			`^\s*flakes: \d+`,
			`address already in use`,
			`\beaddrinuse\b`,
			`conditiontimeoutexception`,
			`was not fulfilled within`),
		risk: 4, effort: analysis.EffortMedium, confidence: 70, transient: true, tests: true,
		component: "flaky test", fix: fixFlaky,
	},
	{
		name: "test-order-seed", category: analysis.CategoryFlakyTest, tier: tierWeak, weak: true, flakyEvidence: true,
		patterns: pats(
			`randomized with seed \d+`,
			`run options: --seed \d+`,
			`-p randomly-seed=\d+`),
		risk: 4, effort: analysis.EffortMedium, confidence: 30, transient: true, tests: true,
		component: "test order", fix: fixFlaky,
	},
}

// fixAssertion explains the uncertain flaky-vs-code call for plain assertion
// failures.
var fixAssertion = steps(
	"A test assertion failed. Check whether the change touches the failing test or the code it exercises: if so, fix the code or update the test.",
	"If the change is unrelated, re-run the failed jobs once; a pass on re-run means the test is flaky (timing, ordering, shared state) and should be fixed or quarantined.",
	"If it fails the same way again, reproduce it locally with the test name from the evidence.")

// assertionSignatures: a test failed on an assertion with no stronger signal.
var assertionSignatures = []signature{
	{
		name: "jvm-assertion-failure", category: analysis.CategoryFlakyTest, tier: tierAssertion, assertion: true,
		patterns: pats(
			`java\.lang\.assertionerror`,
			`org\.opentest4j\.assertionfailederror`,
			`junit\.framework\.(?:assertionfailederror|comparisonfailure)`,
			`org\.junit\.comparisonfailure`,
			`expected:\s?<[^>\n]*> but was:\s?<`,
			`expected \[[^\]\n]*\] but found \[`,
			`^\s*expected: [^\n]*\n\s*but: `,
			`<<< failure!`,
			`tests run: \d+, failures: [1-9]`,
			`org\.spockframework\.runtime\.\w*conditionnotsatisfiederror`),
		risk: 5, effort: analysis.EffortMedium, confidence: 40, transient: true, tests: true,
		component: "test suite", fix: fixAssertion,
	},
	{
		name: "go-test-failure", category: analysis.CategoryFlakyTest, tier: tierAssertion, assertion: true,
		patterns: pats(
			`--- fail: \w+`,
			`\berror trace:`,
			`\berror:\s+not equal:`,
			`\berror:\s+(?:should|expected|received unexpected error)`),
		risk: 5, effort: analysis.EffortMedium, confidence: 40, transient: true, tests: true,
		component: "test suite", fix: fixAssertion,
	},
	{
		name: "python-test-failure", category: analysis.CategoryFlakyTest, tier: tierAssertion, assertion: true,
		patterns: pats(
			`^failed [\w/.-]+\.py::\S+`,
			`^e\s+assert(?:ionerror)?\b`,
			`^assertionerror: `,
			`^fail: \w+ \([\w.]+\)`,
			`^failed \((?:failures|errors)=\d+`),
		risk: 5, effort: analysis.EffortMedium, confidence: 40, transient: true, tests: true,
		component: "test suite", fix: fixAssertion,
	},
	{
		name: "js-test-failure", category: analysis.CategoryFlakyTest, tier: tierAssertion, assertion: true,
		patterns: pats(
			`● [^\n]+ › `,
			`expect\(received\)`,
			`assertionerror(?: \[err_assertion\])?: `,
			`\d+ failing\s*$`,
			`tests:\s+\d+ failed`,
			`^\s*fail +[\w@/.-]+\.(?:test|spec|cy)\.[cm]?[jt]sx?`),
		risk: 5, effort: analysis.EffortMedium, confidence: 40, transient: true, tests: true,
		component: "test suite", fix: fixAssertion,
	},
	{
		name: "ruby-test-failure", category: analysis.CategoryFlakyTest, tier: tierAssertion, assertion: true,
		patterns: pats(
			`failure/error: `,
			`\d+ examples?, [1-9]\d* failures?`,
			`minitest::assertion`,
			`^rspec \./spec/`),
		risk: 5, effort: analysis.EffortMedium, confidence: 40, transient: true, tests: true,
		component: "test suite", fix: fixAssertion,
	},
	{
		name: "native-test-failure", category: analysis.CategoryFlakyTest, tier: tierAssertion, assertion: true,
		patterns: pats(
			`thread '[^'\n]+' panicked at`,
			"assertion `left == right` failed",
			`assertion failed: `,
			`test result: failed\.`,
			`\[  failed  \] `,
			`expected equality of these values`,
			`assert\.\w+\(\) failure`,
			`^\s*failed [\w.]+ \[\d+(?:\.\d+)? m?s\]`,
			`failed asserting that `,
			`assertion with [=!<>]+ failed`,
			`xctassert\w* failed`,
			`^\s*expected: [^\n]*\n\s*actual: `),
		risk: 5, effort: analysis.EffortMedium, confidence: 40, transient: true, tests: true,
		component: "test suite", fix: fixAssertion,
	},
	{
		name: "test-run-failed", category: analysis.CategoryFlakyTest, tier: tierTestSummary, assertion: true,
		patterns: pats(
			`there are test failures`,
			`there were failing tests`,
			`^some tests failed\.`,
			`^failures!\s*$`,
			`=+ [^\n]*\b\d+ failed\b[^\n]*=+`,
			`^fail\s+[\w./-]+\s+[\d.]+s\s*$`,
			`^(?:\[[\d:]+\] )?test [\w:/.\- ()]+ \.\.\. failed`),
		risk: 5, effort: analysis.EffortMedium, confidence: 35, transient: true, tests: true,
		component: "test suite", fix: fixAssertion,
	},
}
