package excerpt

import (
	"regexp"
	"strings"
)

// Ranking families of the third pass: causes that a tool words as a
// warning or a time report, source lines quoted inside a traceback, TAP's
// results, an assertion's compared values, and a wrapped message that is
// longer than the reason can hold.

// serverStatus is a server's answer that failed the request: a 5xx status
// or 429 as HTTP clients state it ("Response status code was 500", "GET
// returned 502 Bad Gateway", "Cache service responded with 503", Maven's
// "Return code is: 502", pip's "HTTP error 502", requests' "503 Server
// Error", git's and curl's "The requested URL returned error: 500",
// node-coveralls' "bad response status from coveralls: 500",
// https://github.com/opengapps/aosp_build/issues/223). The server's failure is
// the root cause of the download, upload or resolution error it breaks,
// even when the client only warns of it before retrying.
var serverStatus = regexp.MustCompile(`(?i)\b(?:status(?: code)?(?: was| of| is| from [\w.-]+)?:?|responded with|returned(?: error:?)?|return code is:?|http error|http/\d(?:\.\d)?)\s*(?:5\d\d|429)\b|\b(?:5\d\d|429) server error\b`)

// serverStatusWords: every serverStatus match holds one of them
// (lowercased); checking them first spares the expression.
var serverStatusWords = []string{"status", "respond", "returned", "return code", "http", "server error"}

// serverPhrases are the reason phrases of the same statuses.
var serverPhrases = []string{"Bad Gateway", "Service Unavailable", "Gateway Time-out", "Gateway Timeout", "Too Many Requests", "Internal Server Error"}

// serverFailure reports a line that names a server's failed answer; lower
// is its lowercase form.
func serverFailure(t, lower string) bool {
	return containsAnyOf(t, serverPhrases) || containsAnyOf(lower, serverStatusWords) && serverStatus.MatchString(t)
}

// warnedCause reports a warning that names a cause the failure after it
// comes from: a full disk or memory, a server's failed answer, cargo's
// network error before a retry (cargoSpurious).
func warnedCause(t, lower string) bool {
	return containsAnyOf(t, exhaustionMarkers) || serverFailure(t, lower) || strings.HasPrefix(t, cargoSpurious)
}

// timeLimit is a run or a wait that went over its time limit, whatever
// tool says so: Travis's "your test run exceeded 50.0 minutes",
// jest-puppeteer's "Server has taken more than 15000ms to start", Netlify's
// "Build exceeded maximum allowed runtime"
// (https://github.com/cypress-io/netlify-plugin-cypress/issues/76), "took
// longer than 300 seconds", "exceeded the maximum execution time", a Go
// program's duration ("exceeded 10m0s", "took longer than 1h0m0s"), dotnet
// test's blame ("The specified inactivity time of 3 minutes has elapsed.
// Collecting hang dumps", the test host it kills then "crashed").
var timeLimit = regexp.MustCompile(`(?i)\b(?:exceeded|taken more than|took (?:more|longer) than)\s+(?:the\s+)?(?:` + duration +
	`|(?:(?:maximum|max|allowed) )*(?:time limit|timeout|execution time|run ?time)\b)|\b(?:time|timeout) of ` + duration + ` has (?:elapsed|expired)\b`)

// duration is a span of time as people ("3 minutes", "300s") and Go
// ("10m0s", "1h0m0s") write it.
const duration = `(?:\d+(?:h\d+m|m)\d+(?:\.\d+)?s\b|\d[\d.,]*\s*(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b)`

// timeLimitWords gate timeLimit (lowercased).
var timeLimitWords = []string{"exceeded", "more than", "longer than", "has elapsed", "has expired"}

// lockfileOutOfSync is a package manager refusing to install because the
// lock file no longer matches the manifest: npm ci, yarn --frozen-lockfile,
// cargo --locked, poetry, bundler's deployment mode.
var lockfileOutOfSync = []string{
	"package-lock.json are in sync", "npm-shrinkwrap.json are in sync",
	"lockfile needs to be updated", "needs to be updated but --locked was passed",
	"changed significantly since poetry.lock was last generated",
	"install in deployment mode after changing",
	// yarn berry's YN0028 under --immutable.
	"The lockfile would have been modified by this install",
	// uv sync --locked ("The lockfile at `uv.lock` needs to be updated,
	// but `--locked` was provided. To update the lockfile, run `uv
	// lock`."), whole or wrapped after "To update"; a Docker build's
	// "executor failed running" and its builder's failed step follow it.
	"needs to be updated, but `--locked` was provided",
}

