package excerpt

import (
	"regexp"
	"strings"
)

// Line ranks. The reason is the best-ranked line of the failing step: a
// specific root cause ("No space left on device", an assertion's expected
// and received values) beats a generic error line, an error message beats an
// outcome ("FAIL"), and an outcome beats the lines that only say that
// something failed somewhere else (exit codes, error codes, summaries,
// harness markers, retry notices).
const (
	strengthNone    = iota
	strengthGeneric // "npm ERR! code ELIFECYCLE", "Tests run: … <<< FAILURE!", "Back off 4s before retry"
	strengthOutcome // "FAIL x", "failed", "Traceback": says that, not why
	strengthError   // an error message: "error: …", "Error: …", "npm error …"
	strengthCause   // a specific root-cause signature or an assertion's detail
)

// genericLines say that something failed and point elsewhere for why: a
// tool's error code or exit status, a test runner's summary or marker, a
// retry notice, a pointer to docs. They are the reason of last resort.
var genericLines = regexp.MustCompile(`(?i)` + strings.Join([]string{
	`^npm (?:err!|error) (?:errno|syscall|exit status|failed at the|command failed|lifecycle|path|command)\b`,
	`^npm (?:err!|error) (?:a complete log|this is probably not a problem)`,
	// A line that only names a log file, under a tool's tag or none: npm's
	// debug log under "A complete log of this run can be found in:"
	// (https://github.com/react/create-react-app/issues/9962). Where to
	// read more, never what failed.
	`^(?:npm (?:err!|error)\s+|\[error\]\s+|error:\s+)?\S*[/\\]\S*\.log$`,
	"^npm (?:err!|error) \\S+@\\S+ [\\w:-]+: `",
	`^\s*✖ \d+ problems? \(`,
	`^\s*(?:error )?command failed with exit code \d+\.?$`,
	`\bjob failed: exit (?:code|status) \d+$`,
	`^(?:error: )?failed to compile .*intermediate artifacts`,
	`^error: could not compile .* due to \d+ previous errors?`,
	`summary of all failing tests`,
	// Surefire's per-class count, with or without its level tag; since
	// 3.0 it names the class after it ("Tests run: 26, Failures: 0,
	// Errors: 1, … <<< FAILURE! -- in io.trino.plugin.redshift.TestRedshift…",
	// https://github.com/trinodb/trino/actions/runs/19572217039/job/56048341054).
	// The test's own row, listed under it, says which test and why.
	`^(?:\[error\] )?tests run: \d+, failures: \d+.*<<< (?:failure|error)!`,
	`<<< (?:failure|error)!(?: -- in \S+)?\s*$`,
	`^\s*fail!?\s*(?:-.*)?$`,
	`^\s*(?:•\s*)?failure \[\d+(?:\.\d+)? seconds?\]`,
	`^\s*assertion failed\.?\s*$`,
	`\bthrow new [\w.]*(?:error|exception)\(`, // the source line Node quotes over its uncaught error
	// The source line a Python traceback quotes over its exception
	// (BuildKit puts its step and time before it).
	`^(?:#\d+ \d+(?:\.\d+)? )?\s*raise [a-z_][\w.]*\(`,
	`^#\s*failed \d+ (?:of \d+ )?tests?\b`, // TAP's count: its "not ok" lines say which and why
	// apt's sum of the unmet dependencies it lists above (aptUnmet).
	`^e: (?:unable to correct problems, you have held broken packages|error, pkgproblemresolver::resolve generated breaks)`,
	`^\s*error: \|-?\s*$`,
	// Jest's quote of what a test logged after it ended, under "Cannot log
	// after tests are done": the logged text, not the failure.
	`^\s*attempted to log "`,
	// Twisted trial's marker over the traceback whose exception says why.
	`^\[fail\]$`,
	// go test's per-package summary ("FAIL\tgithub.com/acme/pkg\t0.5s"):
	// the "--- FAIL:" lines above it say which test and why, even when a
	// long run scrolled them out of the kept tail.
	`^fail\s+\S+\s+\d+(?:\.\d+)?s$`,
	// GitLab's header over its CI configuration's errors, one a line.
	`^found errors in your \.gitlab-ci\.yml:$`,
	`the build has been terminated`,
	`^\s*(?:there (?:was|were) )?\d+ (?:failures?|failing|errors?)\.?$`,
	`^test suites: \d+ failed`,
	// CTest's count and the header of its list of failed tests
	// ("96% tests passed, 1 tests failed out of 26" / "The following tests
	// FAILED:" / "16 - qa_tracking_singletarget (Failed)",
	// https://github.com/kit-cel/gr-radar/issues/11): the list says which.
	`^\d+% tests passed, \d+ tests? failed out of \d+`,
	`^the following tests failed:$`,
	`^tests: +\d+ failed`,
	`^=+ .*\d+ failed.* =+$`,
	`^\s*failed \(failures=\d+`,
	`make(?:\[\d+\])?: \*\*\* .*error \d+`,
	// pip's wrapper around a build's output: the error inside says why.
	`^(?:error: )?subprocess-exited-with-error$`,
	// npm 4's environment lines before its error: where, not what.
	`^npm err! (?:linux|darwin|windows_nt|freebsd|argv|node v\d|npm +v\d|cwd)\b`,
	`^build failed\.?$`,
	`^\[info\] build failure\s*$`, // Maven's banner: its [ERROR] lines say why
	`^failure: build failed with an exception`,
	`^error: process completed with exit code`,
	`back off \d+(?:\.\d+)? seconds? before retry`,
	`^\s*(?:retrying|will retry|will be retried)(?: in \d+\S*)?\W*$`,
	`\bretrying in \d+\S*\s*(?:\.{3}\s*)?(?:\(?(?:attempt )?\d+/\d+\)?)?\W*$`,
	`/_diag/`,
	`error is not recoverable: exiting now`,
	`^check the details on how to adjust`,
	`^\s*(?:see|for more information|run with --(?:stacktrace|info|debug))\b`,
	`\bsee (?:the )?(?:compiler )?(?:log|logs|output|error output) (?:above )?for (?:more )?details`,
	`^\* what went wrong:$`, // Gradle's header: its message is on the next line (see announces)
	// GitHub's check annotation: where; its message is on the lines under it.
	`^check (?:failure|warning|notice) on line \d+ in \S`,
	// Headers whose message follows (see announces): Azure Pipelines'
	// parse errors, CircleCI's config-processing path.
	`^encountered error\(s\) while parsing pipeline yaml:\s*$`,
	`^(?:error: )?error calling (?:workflow|job)\b`,
	// Summaries over the problems a tool lists under them: Composer's
	// (its "- pkg requires …" lines), create-react-app's (the warnings it
	// promotes), Travis's step outcome (the tool's own error is above it),
	// Python unittest's per-test header (its exception comes last).
	`^(?:error: )?your requirements could not be resolved to an installable set of packages`,
	`^treating warnings as errors because process\.env\.ci = true`,
	`^the command .* exited with \d+`,
	`^(?:error|fail): test\w* \(\S+\)\s*$`,
	// Cargo's harness and cargo-nextest's closing line: the panic above
	// says which test and why.
	"^error: test (?:failed, to rerun pass `|run failed$)",
	`^test result: failed\.`,
}, "|"))

