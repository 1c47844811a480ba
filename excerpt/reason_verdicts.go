package excerpt

import (
	"regexp"
	"strings"
)

// Ranking families of the fourth pass: a CI system's verdict over the
// lines that only describe what it ended, a kill that names memory over a
// bare "Killed", the rows a summary lists over the summary, a shell's trace
// of a command under the command's own error, and test runners' headers
// that name the failing test.

// hangVerdicts are a CI system's verdict on a job that stopped printing or
// ran out of time: CircleCI's "Too long with no output (exceeded 10m0s):
// context deadline exceeded", Travis's "No output has been received in
// the last 10m0s" and "The job exceeded the maximum time limit for jobs",
// GitHub's and Azure's job limits, GitLab's "execution took longer than
// 1h0m0s seconds", Jenkins' build-timeout plugin. The verdict is what
// ended the job; the lines before it only say what was running. Each
// verdict ranks as a cause by its own words (rootCauseMarkers, timeLimit,
// detailLines): the list only finds one.
var hangVerdicts = []string{
	"Too long with no output", "No output has been received in the last",
	"The job exceeded the maximum time limit for jobs", "has exceeded the maximum execution time",
	"ran longer than the maximum time", "exceeded the maximum allowed time",
	"execution took longer than", "Build timed out (after",
}

// hangDescriptions say that a process would not end, not that anything
// ended it: Jest's note after a run whose open handles keep it alive, and
// its worker's. A CI verdict on the same log is the reason.
var hangDescriptions = []string{
	"did not exit one second after the test run has completed",
	"failed to exit gracefully", "open handles potentially keeping",
}

// memoryKill is a kill that names memory as its cause: Read the Docs'
// "Command killed due to excessive memory consumption", YARN's "Container
// killed … for exceeding memory limits", the kernel's "Memory cgroup out
// of memory: Killed process 4242 (java)". Matched lowercased.
// Only a kill that happened: "will kill any process above 4 GB of memory"
// is a watchdog's notice.
var memoryKill = regexp.MustCompile(`\bkilled\b[^.;]{0,60}\bmemory\b|\bmemory\b[^.;]{0,60}\bkilled\b`)

// bareKill is the shell's or the kernel's bare word for a process it
// killed ("Killed", "bash: line 1:  1619 Killed  python x.py"): the
// signal, not why it was sent.
var bareKill = regexp.MustCompile(`^(?:\S+: line \d+:\s+\d+\s+)?Killed(?:\s|$)`)

// memoryKilled reports a lowercased line that names a memory kill.
func memoryKilled(lower string) bool {
	return strings.Contains(lower, "memory") && strings.Contains(lower, "killed") && memoryKill.MatchString(lower) &&
		!strings.Contains(lower, "[info]") && !strings.Contains(lower, "[debug]")
}

// verdictNamed reports a cause line t that only describes what a verdict
// of lines states: a hang that a CI system's time limit ended, a bare
// "Killed" when another line says it was for memory.
func verdictNamed(t string, lines []logLine) bool {
	switch {
	case containsAnyOf(t, hangDescriptions):
		for _, l := range lines {
			if containsAnyOf(l.text, hangVerdicts) {
				return true
			}
		}
	case strings.Contains(t, "Killed") && bareKill.MatchString(strings.TrimSpace(unstamped(strings.TrimSpace(t)))):
		for _, l := range lines {
			// "emory" first: most lines have none, and lowering each one
			// for every bare "Killed" would cost a copy a line.
			if strings.Contains(l.text, "emory") && memoryKilled(strings.ToLower(l.text)) {
				return true
			}
		}
	}
	return false
}

// composerProblem is a problem row Composer lists under "Your requirements
// could not be resolved to an installable set of packages." ("- a/b 1.2
// requires composer-plugin-api 1.0.0 -> no matching package found.",
// "- Root composer.json requires c/d ^2, it could not be found in any
// version"): which package and why. A row that a request is "->
// satisfiable by" a version names no conflict.
// The subject is Composer's: "Root composer.json" or a vendor/package
// name (with its version or version list), never a sentence.
var composerProblem = regexp.MustCompile(`^- (?:Root composer\.json|[\w.-]+/[\w.-]+(?:\[[^\]]*\])?(?: \S+)?) requires? \S.*(?: -> |, it could not be found| but )`)

// shellTrace is a shell's trace of the command it runs (set -x: "+ make",
// "++ id -u") or PowerShell's quote of the failing statement ("+
// Write-Error …", "+ CategoryInfo : …"): the command, not its error.
var shellTrace = regexp.MustCompile(`^\++ `)

// psAt is the position line of a PowerShell error record ("At
// C:\build.ps1:20 char:5", "At line:1 char:1"): the line or lines above it
// are the error's message ("C:\build.ps1 : vswhere.exe not found").
var psAt = regexp.MustCompile(`^At (?:line:\d+|\S.*:\d+) char:\d+$`)

// psErrorRecord reports PowerShell's error message at line i ("<script or
// cmdlet> : <message>"), its position line under it, after a wrapped
// line or two.
func psErrorRecord(lines []logLine, i int) bool {
	if !strings.Contains(lines[i].text, " : ") {
		return false
	}
	for _, l := range lines[i+1 : min(len(lines), i+4)] {
		t := strings.TrimSpace(unstamped(strings.TrimSpace(l.text)))
		if strings.HasPrefix(t, "At ") {
			return psAt.MatchString(t)
		}
		if t == "" {
			return false
		}
	}
	return false
}

