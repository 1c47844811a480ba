package excerpt

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
)

// maxFingerprintLines bounds the work on a hand-built, oversized input.
const maxFingerprintLines = 50

// Fingerprint identifies a failure across runs: 16 hex characters (a
// SHA-256 prefix) of the reason and the distinct error lines after
// MaskVolatile. The lines are sorted so that parallel output printed in
// another order still yields the same value.
func Fingerprint(reason string, errorLines []string) string {
	h := sha256.New()
	h.Write([]byte(fingerprintText(reason)))
	lines := make([]string, 0, min(len(errorLines), maxFingerprintLines))
	for _, l := range errorLines {
		if len(lines) == maxFingerprintLines {
			break
		}
		if t := fingerprintText(l); t != "" {
			lines = append(lines, t)
		}
	}
	slices.Sort(lines)
	for _, l := range slices.Compact(lines) {
		h.Write([]byte{'\n'})
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func fingerprintText(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "##[error]")
	return strings.Join(strings.Fields(MaskVolatile(s)), " ")
}

var (
	// Temp and workspace paths differ per runner and per run; the part of
	// a workspace path inside the repository is kept, it names the file. A
	// temp path must start a word; '>' counts as part of a word because
	// every mask ends with it, and "<uuid>/tmp/x" must mask the same way
	// twice.
	maskTemp = regexp.MustCompile(`(^|[^A-Za-z0-9_./\\>-])(?:` +
		`(?:/home/runner/work/_temp|/Users/runner/work/_temp|/__w/_temp|/tmp|/var/tmp|/private/var/folders|/var/folders|/private/tmp)/[^\s'"]*` +
		`|[A-Za-z]:\\a\\_temp\\[^\s'"]*` +
		`|[A-Za-z]:\\Users\\[^\\\s'"]+\\AppData\\Local\\Temp(?:\\[^\s'"]*)?` +
		`|[A-Za-z]:\\Windows\\Temp(?:\\[^\s'"]*)?)`)
	maskWork = regexp.MustCompile(`(?:/home/runner/work|/home/runner/_work|/Users/runner/work|/__w|/[^\s'"]*?/actions-runner/_work)/[^/\s'"]+/[^/\s'"]+` +
		`|[A-Za-z]:\\a\\[^\\\s'"]+\\[^\\\s'"]+`)
	maskTimestamp = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?` +
		`|\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b(?:\s?[AaPp][Mm]\b)?`)
	maskUUID     = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	maskIP       = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	maskDuration = regexp.MustCompile(`\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*\b`)
	// Numbers that say what failed rather than when: exit codes tell an
	// out-of-memory kill (137) from a test failure (1); HTTP statuses tell
	// a rate limit (429) from a missing page (404).
	keepNumberAfter = []string{"exit code ", "exit code: ", "exit status ", "status code ", "status code: ", "http ", "http/1.1 ", "http/2 "}
)

// MaskVolatile replaces the parts of a log line that change from run to run
// of the same failure: temp and workspace paths, timestamps (a 12-hour
// clock's too, as Netlify stamps each line: "7:30:00 AM:"), UUIDs, IP
// addresses, durations, hex hashes and SHAs, and numbers (ports, line
// numbers, counts, versions). Exit codes and HTTP statuses are kept. It is
// idempotent: masking masked text changes nothing.
func MaskVolatile(s string) string {
	s = maskTemp.ReplaceAllString(s, "${1}<tmp>")
	s = maskWork.ReplaceAllString(s, "<work>")
	s = maskTimestamp.ReplaceAllString(s, "<ts>")
	s = maskUUID.ReplaceAllString(s, "<uuid>")
	s = maskIP.ReplaceAllString(s, "<ip>")
	s = maskDuration.ReplaceAllString(s, "<dur>")
	return maskNumbers(s)
}

// maskNumbers replaces standalone numbers and hex hashes with <n>, and 0x…
// values with <hex>. One token for both on purpose: a short SHA can be all
// digits, and a counter can grow a digit, between two runs of one failure.
// A run glued to a letter is part of a name (TS2322, x64, sha256) and
// stays; so do hex-letter words shorter than a short SHA ("cafe", "bad").
func maskNumbers(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isHexByte(s[i]) || i > 0 && isWordByte(s[i-1]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isHexByte(s[j]) {
			j++
		}
		run := s[i:j]
		digits := strings.Trim(run, "0123456789") == ""
		var repl string
		switch {
		case run == "0" && j+1 < len(s) && (s[j] == 'x' || s[j] == 'X') && isHexByte(s[j+1]):
			k := j + 1
			for k < len(s) && isHexByte(s[k]) {
				k++
			}
			if k < len(s) && isWordByte(s[k]) {
				i = k
				continue
			}
			j, repl = k, "<hex>"
		case j < len(s) && isWordByte(s[j]):
			i = j // glued to a name on the right ("64bit")
			continue
		case digits && keepsNumber(s[:i]):
			i = j
			continue
		case digits:
			// A dotted number (1.2.3, 30.5) is one value.
			for j+1 < len(s) && s[j] == '.' && isDigitByte(s[j+1]) {
				k := j + 1
				for k < len(s) && isDigitByte(s[k]) {
					k++
				}
				if k < len(s) && isWordByte(s[k]) {
					break
				}
				j = k
			}
			repl = "<n>"
		case len(run) >= 7:
			repl = "<n>"
		default:
			i = j // a short word of hex letters
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(repl)
		last, i = j, j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }

func keepsNumber(before string) bool {
	tail := strings.ToLower(before[max(0, len(before)-12):])
	for _, p := range keepNumberAfter {
		if strings.HasSuffix(tail, p) {
			return true
		}
	}
	return false
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isWordByte is a letter, digit or underscore... but not every one glues: an
// underscore separates ("Worker_20250304"), so it is not a word byte here.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