// namedHeader is a generic header that names where the error is but not
// what it is, with the message on the next line and no colon to say so
// (CircleCI: "Error calling job: 'build'" / "Cannot find a definition…").
var namedHeader = regexp.MustCompile(`(?i)^(?:error: )?error calling (?:workflow|job)\b`)

// npmCode is npm's error-code line. The code only names the message that
// follows it, except for network errors, where the code is the cause.
var npmCode = regexp.MustCompile(`^npm (?:ERR!|error) code (\S+)\s*$`)

var networkCodes = map[string]bool{
	"ECONNRESET": true, "ETIMEDOUT": true, "ECONNREFUSED": true, "ENOTFOUND": true,
	"EAI_AGAIN": true, "ESOCKETTIMEDOUT": true, "ENETUNREACH": true, "EHOSTUNREACH": true,
}

// detailLines carry what a person needs to see to understand a failed
// assertion or a resolution conflict: the values compared, the peer that
// conflicts, the compiler's diagnostic code.
var detailLines = regexp.MustCompile(strings.Join([]string{
	`expect\(.*\)\.(?:not\.|not_)?(?:to|resolves|rejects)`, // Jest's and RSpec's (not_to, to_not)
	`^\s*(?:Expected|Received|Actual)\b(?: value)?\s*(?:\([^)]*\))?:`,
	`^\s*Expected\s*$`,
	`\bexpected:? ?<.*> but (?:was|found):? ?<`,
	`\bexpected \[.*\] but found \[`,
	`\bTS\d{4}:`,
	`\bpeer \S+@\S+ from \S+`,
	`No output has been received in the last`,
	`You are running out of disk space`,
	`(?i)Conflicting peer dependency`,
	`^\s*Assert\.\w+\(\) Failure\b`,      // xUnit: its Expected/Actual lines follow
	`^E {3,}(?:assert|AssertionError)\b`, // pytest: the assertion, with the values it compared
}, "|"))