// minitestHeader is Minitest's failure header: "Suite::Class#test_name
// [path/to/test.rb:162]:", its message (Expected/Actual, or a diff) under
// it. The diff's "+"/"-" lines are the values, the header says which test.
var minitestHeader = regexp.MustCompile(`^\S.*#\S.* \[[^\]]+:\d+\]:$`)

// groovyDiagnostic is the Groovy compiler's error at a script's line, a
// Jenkinsfile's ("WorkflowScript: 38: Expected a step @ line 38, column
// 17.") or a shared library's ("/…/pipeline.groovy: 139: expecting ']',
// found 'test' @ line 139, column 17."), with or without the "startup
// failed:" header over it.
var groovyDiagnostic = regexp.MustCompile(`^\S+: \d+: \S.* @ line \d+, column \d+\.$`)

// ginkgoSummary is Ginkgo's header over its "[Fail] [sig] Spec [It]
// name" rows ("Summarizing 2 Failures:"): how many, never which.
var ginkgoSummary = regexp.MustCompile(`^Summarizing \d+ Failures?:$`)

// verdictStrength rates the families above; t is the trimmed line without
// its marker, lower its lowercase form.
func verdictStrength(t, lower string, tier int) int {
	if tier < strengthCause && (memoryKilled(lower) ||
		strings.HasPrefix(t, "- ") && strings.Contains(t, " require") && !strings.Contains(t, "-> satisfiable by") && composerProblem.MatchString(t)) {
		return strengthCause
	}
	if tier < strengthError && strings.HasSuffix(t, "]:") && minitestHeader.MatchString(t) {
		return strengthError
	}
	if tier < strengthError && strings.Contains(t, " @ line ") && groovyDiagnostic.MatchString(t) {
		return strengthError
	}
	if tier > strengthGeneric && strings.HasPrefix(t, "Summarizing ") && ginkgoSummary.MatchString(t) {
		return strengthGeneric
	}
	if tier == strengthError && strings.Contains(t, "+ ") && shellTrace.MatchString(strings.TrimSpace(unstamped(t))) {
		return strengthOutcome
	}
	return tier
}

// overNotice is the pick, unless it is a GitHub notice ("Notice:
// Deployment failed! ❌", an annotation as the job's page shows it) and the
// lines hold an error annotation ("Error: The deploy step encountered an
// error: The process '/usr/bin/git' failed with exit code 128"): a notice
// only sums up, the error says what failed, even when it ends in an exit
// status the ranking sets aside. The nearest error before the notice,
// else the first after it.
func (p pick) overNotice() pick {
	if !strings.HasPrefix(noticeText(p.lines[p.at].text), "Notice: ") {
		return p
	}
	at := -1
	for i, l := range p.lines {
		if strings.HasPrefix(noticeText(l.text), "Error: ") && (at < 0 || i < p.at) {
			at = i
		}
	}
	if at < 0 {
		return p
	}
	tier := max(lineStrength(p.lines[at].text), strengthError)
	return pick{lines: p.lines, at: at, tier: tier, joined: reasonText(p.lines, at, tier)}
}

// noticeText is a line without its indentation and clock stamp.
func noticeText(s string) string { return strings.TrimSpace(unstamped(strings.TrimSpace(s))) }

// npmCIOutOfSync is npm ci's refusal of a lock file that does not match
// package.json. It names no package; the "Missing: x@1.2.3 from lock
// file" or "Invalid: lock file's x@1 does not satisfy x@2" rows under it
// say which, and the first of them completes the reason.
const npmCIOutOfSync = "can only install packages when your package.json"

// withLockDetail joins text with the first lock file row in the few lines
// under it, without its tool tag.
func withLockDetail(text string, next []logLine) string {
	for i, l := range next {
		if i == 6 || i > 0 && next[i-1].no+1 != l.no {
			break
		}
		t := untagged(strings.TrimSpace(l.text))
		if (strings.HasPrefix(t, "Missing: ") || strings.HasPrefix(t, "Invalid: ")) && strings.Contains(t, "lock file") {
			return reasonLine(text + " " + t)
		}
	}
	return text
}

// bareAssertion is a JVM assertion error with no message ("java.lang.
// AssertionError" from JUnit's assertTrue; "java.lang.AssertionError:
// null" where a report prints the missing message): it says a check
// failed, not which. The first stack frame under it outside the test framework names
// the check.
var bareAssertion = regexp.MustCompile(`^(?:[\w.$]+\.)?(?:AssertionError|AssertionFailedError)(?:: null)?$`)

// frameworkFrame is a frame of the test framework or the JVM's reflection
// between an assertion and the check that made it.
var frameworkFrame = regexp.MustCompile(`^at (?:org\.junit\.|junit\.framework\.|org\.testng\.|org\.assertj\.|org\.hamcrest\.|org\.opentest4j\.|kotlin\.test\.|java\.base/|jdk\.internal\.|sun\.reflect\.|java\.lang\.reflect\.)`)

// withFirstOwnFrame joins text with the first frame under it that is the
// project's own, when the trace follows at once.
func withFirstOwnFrame(text string, next []logLine) string {
	for i, l := range next {
		t := strings.TrimSpace(l.text)
		if i == 12 || i > 0 && next[i-1].no+1 != l.no || !strings.HasPrefix(t, "at ") {
			break
		}
		if !frameworkFrame.MatchString(t) {
			return reasonLine(text + " " + t)
		}
	}
	return text
}
