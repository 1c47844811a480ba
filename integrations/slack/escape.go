package slack

import (
	"strings"
	"unicode/utf8"
)

// Block Kit's limits (https://api.slack.com/reference/block-kit). Slack
// rejects a message over any of them (invalid_blocks), so every builder
// cuts text to them; Message.Fit enforces the per-message ones.
const (
	MaxSectionText = 3000  // a section's or a context element's text
	MaxFieldText   = 2000  // one section field
	MaxFields      = 10    // fields per section
	MaxHeaderText  = 150   // a header's plain_text
	MaxBlocks      = 50    // blocks per message
	MaxButtonText  = 75    // a button's label
	MaxButtonValue = 2000  // a button's value
	MaxMessageText = 40000 // the fallback text of chat.postMessage
)

// ellipsis marks text that was cut.
const ellipsis = "…"

// escaper turns the three characters Slack's mrkdwn gives meaning to into
// entities, so text from a log or a model can never become a mention
// (<!channel>, <@U…>, <!subteam^…>) or a disguised link (<url|text>)
// (docs/ARCHITECTURE.md §3.1).
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// broadcasts are the words Slack may turn into an @-mention of everyone even
// without angle brackets; a zero-width space after the @ keeps them words.
var broadcasts = strings.NewReplacer(
	"@channel", "@\u200bchannel", "@here", "@\u200bhere", "@everyone", "@\u200beveryone",
	"@Channel", "@\u200bChannel", "@Here", "@\u200bHere", "@Everyone", "@\u200bEveryone",
	"@CHANNEL", "@\u200bCHANNEL", "@HERE", "@\u200bHERE", "@EVERYONE", "@\u200bEVERYONE",
)

// Escape makes untrusted text (a log line, a model's prose, a branch name)
// safe to place in mrkdwn: no mention, link or broadcast survives it. It
// also drops invalid UTF-8, which Slack rejects.
func Escape(s string) string {
	return broadcasts.Replace(escaper.Replace(strings.ToValidUTF8(s, "\uFFFD")))
}

// fence is what ends a code block; untrusted text must not contain it. A
// backtick inside code is replaced by a look-alike (U+02CB) so the text
// reads the same and cannot close the block or open another.
var backticks = strings.NewReplacer("`", "ˋ")

// Code renders untrusted text as a code block, escaped, with at most max
// characters of its own (the fences are extra), so mrkdwn in it (*bold*,
// _x_, ~y~) is shown as written.
func Code(s string, max int) string {
	body := Truncate(Escape(backticks.Replace(s)), max-6)
	if body == "" {
		body = " "
	}
	return "```" + body + "```"
}

// InlineCode is Code on one line: newlines become spaces.
func InlineCode(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	body := Truncate(Escape(backticks.Replace(s)), max-2)
	if body == "" {
		return ""
	}
	return "`" + body + "`"
}

// Truncate cuts s to at most max characters (runes, as Slack counts),
// ending with "…" when it cut. It never cuts inside an entity (&amp;,
// &lt;, &gt;), so escaped text stays escaped.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	keep := max - 1 // room for the ellipsis
	cut := 0
	for i := range s {
		if keep == 0 {
			cut = i
			break
		}
		keep--
	}
	s = s[:cut]
	// An entity is at most 5 bytes (&amp;): a '&' in the last 4 without its
	// ';' after it was cut in half.
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && len(s)-amp < 5 && !strings.Contains(s[amp:], ";") {
		s = s[:amp]
	}
	return s + ellipsis
}

// oneLine collapses whitespace, for headers and button labels.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