// detailWords: every detailLines match holds one of them; checking them
// first spares the expression on the lines (most) that hold none.
var detailWords = []string{"expect", "Expected", "Received", "Actual", "TS", "peer ", "No output has been received",
	"You are running out of disk space", "onflicting peer", "Assert.", "E   "}

// rootCauseMarkers are root causes that CI systems, package managers,
// compilers and test frameworks word the same way everywhere.
var rootCauseMarkers = []string{
	"No space left on device", "ENOSPC", "out of memory", "Out of memory", "OutOfMemory",
	"MemoryError", "OOMKilled", "exit code 137", "exit code 143", "exit code 139",
	"Segmentation fault", "SIGSEGV", "Killed", "panic:",
	"The operation was canceled", "timed out", "Timed out", "Timeout of", "TimeoutError",
	"deadline exceeded", "has exceeded the maximum execution time",
	"exceeded the maximum allowed time", "ran longer than the maximum time", // Azure Pipelines' job limits
	"We stopped hearing from agent", // Azure Pipelines: the agent died or lost its network
	"lost communication with the server", "received a shutdown signal",
	"AssertionError", "AssertionFailedError", "assertion failed", "Assertion failed",
	"cannot find symbol", "not declared", "undeclared", "undefined reference", "undefined: ", "error TS", "error[E",
	"SyntaxError", "TypeError", "ReferenceError", "NullPointerException", "Unhandled exception",
	"Cannot find module", "cannot find module", "ModuleNotFoundError", "No module named", "ImportError",
	"command not found", "No such file or directory", ": directory not found",
	// pip: "Cannot install … because these package versions have
	// conflicting dependencies." comes first and names the requirements;
	// "ResolutionImpossible: for help visit …" follows it.
	"ERR_PNPM_", "ResolutionImpossible", "conflicting dependencies", "checksum mismatch",
	"Could not find", "could not find", "Could not resolve", "could not resolve",
	"Unable to resolve", "unable to resolve", "unexpected token", "Unexpected token",
	"failed to select a version", "Corrupted block", "corrupted",
	"ECONNRESET", "ETIMEDOUT", "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN",
	"Too Many Requests", "rate limit", "Service Unavailable", "Bad Gateway", "Internal Server Error",
	"denied", "Bad credentials", "Authentication failed", "Unauthorized", "Forbidden",
	"Resource not accessible by integration", "x509:", "certificate verify failed",
	"WARNING: DATA RACE", // the Go race detector: the goroutine stacks under it only say where
	"Jest did not exit one second after the test run has completed",
	"Too long with no output",                                          // CircleCI's verdict, over the hang that caused it (hangVerdicts)
	"Unable to locate package",                                         // apt: its "Couldn't find any package by glob" lines follow it
	"does not satisfy that requirement", "but the package is fixed to", // Composer's problem lines
	"Cannot connect to the Docker daemon", // the job has no Docker daemon: CircleCI's missing setup_remote_docker, a dind service down
	// Credentials the job never had: npm publish's "You must be logged in
	// to publish packages", under its "Failed PUT 401" and over its
	// misleading "404 … is not in the npm registry"; the AWS CLI's
	// "Unable to locate credentials", over its exit status 255.
	"must be logged in to publish", "Unable to locate credentials",
	// git's transport failure ("error: RPC failed; curl 92 HTTP/2 stream 7
	// was not closed cleanly"): the "bytes of body are still expected",
	// "early EOF" and "fetch-pack" errors after it are what it broke.
	"error: RPC failed; ",
}

