package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain text", "plain text"},
		{"<!channel> deploy now", "&lt;!channel&gt; deploy now"},
		{"ping <@U0123ABC>", "ping &lt;@U0123ABC&gt;"},
		{"see <http://evil.example|github.com/acme>", "see &lt;http://evil.example|github.com/acme&gt;"},
		{"<!subteam^S123>", "&lt;!subteam^S123&gt;"},
		{"a & b", "a &amp; b"},
		{"already &lt; escaped", "already &amp;lt; escaped"},
		{"@here and @channel", "@\u200bhere and @\u200bchannel"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		name, in, want string
		max            int
	}{
		{"plain", "npm ERR! code ECONNRESET", "```npm ERR! code ECONNRESET```", 100},
		{"fence inside", "a ```<!channel>``` b", "```a ˋˋˋ&lt;!channel&gt;ˋˋˋ b```", 100},
		{"empty", "", "``` ```", 100},
		{"cut", strings.Repeat("x", 50), "```" + strings.Repeat("x", 13) + "…```", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.in, tt.max); got != tt.want {
				t.Errorf("Code(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 5, "abcd…"},
		{"ab&lt;cd", 5, "ab…"},       // never half an entity
		{"ab&amp;cd", 8, "ab&amp;…"}, // a whole one stays
		{"ééééé", 3, "éé…"},
		{"x", 0, ""},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// unescape reverses Escape's entities, to compare with the input.
var unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "\u200b", "")

// TestEscapeProperties: for any text (a log line, a model's answer),
// Escape leaves no character Slack reads as markup (so no mention,
// broadcast or disguised link), every '&' starts one of its entities, no
// broadcast word survives, and nothing else changes.
func TestEscapeProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.OneOf(
			rapid.String(),
			rapid.StringMatching(`([<>&|@!^]|channel|here|everyone|http://x|U[0-9A-Z]{4}|&(amp|lt|gt);| |a)*`),
		).Draw(t, "in")
		out := Escape(in)
		if strings.ContainsAny(out, "<>") {
			t.Fatalf("Escape(%q) = %q holds < or >", in, out)
		}
		for i := strings.IndexByte(out, '&'); i >= 0; i = nextAmp(out, i) {
			rest := out[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Fatalf("Escape(%q) = %q: a bare & at %d", in, out, i)
			}
		}
		low := strings.ToLower(out)
		for _, w := range []string{"@channel", "@here", "@everyone"} {
			if strings.Contains(low, w) {
				t.Fatalf("Escape(%q) = %q still holds %s", in, out, w)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) is not valid UTF-8", in)
		}
		if utf8.ValidString(in) && !strings.Contains(in, "\u200b") && unescape.Replace(out) != in {
			t.Fatalf("Escape(%q) = %q changes the text itself", in, out)
		}
	})
}

func nextAmp(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '&')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// TestTruncateProperties: Truncate never exceeds its limit, keeps short
// text as is, cuts only at the end, and never leaves half an entity in
// escaped text.
func TestTruncateProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := Escape(rapid.StringMatching(`[a-z<>&é ]{0,80}`).Draw(t, "in"))
		max := rapid.IntRange(0, 100).Draw(t, "max")
		out := Truncate(in, max)
		n := utf8.RuneCountInString(out)
		if n > max {
			t.Fatalf("Truncate(%q, %d) = %q: %d characters", in, max, out, n)
		}
		if utf8.RuneCountInString(in) <= max && out != in {
			t.Fatalf("Truncate(%q, %d) = %q changed short text", in, max, out)
		}
		if out != in && max > 0 && !strings.HasPrefix(in, strings.TrimSuffix(out, ellipsis)) {
			t.Fatalf("Truncate(%q, %d) = %q is not a prefix", in, max, out)
		}
		if strings.Count(out, "&") != strings.Count(out, ";") {
			t.Fatalf("Truncate(%q, %d) = %q cut an entity", in, max, out)
		}
	})
}
