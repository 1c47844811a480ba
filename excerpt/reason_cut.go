package excerpt

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/logtext"
	"github.com/ccm-ci/ccm/redact"
)

// A reason longer than maxReasonLen is cut. Its head says what failed, but
// a long message often says why only at its end: Maven's "Failed to execute
// goal … Could not transfer artifact … from/to central (…): status code:
// 503, reason phrase: Service Unavailable (503)", a registry's "… blobs/
// sha256:…: 403 Forbidden", the "Permission denied" after a long path. So
// when the part a plain cut would drop holds a server's answer, or the
// line ends in an error message after a long URL or path, the reason
// keeps the head and the tail with " … " between; otherwise it keeps the
// head, as it always did (the fingerprint of those reasons does not move). Neither cut splits a
// redaction marker ("[REDACTED:github_token]"): a half marker reads like
// a leaked prefix and hides what was masked.

const (
	cutMark = "…"
	midMark = " … "
	// longToken is the length from which a word without spaces is a URL,
	// a path or a digest rather than words of the message.
	longToken = 40
)

// httpAnswer is a server's answer as clients word it (read on the
// ASCII-lowercased line, asciiLower: the same offsets, and an expression
// without case folding costs a fraction), beyond the 5xx and
// 429 serverStatus knows: "status code: 403", "reason phrase: Forbidden",
// "Return code is: 401", "returned error: 404", ": 403 Forbidden"; or the
// connection's end instead of an answer ("Connection reset", "i/o
// timeout", "no such host", "Network is unreachable", "Connection aborted",
// urllib3's "Max retries exceeded", "Temporary failure in name
// resolution").
var httpAnswer = regexp.MustCompile(`\bstatus(?: code)?:? ?[1-5]\d\d\b|\breason ?phrase:|\breturn code is:? ?[1-5]\d\d\b|\breturned (?:error:? )?[1-5]\d\d\b|\b[1-5]\d\d (?:bad request|unauthorized|forbidden|not found|method not allowed|conflict|gone|too many requests|internal server error|bad gateway|service unavailable|gateway time-?out)\b|\bconnection (?:reset|refused|timed out)\b|\be(?:connreset|connrefused|timedout|notfound|ai_again)\b|\bi/o timeout\b|\bno such host\b|\btls handshake timeout\b|\bnetwork is unreachable\b|\bconnection aborted\b|\bmax retries exceeded\b|\btemporary failure in name resolution\b`)

// answerWords are where httpAnswer's matches are looked for: every match
// holds one of them.
var answerWords = []string{"status", "phrase", "return", "request", "unauthorized", "forbidden", "not found",
	"not allowed", "conflict", "gone", "server error", "gateway", "unavailable", "connection", "econn",
	"etimedout", "enotfound", "eai_again", "i/o timeout", "no such host", "handshake", "unreachable",
	"retries exceeded", "temporary failure"}

// answerMatches is httpAnswer's matches in the ASCII-lowercased lower, in
// order: the expression reads only a few bytes around each of
// answerWords, since reading a long line with it costs more than the rest
// of the cut.
func answerMatches(lower string) [][]int {
	var found [][]int
	for _, w := range answerWords {
		for at := 0; ; {
			i := strings.Index(lower[at:], w)
			if i < 0 {
				break
			}
			i += at
			// The window starts and ends between words, so that a \b at
			// its edges is one in the line.
			from, to := max(0, i-answerBefore), min(len(lower), i+len(w)+answerAfter)
			for from > 0 && isRegexpWordByte(lower[from-1]) {
				from--
			}
			for to < len(lower) && isRegexpWordByte(lower[to]) {
				to++
			}
			for _, m := range httpAnswer.FindAllStringIndex(lower[from:to], -1) {
				found = append(found, []int{m[0] + from, m[1] + from})
			}
			at = i + len(w)
		}
	}
	// As a scan of the whole line takes them: the leftmost first, then
	// the next that starts after it ends.
	slices.SortFunc(found, func(a, b []int) int { return a[0] - b[0] })
	var ms [][]int
	for _, m := range found {
		if len(ms) == 0 || m[0] >= ms[len(ms)-1][1] {
			ms = append(ms, m)
		}
	}
	return ms
}