// unrunnable is a program that could not be started or loaded: the
// dynamic linker's missing library or symbol (macOS dyld, glibc's ld.so),
// a program that cannot be executed (ghc, bash, cmd.exe, a binary for
// another architecture). Whatever ran it fails after, for this reason.
var unrunnable = []string{
	"Library not loaded", "Symbol not found", "error while loading shared libraries", "cannot open shared object file",
	"could not execute: ", "cannot execute: ", "cannot execute binary file", "exec format error",
	"is not recognized as an internal or external command",
	// cmd.exe's same message in a Chinese Windows, its second line
	// ("或批处理文件。") wrapped under it: "'userid' 不是内部或外部命令，也不是
	// 可运行的程序" (https://github.com/mos9527/pyncm/issues/58,
	// https://github.com/Kitware/paraviewweb/issues/541).
	"不是内部或外部命令",
	// The same in a French Windows ("'node_modules' n’est pas reconnu en
	// tant que commande interne", https://github.com/Cambalab/fake-data-generator/issues/77;
	// the apostrophe is typographic or plain), and in a German one, wrapped
	// at "oder" ("Der Befehl "node" ist entweder falsch geschrieben oder" /
	// "konnte nicht gefunden werden.", as SCons's own tests expect it).
	"pas reconnu en tant que commande interne", "ist entweder falsch geschrieben oder",
}

// unresolvable is a dependency resolver that found no set of versions or
// no installable candidate, in words that hold no error word: Julia's
// Pkg, apk, Dart's pub, SwiftPM, Poetry, pip.
var unresolvable = []string{
	"Unsatisfiable requirements detected", "unsatisfiable constraints", "version solving failed",
	"Dependencies could not be resolved", "Unable to find installation candidates", "No matching distribution found",
	// conda's and mamba's solver: "- nothing provides requested
	// azure-mgmt-compute >=24.0.0" under "The reported errors are:".
	"nothing provides requested",
	// CocoaPods' resolver: no source holds a version the Podfile and
	// Podfile.lock both allow ("None of your spec sources contain a spec
	// satisfying the dependencies: `ADAL (~> 4.0.0), ADAL (= 4.0.0, ~>
	// 4.0.0)`."), under its "[!] … could not find compatible versions"
	// header, which only names the pod (see consequences).
	"None of your spec sources contain a spec satisfying",
}

// signalDeath is a process that a signal ended, as the program that ran it
// says: xargs's "xargs: ./bin/x: terminated by signal 9"
// (https://github.com/MortezaBashsiz/CFScanner/issues/5), GNU time's and
// LSF's "Command terminated by signal 9"
// (https://github.com/ncbi/fcs/issues/69), kcov's "Process exited with
// signal 9" (https://github.com/oasisprotocol/oasis-core/issues/604). The
// exit status the job ends with after it only repeats it.
var signalDeath = regexp.MustCompile(`\b(?:terminated by|exited with) signal (\d+|SIG[A-Z]+)\b`)

// killedBySignal reports a signalDeath line by a signal that kills a
// process that misbehaves or runs out of memory: SIGKILL (9), SIGABRT (6),
// SIGSEGV (11), SIGQUIT (3) and SIGBUS (7). Not SIGTERM or SIGINT, the
// normal way a job stops its background server, nor SIGPIPE, which ends a
// writer whose reader stopped reading.
func killedBySignal(t string) bool {
	if !strings.Contains(t, " signal ") {
		return false
	}
	m := signalDeath.FindStringSubmatch(t)
	return m != nil && fatalSignals[m[1]]
}

var fatalSignals = map[string]bool{"9": true, "SIGKILL": true, "6": true, "SIGABRT": true, "11": true, "SIGSEGV": true,
	"3": true, "SIGQUIT": true, "7": true, "SIGBUS": true}

// signalStrength rates the families above; t is the trimmed line without
// its marker, lower its lowercase form.
func signalStrength(t, lower string, tier int) int {
	if tier < strengthCause && (serverFailure(t, lower) || killedBySignal(t) || containsAnyOf(lower, timeLimitWords) && timeLimit.MatchString(t) ||
		containsAnyOf(t, lockfileOutOfSync) || containsAnyOf(t, unrunnable) || containsAnyOf(t, unresolvable)) {
		return strengthCause
	}
	if tier < strengthError && strings.Contains(t, " : ") && aptUnmet.MatchString(t) {
		return strengthError // the package and the dependency that cannot be met
	}
	if tier < strengthOutcome && strings.HasPrefix(lower, "not ok ") && tapNotOK.MatchString(t) {
		return strengthOutcome // TAP's failing test, with its message
	}
	return tier
}

