package excerpt

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error-line strength. The reason is the first line of the highest tier in
// the failing step, so a specific root cause ("No space left on device")
// beats a generic error line, and an error message beats an outcome ("FAIL").
const (
	strengthNone    = iota
	strengthOutcome // "FAIL x", "failed", "Traceback": says that, not why
	strengthError   // an error message: "error: …", "Error: …", "npm error …"
	strengthCause   // a specific root-cause signature
)

// rootCauseMarkers are root causes that CI systems, package managers,
// compilers and test frameworks word the same way everywhere.
var rootCauseMarkers = []string{
	"No space left on device", "ENOSPC", "out of memory", "Out of memory", "OutOfMemory",
	"MemoryError", "OOMKilled", "exit code 137", "exit code 143", "exit code 139",
	"Segmentation fault", "SIGSEGV", "Killed", "panic:",
	"The operation was canceled", "timed out", "Timed out", "Timeout of", "TimeoutError",
	"deadline exceeded", "has exceeded the maximum execution time",
	"lost communication with the server", "received a shutdown signal",
	"AssertionError", "AssertionFailedError", "assertion failed", "Assertion failed",
	"cannot find symbol", "not declared", "undeclared", "undefined reference", "undefined: ", "error TS", "error[E",
	"SyntaxError", "TypeError", "ReferenceError", "NullPointerException", "Unhandled exception",
	"Cannot find module", "cannot find module", "ModuleNotFoundError", "No module named", "ImportError",
	"command not found", "No such file or directory",
	"ERR_PNPM_", "ResolutionImpossible", "checksum mismatch", "npm ERR! code", "npm error code",
	"Could not find", "could not find", "Could not resolve", "could not resolve",
	"Unable to resolve", "unable to resolve", "unexpected token", "Unexpected token",
	"ECONNRESET", "ETIMEDOUT", "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN",
	"Too Many Requests", "rate limit", "Service Unavailable", "Bad Gateway", "Internal Server Error",
	"denied", "Bad credentials", "Authentication failed", "Unauthorized", "Forbidden",
	"Resource not accessible by integration", "x509:", "certificate verify failed",
}

var errorLinePrefixes = []string{
	"error:", "Error:", "ERROR:", "error[", "fatal:", "FATAL:", "Fatal error", "fatal error",
	"panic:", "npm ERR!", "npm error", "E   ",
}

var errorLineInfixes = []string{"error:", "Error:", "ERROR:", "Exception:", "Exception in thread", "FAILURE!"}

// lineStrength rates one normalized line.
func lineStrength(line string) int {
	t := strings.TrimSpace(line)
	if t == "" || isTraceFrame(t) || isExitWrapper(t) || strings.HasPrefix(t, "##[error]"+exitPhrase) {
		return strengthNone
	}
	if strings.HasPrefix(t, "##[") && !strings.HasPrefix(t, "##[error]") {
		return strengthNone // warning, debug, notice, group markers
	}
	t = strings.TrimPrefix(t, "##[error]")
	tier := strengthNone
	lower := strings.ToLower(t)
	if strings.Contains(lower, "error") || strings.Contains(lower, "fail") ||
		strings.Contains(lower, "exception") || strings.Contains(lower, "traceback") {
		tier = strengthOutcome
	}
	if hasAnyPrefixOf(t, errorLinePrefixes) || containsAnyOf(t, errorLineInfixes) {
		tier = strengthError
	}
	if containsAnyOf(t, rootCauseMarkers) {
		tier = strengthCause
	}
	if strings.HasPrefix(lower, "warn") || strings.HasPrefix(lower, "##[warning]") {
		tier = min(tier, strengthOutcome) // a warning is context, rarely the cause
	}
	return tier
}

// ErrorLike reports whether the reason chooser rates line at all: an
// outcome ("FAIL", "failed", "Traceback"), an error message or a root
// cause. The rules' no-failure check asks the same question, so a line that
// could be chosen as the reason is never read as "no failure".
func ErrorLike(line string) bool { return lineStrength(line) > strengthNone }