// isRegexpWordByte is a byte \b counts as a word's (ASCII letters,
// digits, '_'; fingerprint's isWordByte leaves '_' out).
func isRegexpWordByte(c byte) bool { return isWordByte(c) || c == '_' }

// answerBefore and answerAfter bound the window answerMatches reads around
// a word: the status code before "forbidden", the code after "returned
// error:", the longest alternative after its word.
const (
	answerBefore = 16 // "429 too many " before "requests", "500 internal " before "server error"
	answerAfter  = 32
)

// cutReason bounds s (whitespace already collapsed, longer than n) to n
// bytes.
func cutReason(s string, n int) string {
	head := n - len(cutMark)
	msg := tailMessage(s, head, n)
	if msg < 0 {
		return s[:safeCut(s, head)] + cutMark
	}
	// The tail holds the message from its start (its word); the head keeps
	// the rest, never less than a third of the room: it says what failed,
	// and a log's key line is usually there, as a plain cut kept it.
	from := max(msg, len(s)-(n-len(midMark)-n/3))
	from = tailStart(s, from)
	h := safeCut(s, n-len(midMark)-(len(s)-from))
	if j := strings.LastIndexByte(s[max(0, h-24):h], ' '); j >= 0 {
		h = max(0, h-24) + j // the head ends with a whole word
	}
	if h <= 0 || from <= h || len(s)-from > n {
		return s[:safeCut(s, head)] + cutMark // no room for both: the plain cut
	}
	return strings.TrimRight(s[:h], " ") + midMark + s[from:]
}

// tailMessage is where the message that the end of s holds starts, when a
// plain cut at cut would drop it: the first server answer in the dropped
// part (with the answer it directly follows), or an error message (short
// enough for the tail to hold it) after the line's last long URL or path,
// of which the head keeps no more than msgKept bytes. -1 when the end says
// nothing a plain cut should keep.
func tailMessage(s string, cut, n int) int {
	// The tail keeps at most n bytes of the end: an answer further back in
	// a very long line cannot be shown, and reading all of it costs.
	// An answer the cut splits ("Network is unrea…") is dropped too: the
	// part read starts the longest answer's length before the cut.
	lo := max(0, cut-answerSpan, len(s)-2*n)
	// It starts between words, so that a \b at its start is one in s:
	// back to its word's start when that is near, else past the word.
	for from := lo; lo > 0 && from-lo < answerSpan && isRegexpWordByte(s[lo-1]); {
		lo--
	}
	for lo > 0 && lo < len(s) && isRegexpWordByte(s[lo-1]) {
		lo++
	}
	lower := asciiLower(s[lo:])
	for _, m := range answerMatches(lower) {
		if lo+m[1] > cut {
			return answerStart(s, cut)
		}
	}
	lost := s[max(cut, len(s)-2*n):]
	if lo <= len(s)-len(lost) {
		lower = lower[len(s)-len(lost)-lo:]
	} else {
		lower = asciiLower(lost) // the read part began after a long word
	}
	if serverFailure(lost, lower) {
		return len(s) - n/2
	}
	end := lastLongTokenEnd(s)
	if end < 0 {
		return -1
	}
	msg := strings.TrimLeft(s[end:], `'"`+"`:;,)]}> ")
	if len(msg) > n/2 {
		msg = toolError(msg, n/2)
	}
	at := len(s) - len(msg)
	if at < cut-msgKept || len(msg) < 4 || len(msg) > n/2 {
		return -1 // the head has the message's start already, or it is none
	}
	// An error or its cause, not an outcome: "… failed to build" after a
	// store path adds nothing to the head's own error.
	if lineStrength(msg) >= strengthError || len(answerMatches(asciiLower(msg))) > 0 {
		return at
	}
	return -1
}

// toolErrorTags open the tool's own error inside a wrapper's message.
var toolErrorTags = []string{"Error: ", "error: ", "ERROR: ", "fatal: "}