// aptUnmet is a row apt lists under "The following packages have unmet
// dependencies:" ("docker-ce : Depends: containerd.io (>= 1.6) but it is
// not going to be installed", "pkg-a : Conflicts: pkg-b"); its "E:" line
// after the rows only sums them up (genericLines).
var aptUnmet = regexp.MustCompile(`^\S+ : (?:Depends|PreDepends|Pre-Depends|Conflicts|Breaks): \S`)

// tapNotOK is TAP's failing result: "not ok 3 - message".
var tapNotOK = regexp.MustCompile(`^not ok \d+\b`)

// comparedValue is an assertion's line that states one side of the
// comparison ("Received: …", "Actual: …", "Received number of calls: 0").
var comparedValue = regexp.MustCompile(`^\s*(?:Expected|Received|Actual)\b[^:]{0,40}:`)

// hamcrestBut is the other side of a Hamcrest matcher's message, under its
// "Expected: is <3>" line ("     but: was <4>").
const hamcrestBut = "but: "

// joinComparison joins an assertion's "Expected: x" line with the
// "Received: y" (or "Actual: y", or Hamcrest's "but: y") line right under
// it: the two sides are one message, and a person needs both to see what
// differs. (A matcher's hint, "expect(a).toBe(b)", stays alone: its
// values are the context.)
func joinComparison(text string, next []logLine) string {
	if !strings.HasPrefix(text, "Expected") || !comparedValue.MatchString(text) || len(next) == 0 {
		return text
	}
	t := strings.TrimSpace(next[0].text)
	other := strings.HasPrefix(t, hamcrestBut) && len(t) > len(hamcrestBut) || comparedValue.MatchString(t)
	if strings.HasPrefix(t, "Expected") || !other || len(text)+len(t) >= maxReasonLen {
		return text
	}
	return text + " " + t
}

// wholeMessage keeps the message an error header announced whole when
// the header and the message together are longer than a reason: the
// message says what failed, the header only where ("An error occurred
// during the fetch of repository 'x':").
func wholeMessage(header, joined string, next []logLine) string {
	if len(joined) <= maxReasonLen || len(next) == 0 {
		return joined
	}
	first := strings.TrimSpace(next[0].text)
	msg := strings.TrimSpace(joined[len(header):])
	if len(msg) > maxReasonLen || !strings.HasPrefix(msg, first) || lineStrength(first) < strengthError {
		return joined
	}
	return msg
}

// hclSummary is the headline of an HCL tool's diagnostic (Terraform,
// OpenTofu, Packer, Nomad): "Error: Failed to query available provider
// packages", alone or in Terraform's "│ " box, with its detail paragraph
// after a blank line. The headline names the kind of failure; the detail
// says which and why.
var hclSummary = regexp.MustCompile(`^(?:│ )?Error: [A-Z][^:]*[^:.\s]$`)

// hclDetail returns the lines of the detail paragraph under the HCL
// headline at lines[i] (its box bars stripped), or nil. The paragraph
// ends at a blank line or at the box's closing "╵": what follows the box
// is the next diagnostic or the step's own end.
func hclDetail(lines []logLine, i int) []string {
	t := strings.TrimSpace(lines[i].text)
	if !strings.HasPrefix(strings.TrimPrefix(t, "│ "), "Error: ") || !hclSummary.MatchString(t) ||
		i+2 >= len(lines) || hclBar(lines[i+1].text) != "" {
		return nil
	}
	var out []string
	for _, l := range lines[i+2 : min(len(lines), i+8)] {
		d := hclBar(l.text)
		if d == "" || strings.HasPrefix(d, hclBoxEnd) {
			break
		}
		out = append(out, d)
	}
	return out
}

// hclBoxEnd closes Terraform's box around a diagnostic.
const hclBoxEnd = "╵"

// hclBar is a line of an HCL diagnostic without Terraform's box bar.
func hclBar(s string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "│"))
}

// hclRank is the rank of an HCL headline: its detail's best, at least an
// error's.
func hclRank(detail []string, tier int) int {
	for _, d := range detail {
		tier = max(tier, lineStrength(d))
	}
	return tier
}

// joinHCL joins an HCL headline with its detail paragraph.
func joinHCL(text string, detail []string) string {
	for _, d := range detail {
		if len(text) >= maxReasonLen {
			break
		}
		text += " " + d
	}
	return text
}

// sameMessage reports whether line j continues the message that starts at
// line i: a few lines on, with no blank line between.
func sameMessage(lines []logLine, i, j int) bool {
	if i < 0 || j-i > 8 {
		return false
	}
	for _, l := range lines[i+1 : j] {
		if strings.TrimSpace(l.text) == "" {
			return false
		}
	}
	return true
}
