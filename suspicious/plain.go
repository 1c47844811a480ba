package suspicious

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/logtext"
)

// What a model reads is not what a person sees: the text is made plain and
// read two lines at a time before the rules run (see findSuspicious).

// paired is text seen two lines at a time: its line i is line i of the
// original, a space, and line i+1 without its runner timestamp. A match
// belongs to line i when it starts in line i's own part; one that starts
// later is line i+1's, found on its own pair.
type paired struct {
	text  string
	low   []byte
	lines []pairLine
}

type pairLine struct{ at, own, orig int } // pair start in text, own part's length, line start in the original

func pairLines(t string) paired {
	var b strings.Builder
	b.Grow(2*len(t) + 1)
	var lines []pairLine
	for start := 0; ; {
		end := lineEnd(t, start)
		lines = append(lines, pairLine{at: b.Len(), own: end - start, orig: start})
		b.WriteString(t[start:end])
		if end == len(t) {
			break
		}
		b.WriteByte(' ')
		b.WriteString(withoutTimestamp(t[end+1 : lineEnd(t, end+1)]))
		b.WriteByte('\n')
		start = end + 1
	}
	text := b.String()
	return paired{text: text, low: logtext.ASCIILower(text), lines: lines}
}

// lineAt is the pair holding offset i of p.text.
func (p paired) lineAt(i int) pairLine {
	n, _ := slices.BinarySearchFunc(p.lines, i, func(l pairLine, i int) int { return cmp.Compare(l.at, i) })
	if n == len(p.lines) || p.lines[n].at > i {
		n--
	}
	return p.lines[n]
}

// withoutTimestamp drops GitHub's "2024-05-01T10:00:00.1234567Z " from the
// start of a line, so that a phrase continued on the next line of a raw
// runner log reads on.
func withoutTimestamp(line string) string {
	if len(line) > 20 && line[4] == '-' && line[7] == '-' && line[10] == 'T' {
		if i := strings.IndexByte(line, ' '); i > 19 && line[i-1] == 'Z' {
			return line[i+1:]
		}
	}
	return line
}

// flattenBlanks drops characters that render as nothing (so
// "ig\u200bnore previous instructions" is still caught; tag characters
// too, findSuspicious also reads them decoded), reads fullwidth ASCII as
// ASCII (NFKC would fold more, but golang.org/x/text is not a dependency),
// and makes every run of blanks, tabs and Unicode spaces one ASCII space,
// so the keys and patterns need to know one kind of letter and space.
// Line breaks stay.
func flattenBlanks(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	blank := false
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // fullwidth ! to ~
			r -= 0xFEE0
		}
		switch {
		case r == '\n':
			blank = false
			b.WriteByte('\n')
		case unicode.IsSpace(r):
			if !blank {
				b.WriteByte(' ')
			}
			blank = true
		case invisible(r):
			continue
		default:
			blank = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// invisible reports a character that renders as nothing: a format
// character (Cf: zero-width spaces and joiners, bidi controls, the soft
// hyphen, invisible operators, the tag characters), the combining grapheme
// joiner, a variation selector, or a Hangul filler.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || r == '\u034f' ||
		r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF ||
		r >= 0xE0000 && r <= 0xE007F ||
		r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0'
}

// hasTags reports whether s holds a character of the tag block
// (U+E0000-U+E007F, encoded F3 A0 80 xx or F3 A0 81 xx).
func hasTags(s string) bool {
	return strings.Contains(s, "\xf3\xa0\x80") || strings.Contains(s, "\xf3\xa0\x81")
}

// revealTags spells tag characters U+E0020-U+E007E as the ASCII they
// stand for, each run set off by spaces so it reads as its own words.
func revealTags(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inRun := false
	for _, r := range s {
		tag := r >= 0xE0020 && r <= 0xE007E
		if tag != inRun {
			b.WriteByte(' ')
			inRun = tag
		}
		if tag {
			r -= 0xE0000
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lineEnd is the end of the line holding offset i.
func lineEnd(t string, i int) int {
	if j := strings.IndexByte(t[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(t)
}

// suspiciousLine returns the line holding the match [ms, me), trimmed and
// cut to a maxLine window that keeps the match in view.
func suspiciousLine(t string, ms, me int) string {
	start := strings.LastIndexByte(t[:ms], '\n') + 1
	end := lineEnd(t, ms)
	if end-start > maxLine {
		if me-start > maxLine {
			start = max(start, ms-maxLine/3)
		}
		end = min(end, start+maxLine)
		for start > 0 && start < len(t) && !utf8.RuneStart(t[start]) {
			start--
		}
		for end < len(t) && !utf8.RuneStart(t[end]) {
			end--
		}
	}
	return strings.ToValidUTF8(strings.TrimSpace(t[start:end]), "\uFFFD")
}
