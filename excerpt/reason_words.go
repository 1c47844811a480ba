package excerpt

import (
	"regexp"
	"strings"
)

// failureWords make a line an outcome when nothing better rates it
// ("FAIL src/a.test.js", "Build failed", "Traceback …").
var failureWords = []string{"error", "fail", "exception", "traceback"}

// failureWordOutsideNames reports whether a failure word of the lowercased
// line t stands outside a file name or path: "typescript-type-errors.log"
// in a README's table of sample logs, "ok  example.com/app/errors 0.1s"
// from go test name a file or a package, not a failure.
func failureWordOutsideNames(t string) bool {
	for _, w := range failureWords {
		for from := 0; ; {
			i := strings.Index(t[from:], w)
			if i < 0 {
				break
			}
			i += from
			start, end := i, i+len(w)
			for start > 0 && isNameByte(t[start-1]) {
				start--
			}
			for end < len(t) && isNameByte(t[end]) {
				end++
			}
			if tok := strings.TrimRight(t[start:end], "."); !isFileName(tok) && !optionNamedForFailing(t, tok) && !logLevelOption(t, start) {
				return true
			}
			from = end
		}
	}
	return false
}

// failureOption holds shell and test-runner options named for failing,
// which a script echoes before anything fails: GitLab's "$ set -eo
// pipefail", CircleCI's shebang pasted without its '#', "--failfast".
var failureOption = map[string]bool{"pipefail": true, "fail-fast": true, "failfast": true, "errexit": true}

// optionNamedForFailing reports a token of the lowercased line t that is
// one of failureOption, in a line that does not refuse it (FreeBSD sh's
// "set: Illegal option -o pipefail", bash's "invalid option name").
func optionNamedForFailing(t, tok string) bool {
	return failureOption[strings.TrimLeft(tok, "-")] && !strings.Contains(t, "illegal option") && !strings.Contains(t, "invalid option")
}

// logLevelOption reports a failure word at start that is the value of a
// command-line option setting a log level: surefire's "Command was … java
// -Dcdk.logging.level=ERROR -jar …", "--log-level=error". A logger's own
// "level=error msg=…" has no dash before its key, and stays a failure.
func logLevelOption(t string, start int) bool {
	if start == 0 || t[start-1] != '=' {
		return false
	}
	k := start - 1
	for k > 0 && isNameByte(t[k-1]) {
		k--
	}
	key := t[k : start-1]
	return strings.HasPrefix(key, "-") && (strings.Contains(key, "level") || strings.Contains(key, "log"))
}

// isNameByte is a byte of a file name or path token.
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/' || c >= 'A' && c <= 'Z'
}

// isFileName reports a token that names a file or a path: it holds a slash,
// or ends in a short extension after a name ("errors.md", "npm-fail.log").
func isFileName(tok string) bool {
	if strings.Contains(tok, "/") {
		return true
	}
	dot := strings.LastIndexByte(tok, '.')
	if dot <= 0 || len(tok)-dot-1 < 1 || len(tok)-dot-1 > 5 {
		return false
	}
	for _, c := range []byte(tok[dot+1:]) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// specificity counts the kinds of things a line names that a person can act
// on: a file, a test, a package version, a host, an exception, compared
// values, a quoted name. Among lines of one rank the most specific wins.
func specificity(t string) int {
	n := 0
	for i, re := range specifics {
		if re.MatchString(t) || i == 0 && strings.Contains(t, ".so") && sharedLibrary.MatchString(t) {
			n++
		}
	}
	return min(n, 3)
}

// sharedLibrary is a file too (specifics' first): a shared library the
// loader could not open ("libtinfo.so.5: cannot open shared object file").
var sharedLibrary = regexp.MustCompile(`\w\.so(?:\.\d+)*\b`)

var specifics = []*regexp.Regexp{
	regexp.MustCompile(`[\w./-]+\.(?:sh|go|ts|tsx|js|jsx|mjs|py|rb|java|kt|rs|c|cc|cpp|h|hpp|cs|swift|php|scala|yml|yaml|json|toml|gradle|xml|lock)\b`),
	regexp.MustCompile(`\S@[\^~><=]*\d|\b\d+\.\d+\.\d+\b`),
	regexp.MustCompile(`\bTest\w+|::test_\w+| › |\w+Test\.\w+|\bit\(|\bAssert\.\w+\(`),
	regexp.MustCompile(`https?://\S+|\b[\w-]+(?:\.[\w-]+)+\.(?:com|org|io|net|dev)\b`),
	regexp.MustCompile(`\b[A-Z]\w*(?:Exception|Error)\b`),
	regexp.MustCompile(`(?i)\bexpected\b|\breceived\b|\bactual\b|\bbut (?:was|found|got)\b|\bto equal\b`),
	regexp.MustCompile("'[^']{2,}'|\"[^\"]{2,}\"|`[^`]{2,}`"),
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

// codeFrame is a line of source code a test runner or compiler quotes
// ("> 493 |     throw new Error(…)"): it shows where, the message says why.
var codeFrame = regexp.MustCompile(`^>?\s*\d+\s*\|`)

// isTraceFrame reports a stack-trace frame: it names where, never why.
func isTraceFrame(t string) bool {
	if strings.HasPrefix(t, "[info]") || strings.HasPrefix(t, "[error]") {
		t = strings.TrimSpace(t[strings.IndexByte(t, ']')+1:]) // sbt's level tag before a JVM frame
	}
	switch {
	case strings.HasPrefix(t, "... ") && javaElided.MatchString(t): // the JVM's "... 4 more"
		return true
	case strings.HasPrefix(t, "at ") && (strings.ContainsAny(t, "(:") || strings.HasPrefix(t, "at <")):
		return true
	case strings.HasPrefix(t, `File "`), strings.HasPrefix(t, "from /"):
		return true
	case strings.HasPrefix(t, "# ") && strings.Contains(t, ":in "): // RSpec: "# ./spec/a_spec.rb:26:in `block …'"
		return true
	case strings.Contains(t, ".go:") && strings.Contains(t, " +0x"): // Go: "pkg/file.go:216 +0x639"
		return true
	}
	return false
}

// javaElided is a JVM stack trace's count of the frames it left out, the
// same as the enclosing trace's: "... 4 more".
var javaElided = regexp.MustCompile(`^\.\.\. \d+ (?:more|common frames omitted)$`)

// isExitWrapper reports the generic "it exited non-zero" lines that follow
// the real error: a reason of last resort.
func isExitWrapper(t string) bool {
	if strings.Contains(t, "exit code 137") || strings.Contains(t, "exit code 139") || strings.Contains(t, "exit code 143") {
		return false // a signal: that is the cause
	}
	return strings.Contains(t, "Process completed with exit code") ||
		strings.Contains(t, "failed with exit code") ||
		strings.Contains(t, "Invalid status code") ||
		strings.Contains(t, " exited with code ") && toolExited(t) ||
		strings.Contains(t, " exited with status ") && buildkiteExited(t)
}
