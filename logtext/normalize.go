// Package logtext is ccm's normal form of CI log text: one raw line as a
// person saw it (no runner timestamp, colour codes or carriage returns),
// text made safe to store, and the bounded window the deterministic
// scanners read. Redaction, excerpting, the rules and the suspicious-log
// check all read lines through it, so they agree on what a line is.
package logtext

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strings"
	"unicode/utf8"
)

// NormalizeLine turns one raw log line into the text a person would have
// seen: it drops a leading byte-order mark, the runner's timestamp (GitHub's
// "2024-01-02T03:04:05.1234567Z ", Jenkins' "[2024-01-02T03:04:05.123Z] ", and
// the "job<TAB>step<TAB>timestamp " prefix of `gh run view --log`,
// TeamCity's "[17:31:52]W:\t\t [Step 2/2] " of a downloaded build log,
// CodeBuild's "[Container] 2024/06/05 02:04:08.791520 " and Cloud Build's
// `Step #2 - "save-cache": `), ANSI
// escape sequences (also in the "^[[31m" caret form that copy-pasted logs
// carry), and carriage returns. Workflow markers such as "##[error]" are kept:
// the excerpter reads them.
func NormalizeLine(s string) string {
	var scratch []byte
	return string(NormalizeBytes([]byte(s), &scratch))
}

// NormalizeBytes is NormalizeLine on bytes. It returns a subslice of line
// when only a prefix has to go (the common case), and otherwise rewrites
// into *scratch, which it grows and reuses.
func NormalizeBytes(line []byte, scratch *[]byte) []byte {
	line = StripPrefix(bytes.TrimPrefix(line, utf8BOM))
	if bytes.IndexByte(line, '\r') >= 0 {
		// A carriage return inside a line is a progress bar redrawing
		// itself; the text after the last one is what the terminal showed.
		for len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if i := bytes.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
	}
	if bytes.IndexByte(line, 0x1b) < 0 && !hasCaretEscape(line) {
		return line
	}
	out := stripANSI((*scratch)[:0], line)
	*scratch = out
	return out
}

var utf8BOM = []byte("\xef\xbb\xbf")

// TrimBOM drops a leading UTF-8 byte-order mark.
func TrimBOM(line []byte) []byte { return bytes.TrimPrefix(line, utf8BOM) }

// StripPrefix removes what the CI system put in front of a line: its
// timestamp, TeamCity's clock, status, nesting and block name, or
// CodeBuild's and Cloud Build's prefix.
func StripPrefix(line []byte) []byte {
	if n := TimestampLen(line); n > 0 {
		// A build service's log shown inside another CI's (CodeBuild's
		// through aws-codebuild-run-build) keeps its own prefix under the
		// timestamp.
		rest := dropOneSpace(line[n:])
		return rest[cloudPrefixLen(rest):]
	}
	if len(line) > 0 && line[0] == '[' {
		if n := TimestampLen(line[1:]); n > 0 && len(line) > n+1 && line[n+1] == ']' {
			return dropOneSpace(line[n+2:])
		}
	}
	if n := teamCityLen(line); n > 0 {
		return line[n:]
	}
	if n := cloudPrefixLen(line); n > 0 {
		return line[n:]
	}
	// `gh run view --log` prints "job\tstep\t<timestamp> text". Only strip the
	// two columns when a timestamp follows, so a tab-indented line survives.
	if i := bytes.IndexByte(line, '\t'); i > 0 {
		if j := bytes.IndexByte(line[i+1:], '\t'); j >= 0 {
			rest := line[i+1+j+1:]
			if n := TimestampLen(rest); n > 0 {
				return dropOneSpace(rest[n:])
			}
		}
	}
	return line
}

