package excerpt

import (
	"regexp"
	"strings"
)

// More ranking families: lines that look like errors but only advise, sum
// up or describe the environment, and root causes worded in ways the
// marker list cannot hold as plain words.

// adviceLines tell a person what to try next ("Consider…", "If neither
// works, please…", "hint: See above…"): they explain the error above them,
// they are not it.
var adviceLines = regexp.MustCompile(`(?i)^(?:\|\s*)?(?:hint|note|help|tip)\s*:|^(?:\|\s*)?(?:(?:consider|perhaps|please|try (?:running|re-?running|again|using|to))\b|if (?:neither|this|that|the problem|you)\b[^,]*, )`)

// ZeroCounts are counts of failures that are zero or "no": "0 failed",
// "0 tests failed", "Failures: 0, Errors: 0" (a passing summary states no
// failure; RSpec and minitest count the other way round, "277 examples, 0
// failures"), "0 error(s)", "no errors found". The reason chooser, the
// early lines and the rules' no-failure check blank them alike.
var ZeroCounts = regexp.MustCompile(`(?i)\b(?:0|no)[ \t]+(?:tests?[ \t]+)?(?:failed|failures?|failing|errors?|exceptions?)\b|` +
	`\b(?:failed|failures?|failing|errors?|exceptions?)[ \t]*[:=][ \t]*0\b`)

// zeroSummary reports a test summary whose failure counts are all zero and
// that says nothing else of failure: "Tests run: 100, Failures: 0, Errors:
// 0, Skipped: 0", dotnet's "Passed! - Failed: 0, Passed: 12".
func zeroSummary(lower string) bool {
	if !strings.Contains(lower, ": ") && !strings.Contains(lower, " 0 ") {
		return false
	}
	rest := ZeroCounts.ReplaceAllString(lower, "")
	return len(rest) < len(lower) && !(containsAnyOf(rest, failureWords) && failureWordOutsideNames(rest))
}

// shNotFound is a POSIX shell's missing command: dash's "./run.sh: 5:
// docker: not found", bash's "./run.sh: line 5: docker: command not found".
var shNotFound = regexp.MustCompile(`^\S+: (?:line )?\d+: [^\s:]+: (?:command )?not found$`)

// placedGo is the Go compiler's and go vet's diagnostic: "file.go:12:5:
// message". It carries no severity word; go build prints no warnings.
var placedGo = regexp.MustCompile(`^\S+\.go:\d+:\d+: \S`)

// kotlinError is the Kotlin compiler's error row ("e: file:///src/A.kt:12:5
// Unresolved reference: x"); its warnings start "w: ".
var kotlinError = regexp.MustCompile(`^e: (?:file://)?\S+\.kts?\b`)

// gtestFailure is GoogleTest's failure header ("a_test.cc:220: Failure"):
// the message on the lines under it says what was compared.
var gtestFailure = regexp.MustCompile(`^\S+\.(?:cc|cpp|cxx|c|h|hpp|hh|m|mm):\d+: Failure$`)

// exhaustionMarkers are a machine running out of disk or memory. A warning
// that says so is the cause of the cancellation or error that follows it.
var exhaustionMarkers = []string{
	"No space left on device", "no space left on device", "ENOSPC", "not enough space on the disk",
	"out of memory", "Out of memory", "OutOfMemory",
}

// moreRootCauses are root causes worded the same way by every project that
// hits them: a toolchain older than the module needs, a missing action
// input, an apt repository gone, an agent killed. Go's "requires go >=
// 1.22.0; switching to go1.22.5" is not one (toolchainSwitch).
var moreRootCauses = []string{
	"not enough space on the disk", "no space left on device",
	"module requires Go", "requires go >=", "requires rustc ",
	"Input required and not supplied",
	"Exceeded timeout of", // Jest: "thrown: \"Exceeded timeout of 5000 ms for a test."
	// Jest's verdict on a test that logged after it ended, over the
	// "Attempted to log …" line it quotes: an async wait the test forgot
	// (https://github.com/cleodora-forecasting/cleodora/issues/290).
	"Cannot log after tests are done",
	"Check failed: ", // glog's, Chromium's and V8's CHECK(): the condition that broke
	// The JVM's fatal-error header when the machine had no memory to give
	// it ("# There is insufficient memory for the Java Runtime Environment
	// to continue."), over the exit status 137 a CI system reports after it.
	"insufficient memory for the Java Runtime Environment",
	// Prettier's verdict in --check mode, with or without its [warn] tag,
	// under the files it lists: "Code style issues found in the above
	// file(s). Forgot to run Prettier?" (1.x, 2.x) or "… found in 13 files.
	// Run Prettier with --write to fix." (3.x,
	// https://github.com/dubinc/dub/issues/1193). The file rows say
	// where; the package manager's exit lines after it only repeat it.
	"Code style issues found in",
	// CircleCI's verdict on a container that ran out of memory, quoted
	// with or without a "> " ("Your build has exceeded the memory limit
	// of 4G on 1 container. The results of this build are likely
	// invalid.…", https://github.com/lostzen/lost/issues/192,
	// https://github.com/Homebrew/linuxbrew-core/pull/3560).
	"has exceeded the memory limit of",
	// Bundler's refusal of a lockfile made for other platforms ("Your
	// bundle only supports platforms [\"x86_64-darwin-22\"] but your
	// local platform is x86_64-linux. Add the current platform to the
	// lockfile with `bundle lock --add-platform x86_64-linux` and try
	// again."), wrapped at "your local" by the terminal's width: the cause,
	// joined with the lines it runs on to (bundlerWrap).
	"Your bundle only supports platforms",
	// golangci-lint's own deadline, in its log line's msg ("level=error
	// msg=\"Timeout exceeded: try increasing it by passing --timeout
	// option\""): the run stopped there, whatever it was loading.
	"Timeout exceeded: try increasing it",
	// apt's verdict on an index or package whose checksum did not match,
	// alone on its line under "Err:" in newer apt.
	"Hash Sum mismatch",
}