// isTraceFrame reports a stack-trace frame: it names where, never why.
func isTraceFrame(t string) bool {
	switch {
	case strings.HasPrefix(t, "at ") && (strings.ContainsAny(t, "(:") || strings.HasPrefix(t, "at <")):
		return true
	case strings.HasPrefix(t, `File "`), strings.HasPrefix(t, "from /"):
		return true
	case strings.HasPrefix(t, "/") && strings.Contains(t, " +0x"): // Go
		return true
	}
	return false
}

// isExitWrapper reports the generic "it exited non-zero" lines that follow
// the real error: a reason of last resort.
func isExitWrapper(t string) bool {
	if strings.Contains(t, "exit code 137") || strings.Contains(t, "exit code 139") || strings.Contains(t, "exit code 143") {
		return false // a signal: that is the cause
	}
	return strings.Contains(t, "Process completed with exit code") ||
		strings.Contains(t, "failed with exit code") ||
		strings.Contains(t, "Invalid status code")
}

func hasAnyPrefixOf(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func containsAnyOf(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// reasonInput is the redacted material the reason is chosen from.
type reasonInput struct {
	errMarks []logLine // ##[error] messages (marker stripped)
	cands    []logLine // failing-step lines in log order, step header removed
	fallback []logLine // early error-looking lines, used when cands hold none
	exitCode int
	last     string // last non-empty line of the log
}

const maxReasonLen = 300

// chooseReason picks the line a person should read first: the first
// meaningful ##[error] message, else the strongest (earliest among equals)
// error line of the failing step, else a generic ##[error], else the exit
// code, else the last line.
func chooseReason(in reasonInput) string {
	var weakMark string
	for _, m := range in.errMarks {
		t := strings.TrimSpace(m.text)
		switch {
		case t == "", strings.HasPrefix(t, exitPhrase):
		case isExitWrapper(t):
			if weakMark == "" {
				weakMark = t
			}
		default:
			return reasonLine(t)
		}
	}
	if r := strongest(in.cands); r != "" {
		return r
	}
	if r := strongest(in.fallback); r != "" {
		return r
	}
	if weakMark != "" {
		return reasonLine(weakMark)
	}
	if in.exitCode >= 0 {
		return reasonLine(exitPhrase + strconv.Itoa(in.exitCode))
	}
	return reasonLine(in.last)
}

// strongest returns the first line of the highest tier, with its
// continuation when the line only announces what follows ("AssertionError:").
func strongest(lines []logLine) string {
	best, bestTier := -1, strengthNone
	for i, l := range lines {
		if t := lineStrength(l.text); t > bestTier {
			best, bestTier = i, t
		}
	}
	if best < 0 {
		return ""
	}
	text := strings.TrimPrefix(strings.TrimSpace(lines[best].text), "##[error]")
	if bestTier >= strengthError && strings.HasSuffix(text, ":") || bestTier == strengthOutcome {
		text = joinContinuation(text, lines[best+1:], bestTier == strengthOutcome, indentOf(lines[best].text))
	}
	return reasonLine(text)
}

// joinContinuation appends up to three following detail lines: the message
// an error header announced, or the indented detail under an outcome line.
func joinContinuation(text string, next []logLine, outcome bool, indent int) string {
	added := 0
	for i, l := range next {
		t := strings.TrimSpace(l.text)
		if added == 3 || len(text) >= maxReasonLen || i > 0 && next[i-1].no+1 != l.no {
			break
		}
		if t == "" && added > 0 {
			break // a blank line ends the message
		}
		if t == "" || strings.Trim(t, "-=_*~^[]INFO ") == "" {
			continue // blank or a separator rule
		}
		if isTraceFrame(t) || strings.HasPrefix(t, "##[") || outcome && indentOf(l.text) <= indent {
			break
		}
		text += " " + t
		added++
	}
	return text
}

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}

// reasonLine collapses whitespace and bounds the reason to maxReasonLen bytes
// without splitting a UTF-8 sequence.
func reasonLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxReasonLen {
		return s
	}
	cut := maxReasonLen - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