// teamCityLen returns the length of the prefix TeamCity puts on each line
// of a build log, or 0. A downloaded log has the clock and the message's
// status (" ", i, W, E or F) as "[17:31:52]W:", the indent that nests the
// line under its blocks, and, nested, the block's name ("[Step 2/2] ",
// "[docker] ") that TeamCity's log tree shows once and the download
// repeats on every line (https://github.com/jonnyzzz/TeamCity.Virtual/issues/22).
// A log copied from the web page has the clock and then a tab or the
// block's name at once ("[12:28:28]\t[Step 1/1] ",
// https://github.com/PaddlePaddle/Paddle/issues/9563; "[04:00:35][Step 2/3] ").
// A bracketed clock and a space ("[12:00:01] Starting") is other tools'
// own format and stays. So does a tool's level tag where the block's name
// would be ("[ERROR] "): it is part of the message. On a nested line, a
// message's own indent, or its own bracketed first word ("[main] ERROR"),
// cannot be told from TeamCity's and goes with it.
func teamCityLen(b []byte) int {
	const clock = len("[17:31:52]")
	if len(b) <= clock || b[0] != '[' || b[3] != ':' || b[6] != ':' || b[9] != ']' ||
		!isDigits(b[1:3]) || !isDigits(b[4:6]) || !isDigits(b[7:9]) {
		return 0
	}
	var i int
	switch c := b[clock]; {
	case len(b) > clock+1 && b[clock+1] == ':' && (c == ' ' || c == 'i' || c == 'W' || c == 'E' || c == 'F'):
		i = skipBlanks(b, clock+2)
		if i-(clock+2) < 2 {
			return i // top level
		}
	case c == '\t':
		i = skipBlanks(b, clock)
	case c == '[':
		// No tab: "[12:00:01][info] …" is also a logger's own layout, so
		// only TeamCity's step block ("[Step 1/2]") marks its prefix.
		if !teamCityStep.Match(b[clock:]) {
			return 0
		}
		i = clock
	default:
		return 0
	}
	if i >= len(b) || b[i] != '[' {
		return i // no block's name
	}
	j := bytes.IndexByte(b[i:], ']')
	if j < 2 || (i+j+1 < len(b) && b[i+j+1] != ' ') || levelTag(b[i+1:i+j]) {
		return i
	}
	return min(i+j+2, len(b))
}

// skipBlanks returns the index of the first byte of b at or after i that is
// neither a space nor a tab.
func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// codeBuildContainer is AWS CodeBuild's prefix on its own lines:
// "[Container] 2024/06/05 02:04:08.791520 Phase complete: …".
var codeBuildContainer = regexp.MustCompile(`^\[Container\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? `)

// cloudBuildStep is Google Cloud Build's prefix on a step's output:
// `Step #2 - "save-cache": …`, or `Step #5: …` for a step without an id.
// Docker's own "Step 1/8 : FROM …" has no "#" and stays.
var cloudBuildStep = regexp.MustCompile(`^Step #\d+(?: - "[^"]*")?: ?`)

// cloudPrefixLen returns the length of CodeBuild's or Cloud Build's
// prefix on a line, or 0. Each line of a step carries its step's name or
// the agent's clock; the message is what follows.
func cloudPrefixLen(b []byte) int {
	var re *regexp.Regexp
	switch {
	case bytes.HasPrefix(b, []byte("[Container] ")):
		re = codeBuildContainer
	case bytes.HasPrefix(b, []byte("Step #")):
		re = cloudBuildStep
	default:
		return 0
	}
	if loc := re.FindIndex(b); loc != nil {
		return loc[1]
	}
	return 0
}