// toolchainSwitch is Go fetching the newer toolchain a module requires
// ("go: example.com/m@v1.0.0 requires go >= 1.22.0; switching to
// go1.22.5"): information, printed by passing builds; the refusal to do so
// is go.mod's "requires go >= 1.23.0 (running go 1.21.4;
// GOTOOLCHAIN=local)".
const toolchainSwitch = "; switching to go"

// quietCauses name a cause in words that read as no error ("The repository
// … does no longer have a Release file", "docker: not found", "the agent
// received a kill signal"). They are not rated (ErrorLike stays false, so
// the rules still read a log that holds nothing else as one without a
// failure), but they are the reason before the log's last line.
//
// A test retried is one too: in a log where nothing else failed, the test
// a retry plugin ran again is what a person looks at (rspec-retry's
// "RSpec::Retry: 2nd try ./spec/a_spec.rb:9", pytest-rerunfailures'
// "tests/a.py::test_x RERUN").
var quietCauses = []string{"have a Release file", "has a Release file", "received a kill signal",
	"RSpec::Retry: ", " RERUN"}

// quietCause reports a line of quietCauses, a shell's missing command or
// a diff's header (diffHeader).
func quietCause(t string) bool {
	t = strings.TrimSpace(t)
	return containsAnyOf(t, quietCauses) || strings.HasSuffix(t, "not found") && shNotFound.MatchString(t) || dartNotice(t) ||
		strings.HasPrefix(t, diffHeader)
}

// diffHeader opens a file's part of git's diff. A step that fails on a
// diff and prints nothing else ("git diff --exit-code" after a code
// generator or a formatter) failed because those files changed: the first
// header names one, the others are its context (otherDiffs).
const diffHeader = "diff --git a/"

// otherDiffs returns the diff headers of lines after the reason's, when
// the reason is one, up to the context's size.
func otherDiffs(reason string, lines []logLine) []string {
	if !strings.HasPrefix(reason, diffHeader) {
		return nil
	}
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l.text)
		if len(out) == maxContextLines {
			break
		}
		if strings.HasPrefix(t, diffHeader) && t != reason {
			out = append(out, reasonLine(t))
		}
	}
	return out
}

// firstQuietCause returns the first quiet cause of lines, or "". pytest's
// banner over a failing test counts too (it names the test), unless it is
// in the PASSES section, where -rA prints one over each passing test.
func firstQuietCause(lines ...[]logLine) string {
	for _, ls := range lines {
		passes := false
		for _, l := range ls {
			t := strings.TrimSpace(l.text)
			if strings.HasPrefix(t, "=") && strings.Contains(t, " PASSES ") {
				passes = true
			}
			if quietCause(t) || !passes && strings.HasPrefix(t, "___") && pytestBanner.MatchString(t) {
				return t
			}
		}
	}
	return ""
}

// extraStrength adjusts lineStrength's tier for the families above; t is
// the trimmed line without its marker, lower its lowercase form.
func extraStrength(t, lower string, tier int) int {
	if tier > strengthNone && tier < strengthCause && zeroSummary(lower) {
		return strengthNone
	}
	if containsAnyOf(t, moreRootCauses) && !strings.Contains(t, toolchainSwitch) {
		return strengthCause
	}
	if tier < strengthError && strings.HasPrefix(t, "e: ") && kotlinError.MatchString(t) {
		tier = strengthError
	}
	if tier < strengthError && strings.Contains(t, ".go:") && placedGo.MatchString(t) {
		tier = strengthError
	}
	if tier > strengthGeneric && tier < strengthCause && adviceLines.MatchString(t) {
		tier = strengthGeneric
	}
	// Each tool family rates its own lines; the order is the one they were
	// added in and matters only where two families read one line.
	tier = mesonStrength(t, tier)
	tier = gitPluginStrength(t, tier)
	tier = teamCityTimeoutStrength(t, tier)
	tier = ciToolStrength(t, tier)
	tier = runnerStrength(t, tier)
	tier = assertStrength(t, tier)
	tier = bazelStrength(t, tier)
	tier = faulthandlerStrength(t, tier)
	tier = goSignalStrength(t, tier)
	tier = surefireRunStrength(t, tier)
	tier = zuulStrength(t, tier)
	tier = psCmdletStrength(t, tier)
	tier = cargoSpuriousStrength(t, tier)
	tier = dartIssueStrength(t, tier)
	tier = packageRowStrength(t, tier)
	tier = checkRowStrength(t, tier)
	tier = wrappedStrength(t, lower, tier)
	return tier
}

