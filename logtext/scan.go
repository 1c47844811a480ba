package logtext

import (
	"regexp"
	"strings"
)

// ScanHalf is how much of a log's text, from either end, the deterministic
// scanners (the rule analyzer, the suspicious-log tripwire) read: a log is
// unbounded, their time must not be.
const ScanHalf = 256 << 10

// WithoutANSI removes terminal colour and OSC sequences.
func WithoutANSI(s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return s
	}
	return ansiEscape.ReplaceAllString(s, "")
}

// ansiEscape matches terminal colour and OSC sequences, which would split
// words the patterns look for.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)")

// Bound keeps the first and last ScanHalf bytes of t, cut at line breaks,
// so every scanned line is a line (or a piece of one) of the original.
func Bound(t string) string {
	if len(t) <= 2*ScanHalf {
		return t
	}
	head := t[:ScanHalf]
	if i := strings.LastIndexByte(head, '\n'); i > 0 {
		head = head[:i+1]
	} else {
		head += "\n"
	}
	tail := t[len(t)-ScanHalf:]
	if j := strings.IndexByte(tail, '\n'); j >= 0 && j < len(tail)-1 {
		tail = tail[j+1:]
	}
	return head + tail
}

// ASCIILower lowercases ASCII letters only, so byte offsets stay aligned with
// the original text.
func ASCIILower(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}