// levelTag reports a log level's name: a known level in any case
// ("error", "WARNING"), or any word in capitals. A block named in capitals
// ("[NPM]") reads as one and stays: keeping a tag costs a reason nothing,
// dropping a tool's level would change what it says.
func levelTag(b []byte) bool {
	if logLevels[strings.ToLower(string(b))] {
		return true
	}
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// logLevels are level names loggers print in brackets, in any case.
var logLevels = map[string]bool{"error": true, "err": true, "warn": true, "warning": true, "info": true,
	"debug": true, "fatal": true, "trace": true, "notice": true, "critical": true}

// teamCityStep is TeamCity's step block at the start of a line copied
// from its build page.
var teamCityStep = regexp.MustCompile(`^\[Step \d+/\d+\] `)

func isDigits(b []byte) bool {
	for _, c := range b {
		if c-'0' > 9 {
			return false
		}
	}
	return true
}

func dropOneSpace(b []byte) []byte {
	if len(b) > 0 && b[0] == ' ' {
		return b[1:]
	}
	return b
}

// TimestampLen returns the length of a leading "YYYY-MM-DDTHH:MM:SS[.f]Z"
// (0 if there is none). It runs on every line, so the fixed part is checked
// eight bytes at a time.
func TimestampLen(b []byte) int {
	const fixed = len("2006-01-02T15:04:05")
	if len(b) < fixed+1 {
		return 0
	}
	// Little-endian words: byte k of the slice is bits 8k..8k+7.
	w0 := binary.LittleEndian.Uint64(b)     // "YYYY-MM-"
	w1 := binary.LittleEndian.Uint64(b[8:]) // "DDTHH:MM"
	const (
		sep0   = 0xFF<<32 | 0xFF<<56
		sepV0  = '-'<<32 | '-'<<56
		digit0 = 0x00FFFF00FFFFFFFF
		sep1   = 0xFF<<16 | 0xFF<<40
		sepV1  = 'T'<<16 | ':'<<40
		digit1 = 0xFFFF00FFFF00FFFF
	)
	if w0&sep0 != sepV0 || w1&sep1 != sepV1 || !swarDigits(w0, digit0) || !swarDigits(w1, digit1) ||
		b[16] != ':' || b[17]-'0' > 9 || b[18]-'0' > 9 {
		return 0
	}
	i := fixed
	if b[i] == '.' {
		i++
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
	}
	if i < len(b) && b[i] == 'Z' {
		return i + 1
	}
	return 0
}

// swarDigits reports whether every byte of w selected by mask is '0'-'9'.
func swarDigits(w, mask uint64) bool {
	const (
		high  = 0xF0F0F0F0F0F0F0F0
		three = 0x3030303030303030
		six   = 0x0606060606060606
	)
	w &= mask
	// High nibble 3, and still 3 after adding 6 (so the low nibble is <= 9).
	return w&high == three&mask && (w+six&mask)&high == three&mask
}

// hasCaretEscape reports whether line holds "^[[" followed by an SGR-like
// sequence, the printable form of ESC that logs pasted from a terminal have.
func hasCaretEscape(line []byte) bool {
	for {
		i := bytes.IndexByte(line, '^')
		if i < 0 || i+2 >= len(line) {
			return false
		}
		if line[i+1] == '[' && line[i+2] == '[' {
			return true
		}
		line = line[i+1:]
	}
}

// stripANSI appends line to dst without escape sequences: CSI (ESC [ params
// final), OSC (ESC ] ... BEL or ESC \), two-byte escapes, and caret-form CSI.
func stripANSI(dst, line []byte) []byte {
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == 0x1b:
			i = skipEscape(line, i+1)
		case c == '^' && i+2 < len(line) && line[i+1] == '[' && line[i+2] == '[':
			if end, ok := caretSGREnd(line, i+3); ok {
				i = end
			} else {
				dst = append(dst, c)
				i++
			}
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// skipEscape returns the index just past the escape sequence whose ESC was at
// i-1. An unterminated sequence swallows the rest of the line rather than
// leaking half an escape.
func skipEscape(line []byte, i int) int {
	if i >= len(line) {
		return i
	}
	switch line[i] {
	case '[':
		if end, ok := csiEnd(line, i+1); ok {
			return end
		}
		return len(line)
	case ']':
		for j := i + 1; j < len(line); j++ {
			if line[j] == 0x07 {
				return j + 1
			}
			if line[j] == 0x1b && j+1 < len(line) && line[j+1] == '\\' {
				return j + 2
			}
		}
		return len(line)
	}
	// ESC, optional intermediates (0x20-0x2F), one final byte.
	for i < len(line) && line[i] >= 0x20 && line[i] <= 0x2f {
		i++
	}
	if i < len(line) {
		i++
	}
	return i
}

// caretSGREnd accepts only colour and erase-line sequences in caret form
// ("^[[1;31m", "^[[K"): text such as "^[[a-z]" in a regular expression must
// survive.
func caretSGREnd(line []byte, i int) (int, bool) {
	for ; i < len(line); i++ {
		c := line[i]
		if c == 'm' || c == 'K' {
			return i + 1, true
		}
		if (c < '0' || c > '9') && c != ';' {
			return i, false
		}
	}
	return i, false
}

// csiEnd scans CSI parameters and intermediates from i and returns the index
// after the final byte (0x40-0x7E).
func csiEnd(line []byte, i int) (int, bool) {
	for ; i < len(line); i++ {
		c := line[i]
		if c >= 0x40 && c <= 0x7e {
			return i + 1, true
		}
		if c < 0x20 || c > 0x3f {
			return i, false
		}
	}
	return i, false
}

// Sanitize makes text safe to store and send as JSON: invalid UTF-8
// becomes U+FFFD and control characters other than tab are dropped, so binary
// garbage in a log cannot corrupt what we hand on.
func Sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\t') || c == 0x7f || c >= utf8.RuneSelf {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
