package redact

import "strings"

// markerOpen starts the marker that stands where a secret was:
// "[REDACTED:<kind>]".
const markerOpen = "[REDACTED:"

// maxMarkerLen bounds a marker's length, its kind included
// ("[REDACTED:aws_secret_access_key]" is 32 bytes).
const maxMarkerLen = 48

func marker(kind string) string { return markerOpen + kind + "]" }

// MarkerAround returns where the redaction marker that position at of s
// falls inside of starts and ends (at after its first byte, up to its
// closing bracket), or -1, -1. A cut at such a position would leave half a
// marker ("[REDACTED:github_t"), which reads like a leaked prefix. Text
// that only looks like a marker's start (a log that prints "[REDACTED:"
// itself, unclosed) is none: a marker closes within maxMarkerLen bytes.
func MarkerAround(s string, at int) (start, end int) {
	// The marker may start before at and reach past it ("[REDA|CTED:…").
	o := strings.LastIndex(s[:min(len(s), at+len(markerOpen)-1)], markerOpen)
	if o < 0 || o >= at || strings.Contains(s[o:at], "]") {
		return -1, -1
	}
	limit := min(len(s), o+maxMarkerLen)
	if limit <= at {
		return -1, -1
	}
	c := strings.IndexByte(s[at:limit], ']')
	if c < 0 {
		return -1, -1
	}
	return o, at + c + 1
}
