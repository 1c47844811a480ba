package excerpt

import (
	"regexp"
	"strings"
)

// IsGenericReason reports a reason that only says a command or job failed
// with some status ("Process completed with exit code 1", "ERROR: script
// returned exit code 2", "Finished: FAILURE", make's "*** [...] Error 1"):
// the cause is on another line. A signal exit (137, 139, 143) is a cause and
// is not generic. Callers that know a more specific line of the log (a rule
// signature's evidence) may show that line instead.
func IsGenericReason(reason string) bool {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(reason), "…"))
	if t == "" {
		return false
	}
	if isExitWrapper(t) {
		return true
	}
	if strings.Contains(t, "exit code 137") || strings.Contains(t, "exit code 139") || strings.Contains(t, "exit code 143") {
		return false
	}
	return exitStatusLine.MatchString(t) || genericLines.MatchString(t) && exitStatusWords.MatchString(t)
}

// exitStatusLine is a line whose whole message is a failed status: CI
// servers' and shells' wrappers around the real error.
var exitStatusLine = regexp.MustCompile(`(?i)^(?:` + strings.Join([]string{
	`finished: failure`,
	`(?:error: )?script returned exit code \d+`,
	`(?:##\[error\])?(?:error: )?process completed with exit code \d+\.?`,
	`error: job failed: exit (?:code|status) \d+`,
	`exit status \d+`,
	`make(?:\[\d+\])?: \*\*\* .*error \d+`,
	`(?:error )?command failed with exit code \d+\.?`,
	`build failed\.?`,
}, "|") + `)\s*$`)

// exitStatusWords keep the generic-line check to the status wrappers
// (genericLines also holds test summaries and headers, which carry counts a
// person reads).
var exitStatusWords = regexp.MustCompile(`(?i)exit (?:code|status)|\berror \d+\b|failed\.?$`)

// ReasonLine is s as a reason: whitespace collapsed, at most 300 bytes.
func ReasonLine(s string) string { return reasonLine(s) }