// doesNotExist is the "does not exist" a compiler or tool prints about the
// project: javac's missing package, C#'s name that "does not exist in the
// namespace / current context", a path, a file or directory, a branch or
// ref, a user (su, chown). A database's "table … does not exist, skipping" (DROP … IF EXISTS)
// and a tool that goes on to create what was missing are notices.
var (
	doesNotExist      = regexp.MustCompile(`\bpackage [\w.]+ does not exist|does not exist in the (?:namespace|current context)|\b(?:user|group) \S+ does not exist|(?i:\b(?:path|file|directory|folder|branch|ref|revision)\b)[^;,]{0,160}? does not exist|/[^\s'"]*['"]? does not exist`)
	doesNotExistIsNot = regexp.MustCompile(`(?i)\bnotice\b|\bskipping\b|\bcreating\b|will be created`)
)

// missingThing reports a line (that holds "does not exist") in one of the
// doesNotExist forms and none of the notice forms.
func missingThing(t string) bool {
	return doesNotExist.MatchString(t) && !doesNotExistIsNot.MatchString(t)
}

var errorLinePrefixes = []string{
	"error:", "Error:", "ERROR:", "error[", "fatal:", "FATAL:", "Fatal error", "fatal error",
	"panic:", "npm ERR!", "npm error", "E   ",
	"E: ", // apt
}

var errorLineInfixes = []string{"error:", "Error:", "ERROR:", "Exception:", "Exception in thread", "FAILURE!",
	// Rust: "thread 'x' panicked at src/lib.rs:10:9:", its message under
	// or after it. An error, not a cause: rustdoc's harness panics after
	// the compiler's error it reports.
	"' panicked at ",
	// Jenkins' timeout step: an error, not the root cause, since an agent
	// lost earlier is often why the step ran out of time.
	"Cancelling nested steps due to timeout", "Sending interrupt signal to process", "Timeout has been exceeded",
	// Composer's summary: rated so that it is the reason of last resort
	// (genericLines), not a line of the problems it lists.
	"could not be resolved to an installable set of packages",
}

// lintError is a linter's "line:col  error  message  rule" row (ESLint,
// stylelint): an error message with its place.
var lintError = regexp.MustCompile(`^\s*\d+:\d+\s+error\s`)

// placedDiagnostic is a checker's row that says where and what, whatever
// the language of its words: Maven's compiler row ("[ERROR] /src/A.java:[25,40]
// …") and flake8's ("pkg/a.py:12:5: F821 undefined name 'x'").
// A localized Maven prints its level in its own words ("错误：…") and may
// not space the message from the place.
var placedDiagnostic = regexp.MustCompile(`^(?:\[ERROR\] |\[错误\] ?|错误[：:] ?).+\.(?:java|kt|scala|groovy):\[\d+(?:,\d+)?\] ?\S|^\S+\.py:\d+:\d+: [A-Z]\d{3} \S`)

// placedSeverity is a compiler's or checker's diagnostic at a file and line
// with its severity word in the compiler's language (gcc's "main.c:12:5:
// Fehler: …", javac's "App.java:5: erreur : …", MSVC's and tsc's
// "a.ts(3,7): エラー …"): an error whatever the language the tool speaks.
// The line is matched lowercased.
var placedSeverity = regexp.MustCompile(`^\S+\.` + SourceExt +
	`(?::\d+(?::\d+)?: ?|\(\d+(?:,\d+)?\) ?: ?)(?:\S+ )?` + SeverityWords + `(?: fatale)? ?[:：]`)

// SourceExt are the source file extensions a compiler or checker reports
// on, and SeverityWords a diagnostic's severity word as gcc, javac and
// MSVC print it in their translated catalogues (English, German, French,
// Italian, Portuguese, Chinese, Japanese, Russian), lowercased. The rules'
// unknown answer reads diagnostics with the same words.
const (
	SourceExt     = `(?:c|cc|cpp|cxx|h|hh|hpp|m|mm|java|kt|scala|go|rs|swift|cs|ts|tsx|js|jsx|py|rb|php|f90|f)`
	SeverityWords = `(?:fatal error|error|fehler|erreur|errore|erro|错误|錯誤|エラー|ошибка)`
)