// causedByHeader is a bare "Caused by:" line (cargo, anyhow, Gradle): the
// message under the last one is the deepest cause. Java's inline "Caused
// by: java.io.IOException: …" names a wrapped exception, and is left alone.
func causedByHeader(t string) bool {
	return strings.HasSuffix(t, "Caused by:") && strings.TrimLeft(t, ": |>") == "Caused by:"
}

// rubyClassHeader is the class line of an exception RSpec prints under the
// code it quotes ("Capybara::ElementNotFound:"), its message on the next
// line.
var rubyClassHeader = regexp.MustCompile(`^[A-Z]\w*(?:::[A-Z]\w*)+:$|^[A-Z]\w*(?:Error|Exception):$`)

// pytestBlock follows pytest's test block: the "____ test_name ____"
// banner (no failure by itself: -rA prints one over each passing test's
// output too), then the test's source lines and fixture values, which are
// code (a docstring that says "exceptions" is no error), until its "E   "
// lines or its "file.py:12: Error" line.
type pytestBlock struct{ inSource bool }

// rank rates the next line of the log given its own rank.
func (p *pytestBlock) rank(line string, tier int) int {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "___") && pytestBanner.MatchString(t) {
		p.inSource = true
		return tier
	}
	if !p.inSource {
		return tier
	}
	if strings.HasPrefix(t, "E ") || strings.HasPrefix(t, "---") || strings.HasPrefix(t, "===") || pytestWhereAny.MatchString(t) {
		p.inSource = false
		return tier
	}
	return min(tier, strengthNone)
}

// pytestWhereAny is pytest's "path.py:12: ExceptionName" or "path.py:12: in
// test_x" line: the source it quoted ends there.
var pytestWhereAny = regexp.MustCompile(`^\S+\.py:\d+: (?:in \S|[A-Z]\w*$)`)

// retryNotice is a tool saying it tries again ("Will be retried in 3s
// ...", "Retrying in 5 seconds", "Retrying (2/3)").
var retryNotice = regexp.MustCompile(`(?i)^(?:will be retried|will retry|retrying)\b`)

// retried reports an error line (i) that the next non-blank line says is
// tried again: that attempt did not fail the job, the last one did.
func retried(lines []logLine, i int) bool {
	for _, l := range lines[i+1 : min(len(lines), i+3)] {
		if t := strings.TrimSpace(unstamped(l.text)); t != "" {
			return retryNotice.MatchString(t)
		}
	}
	return false
}

// cmakeBlock is CMake's diagnostic header ("CMake Error at CMakeLists.txt:6
// (add_subdirectory):"): its message is the indented block under it, with
// blank lines between its paragraphs.
func cmakeBlock(text string) bool {
	return strings.Contains(text, "Make Error at ") && strings.HasSuffix(text, ":")
}

// joinIndentedBlock appends up to most lines of the indented block under a
// header: blank lines inside it do not end it, an unindented line does.
func joinIndentedBlock(text string, next []logLine, most int) string {
	added := 0
	for _, l := range next {
		t := strings.TrimSpace(l.text)
		if t == "" {
			continue
		}
		if added == most || len(text) >= maxReasonLen || indentOf(l.text) == 0 {
			break
		}
		text += " " + t
		added++
	}
	return text
}

// goHeaderFails reports a top-level "--- FAIL: TestX (0.01s)" header (line
// i) whose test's own message under it, at a _test.go line, reads as a
// failure ("    transport_test.go:134: expected ErrFilterTimeout"): the
// header, joined with that message, is the test's error, above the log
// lines the program under test printed before it ("2020/05/19 10:32:55
// Failed to accept conn: …"); go test's own shape: "--- FAIL:
// TestNginxStatus (0.00s)" / "nginx_exporter_test.go:41: expected closed
// channel", https://github.com/discordianfish/nginx_exporter/issues/28. The messages are the indented lines under
// the header, blank lines between them; an unindented line or a
// subtest's header ends them.
func goHeaderFails(lines []logLine, i int) bool {
	if indentOf(lines[i].text) > 0 {
		return false // a subtest's header: goFailMessage ranks its messages
	}
	for j := i + 1; j < len(lines) && j <= i+30; j++ {
		t := strings.TrimSpace(lines[j].text)
		switch {
		case t == "":
			continue
		case indentOf(lines[j].text) == 0, strings.HasPrefix(t, "--- "), strings.HasPrefix(t, "=== "):
			return false // the end of the test's messages, or a subtest's header (goFailMessage)
		case goTestLine.MatchString(lines[j].text) && goFailWords.MatchString(t):
			return true
		}
	}
	return false
}