// toolError is msg from the first tool's error in it (toolErrorTags) short
// enough for room: a wrapper's words often stand between the long path and
// the error ("… --include-crds` failed exit status 1: Error: YAML parse
// error on api/templates/deployment.yaml: …"). msg when there is none.
func toolError(msg string, room int) string {
	for at := 0; at < len(msg); {
		j := -1
		for _, tag := range toolErrorTags {
			if k := strings.Index(msg[at:], tag); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			break
		}
		if at += j; len(msg)-at <= room {
			return msg[at:]
		}
		at++
	}
	return msg
}

// answerSpan is at least the longest httpAnswer match ("temporary failure
// in name resolution").
const answerSpan = 40

// msgKept is how much of the message after a long URL or path the head may
// hold before a plain cut is good enough: a few letters of it say nothing.
const msgKept = 16

// answerStart is where the server answer that a plain cut at cut drops
// starts: the first one after cut, or an earlier one it directly follows
// ("Return code is: 503, ReasonPhrase: Service Unavailable").
func answerStart(s string, cut int) int {
	// Answers that follow one another start near the cut: reading the
	// whole line with the expression costs more than the rest of the cut.
	from := max(0, cut-answerReach, len(s)-2*maxReasonLen-answerReach)
	ms := answerMatches(asciiLower(s[from:]))
	if len(ms) == 0 {
		return cut // the dropped part's answer starts at the cut itself
	}
	for _, m := range ms {
		m[0] += from
		m[1] += from
	}
	i := len(ms) - 1
	for i > 0 && ms[i-1][0] >= cut {
		i--
	}
	for i > 0 && ms[i][0]-ms[i-1][1] <= 4 {
		i--
	}
	return ms[i][0]
}

// asciiLower is s with its ASCII letters lowercased and every other byte
// as it was, so that offsets in it are offsets in s.
func asciiLower(s string) string { return string(logtext.ASCIILower(s)) }

// answerReach is how far before the cut answerStart looks for the answers
// the dropped one follows.
const answerReach = 160

// lastLongTokenEnd is where the last word of at least longToken bytes that
// holds a slash (a URL, a path) ends in s; -1 when there is none.
func lastLongTokenEnd(s string) int {
	end := -1
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], ' ')
		w := s[i:]
		if j >= 0 {
			w = s[i : i+j]
		}
		if len(w) >= longToken && strings.ContainsAny(w, `/\`) {
			end = i + len(w)
		}
		if j < 0 {
			break
		}
		i += j + 1
	}
	return end
}

// tailStart moves from back to the start of its clause when that is near
// (after ": ", ". ", "; ", ", " or "> ": "Received status code 502 …"),
// else to the start of its word; onto a rune's first byte; and back to the
// start of a redaction marker it would split.
func tailStart(s string, from int) int {
	lo := max(0, from-40)
	clause := -1
	for _, sep := range []string{": ", ". ", "; ", ", ", "> "} {
		if j := strings.LastIndex(s[lo:from], sep); j >= 0 {
			clause = max(clause, lo+j+len(sep))
		}
	}
	if clause >= 0 {
		from = clause
	} else if j := strings.LastIndexByte(s[max(0, from-24):from], ' '); j >= 0 {
		from = max(0, from-24) + j + 1
	}
	for from < len(s) && !utf8.RuneStart(s[from]) {
		from++
	}
	if o := markerAround(s, from); o >= 0 {
		from = o
	}
	return from
}

// safeCut is the length of a head of s of at most at bytes that splits
// neither a UTF-8 sequence nor a redaction marker.
func safeCut(s string, at int) int {
	for at > 0 && !utf8.RuneStart(s[at]) {
		at--
	}
	if o := markerAround(s, at); o >= 0 {
		at = o
	}
	return at
}

// markerAround is the start of the redaction marker that position at falls
// inside of; -1 when none (redact.MarkerAround).
func markerAround(s string, at int) int {
	o, _ := redact.MarkerAround(s, at)
	return o
}