// severityStems hold every SeverityWords word: checking them first spares
// the expression on the lines that hold none.
var severityStems = []string{"erro", "fehler", "erreur", "错误", "錯誤", "エラー", "ошибка"}

// yamlPlaced is a YAML error, alone, numbered ("1) /azure-pipelines.yml (Line: 8, Col: 1): …")
// or the first of GitHub's list, after its verdict ("The workflow is not valid. .github/workflows/
// ci.yml (Line: 5, …"): rated like the rest of the list, so the first error wins.
var yamlPlaced = regexp.MustCompile(`^(?:\d+\) ?|The workflow is not valid\. )?\S+\.ya?ml:? \(Line: \d+, Col: \d+`)

// craRow is a problem create-react-app lists under "Failed to compile.":
// ESLint's "Line 158:19:  message  rule" or PostCSS's "(6:27) autoprefixer:
// message". The same rows under "Compiled with warnings." fail nothing, so
// they count as errors only after "Failed to compile." (see strongest).
var craRow = regexp.MustCompile(`^\s*Line \d+:\d+:\s+\S|^\s*\(\d+:\S+\) [\w-]+: \S`)

// makeRecipeNote is older make's note beside its "make: *** [world] Error
// 2" ("include/toplevel.mk:216: recipe for target 'world' failed"): it
// names the outermost target again, where the first *** line (make[2]'s
// "[package/lean/foo/compile]") names the one that failed, and the
// compiler's error above both says why. Not even generic: its quoted
// target would make it the most specific of the generic lines.
var makeRecipeNote = regexp.MustCompile(`^\S+:\d+: recipe for target .* failed$`)

// lineStrength rates one normalized line.
func lineStrength(line string) int {
	t := strings.TrimSpace(line)
	if t == "" || isTraceFrame(t) || isExitWrapper(t) || strings.HasPrefix(t, "##[error]"+exitPhrase) || codeFrame.MatchString(t) ||
		strings.HasPrefix(t, "#!") || strings.HasPrefix(t, "$ #!") || // a script's shebang ("-eo pipefail"), prompt or not, is not an error
		strings.Contains(t, "recipe for target") && makeRecipeNote.MatchString(t) {
		return strengthNone
	}
	warning := strings.HasPrefix(t, "##[warning]")
	if strings.HasPrefix(t, "##[") && !strings.HasPrefix(t, "##[error]") && !warning {
		return strengthNone // debug, notice, group markers
	}
	t = unbolded(strings.TrimPrefix(strings.TrimPrefix(t, "##[error]"), "##[warning]"))
	if containsAnyOf(t, detailWords) && detailLines.MatchString(t) {
		return strengthCause
	}
	lower := strings.ToLower(t)
	if warning {
		if warnedCause(t, lower) {
			return strengthCause // a full disk or a failing server, warned of before what it broke
		}
		return strengthNone // a warning is context, rarely the cause
	}
	tier := strengthNone
	if containsAnyOf(lower, failureWords) && failureWordOutsideNames(lower) {
		tier = strengthOutcome
	}
	if hasAnyPrefixOf(t, errorLinePrefixes) || containsAnyOf(t, errorLineInfixes) || lintError.MatchString(t) ||
		(strings.Contains(t, ":[") || strings.Contains(t, ".py:")) && placedDiagnostic.MatchString(t) ||
		strings.Contains(t, "(Line: ") && yamlPlaced.MatchString(t) ||
		strings.HasSuffix(t, ")") && rubyException.MatchString(t) ||
		// RSpec's exception class alone over its message, wherever the
		// log starts ("Capybara::ElementNotFound:" / "Unable to find
		// visible link or button \"Sign Up\"",
		// https://github.com/openware/peatio/issues/86): an error whatever
		// the class is called, joined with the message under it.
		strings.HasSuffix(t, ":") && strings.Contains(t, "::") && rubyClassHeader.MatchString(t) ||
		containsAnyOf(lower, severityStems) && placedSeverity.MatchString(lower) {
		tier = strengthError
	}
	if strings.HasPrefix(t, "[!] ") {
		// CocoaPods marks its errors and its warnings alike: at least an
		// outcome, above the step's exit status.
		tier = max(tier, strengthOutcome)
	}
	if containsAnyOf(t, rootCauseMarkers) || strings.Contains(t, "does not exist") && missingThing(t) {
		tier = strengthCause
	}
	tier = extraStrength(t, lower, tier)
	tier = signalStrength(t, lower, tier)
	tier = verdictStrength(t, lower, tier)
	if tier > strengthOutcome && strings.HasSuffix(t, "Error") && pytestWhere.MatchString(t) {
		tier = strengthOutcome
	}
	// A full disk is the cause wherever it is named, even in a line that
	// points at the runner's diagnostics (/_diag/).
	if tier > strengthNone && (isGeneric(t) && !containsAnyOf(t, exhaustionMarkers) || strings.HasPrefix(t, tracebackHeader)) {
		// The traceback header is not one that announces: frames follow
		// it, and its exception comes last.
		tier = strengthGeneric
	}
	// A warning is context, rarely the cause; the Go race detector's is
	// the one its report hangs on.
	// So is a warning that names a full disk or a failing server.
	if strings.HasPrefix(lower, "warn") && !strings.HasSuffix(t, "WARNING: DATA RACE") && !warnedCause(t, lower) {
		tier = min(tier, strengthOutcome)
	}
	return tier
}

// pytestWhere is pytest's line under a failure's E lines: where, and the
// exception's class; the E lines above it say why.
var pytestWhere = regexp.MustCompile(`^\S+\.py:\d+: [A-Z]\w*Error$`)

// tracebackHeader opens a Python or Ruby (2.5+) traceback: the exception
// line at its end says what failed.
const tracebackHeader = "Traceback (most recent call last)"

// rubyException is Ruby's uncaught-exception line: "file:line:in `meth':
// message (Module::ClassName)"; the class need not say Error or Exception
// (LoadError does, Bundler::GemfileNotFound does not).
var rubyException = regexp.MustCompile("^\\S+:\\d+:in [`'][^']*': .*\\([A-Z]\\w*(?:::[A-Z]\\w*)*\\)$")

// announces reports a generic header whose message is on the next lines
// ("error: |-", "Assertion failed:"): the next line is the error.
func announces(t string) bool {
	t = strings.TrimSpace(t)
	// The suffix first: it is cheap, and most lines have none.
	return (strings.HasSuffix(t, ":") || strings.HasSuffix(t, "|-") || strings.HasSuffix(t, "|")) && isGeneric(t) ||
		strings.Contains(t, "rror calling ") && namedHeader.MatchString(t)
}

// ErrorLike reports whether the reason chooser rates line at all: a generic
// failure line, an outcome ("FAIL", "failed", "Traceback"), an error message
// or a root cause. The rules' no-failure check asks the same question, so a
// line that could be chosen as the reason is never read as "no failure".
func ErrorLike(line string) bool { return lineStrength(line) > strengthNone }

// isGeneric reports a line that only says that something failed.
func isGeneric(t string) bool {
	if m := npmCode.FindStringSubmatch(t); m != nil {
		return !networkCodes[m[1]]
	}
	if strings.Contains(t, "abal") && cabalSummary.MatchString(t) ||
		strings.Contains(t, "Unable to process ") && runnerCommandFailed.MatchString(t) || testCountOnly(t) {
		return true
	}
	return genericLines.MatchString(t)
}

// cabalSummary is cabal's summary of the project's own package whose build
// failed ("Error: cabal: Failed to build mylib-0.1.0.0."): GHC's error
// above says why. A dependency's ("cabal: Failed to build socks-0.6.1
// (which is required by http-conduit-2.3.8).") is no summary: it names the
// package the project depends on that broke, where GHC's error is only a
// line of that package's source. (cabal 3.12's "Error: [Cabal-7125]" over
// "Failed to build …" is already outranked by GHC's error.) Kept out of
// genericLines, whose every alternative costs each line it reads.
var cabalSummary = regexp.MustCompile(`(?i)^(?:error: )?cabal(?:\.exe)?: failed to build [^\s(]+(?: see the build log above for details\.)?$`)
