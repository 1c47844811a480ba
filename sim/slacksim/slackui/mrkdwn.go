package slackui

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// names resolves the IDs Slack markup mentions: users and channels.
type names struct {
	users    map[string]string
	channels map[string]string // ID -> name
}

// Every piece of text below comes from the simulator, which is to say
// from CI logs, commit messages and people: hostile. Each function here
// returns HTML in which every character of the input has been escaped by
// html.EscapeString; markup is only ever added around escaped text.

// plainHTML renders a plain_text object: no markup, emoji names shown.
func plainHTML(text string) string {
	return emoji(html.EscapeString(clean(text)))
}

// clean drops NUL, which mrkdwnHTML uses to mark its placeholders, and
// invalid UTF-8.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// unescapeSlack decodes the three entities Slack text carries (&lt; &gt;
// &amp;): what they stand for is text, which is escaped again for HTML.
var unescapeSlack = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// token finds what must not be formatted as text: ```code blocks```,
// `inline code` and <links|mentions>.
// A code block takes the line break after it: the block ends the line.
var token = regexp.MustCompile("(?s)```.*?```\n?|`[^`\n]+`|<[^<>\n]*>")

// mrkdwnHTML renders Slack mrkdwn as Slack shows it: *bold*, _italic_,
// ~strike~, `code`, ```code blocks```, > quotes, <url|label> links,
// <@U..> and <#C..> mentions, :emoji:. Tokens become NUL-delimited
// placeholders while the text around them is escaped and formatted, so a
// bold span may hold a link and no formatting reaches inside code.
func (n names) mrkdwnHTML(text string) string {
	text = clean(text)
	var parts []string
	text = token.ReplaceAllStringFunc(text, func(t string) string {
		parts = append(parts, n.tokenHTML(t))
		return "\x00" + strconv.Itoa(len(parts)-1) + "\x00"
	})
	out := formatText(html.EscapeString(unescapeSlack.Replace(text)))
	return placeholder.ReplaceAllStringFunc(out, func(p string) string {
		i, err := strconv.Atoi(p[1 : len(p)-1])
		if err != nil || i >= len(parts) {
			return "" // unreachable: clean removed every NUL of the input
		}
		return parts[i]
	})
}

var placeholder = regexp.MustCompile("\x00[0-9]+\x00")

func (n names) tokenHTML(t string) string {
	switch {
	case strings.HasPrefix(t, "```"):
		t = strings.TrimSuffix(t, "\n")
		code := strings.TrimPrefix(t[3:len(t)-3], "\n")
		return `<pre class="code">` + html.EscapeString(unescapeSlack.Replace(code)) + `</pre>`
	case strings.HasPrefix(t, "`"):
		return `<code>` + html.EscapeString(unescapeSlack.Replace(t[1:len(t)-1])) + `</code>`
	}
	return n.linkHTML(t[1 : len(t)-1])
}

// linkHTML renders what sits between < and >.
func (n names) linkHTML(inner string) string {
	target, label, hasLabel := strings.Cut(inner, "|")
	label = unescapeSlack.Replace(label)
	mention := func(s string) string {
		return `<span class="mention">` + html.EscapeString(s) + `</span>`
	}
	switch {
	case strings.HasPrefix(target, "@"):
		if name, ok := n.users[target[1:]]; ok {
			return mention("@" + name)
		}
		if hasLabel {
			return mention("@" + strings.TrimPrefix(label, "@"))
		}
		return mention(target)
	case strings.HasPrefix(target, "#"):
		if name, ok := n.channels[target[1:]]; ok {
			return mention("#" + name)
		}
		if hasLabel {
			return mention("#" + label)
		}
		return mention(target)
	case strings.HasPrefix(target, "!subteam^"):
		if hasLabel {
			return mention(label)
		}
		return mention("@" + strings.TrimPrefix(target, "!subteam^"))
	case strings.HasPrefix(target, "!date^") && hasLabel:
		// The fallback is what a client that cannot format dates shows.
		return html.EscapeString(label)
	case target == "!here" || target == "!channel" || target == "!everyone":
		return `<span class="mention broadcast">@` + html.EscapeString(target[1:]) + `</span>`
	case safeHref.MatchString(target):
		text := unescapeSlack.Replace(target)
		if hasLabel {
			text = label
		}
		return `<a href="` + html.EscapeString(unescapeSlack.Replace(target)) + `" target="_blank" rel="noopener noreferrer">` +
			html.EscapeString(text) + `</a>`
	}
	// Not markup Slack knows (a raw "<script>" that was never escaped):
	// show it as it was written.
	return html.EscapeString("<" + unescapeSlack.Replace(inner) + ">")
}

// safeHref accepts the schemes a link may have; javascript: and data:
// never become links.
var safeHref = regexp.MustCompile(`^(?i:https?://|mailto:)[^\s"'<>]*$`)

var (
	// A marker opens after the start, a space or punctuation and closes
	// before the end, a space or punctuation, as in Slack: snake_case
	// and 2*3*4 stay as they are. \x00 is a placeholder's edge.
	before  = "(^|[\\s\\x00(\\[{'\"“‘.,;:!?/-])"
	after   = "($|[\\s\\x00)\\]}'\"”’.,;:!?/-])"
	boldRE  = regexp.MustCompile(before + `\*([^*\s](?:[^*\n]*[^*\s])?)\*` + after)
	italRE  = regexp.MustCompile(before + `_([^_\s](?:[^_\n]*[^_\s])?)_` + after)
	strikRE = regexp.MustCompile(before + `~([^~\s](?:[^~\n]*[^~\s])?)~` + after)
	quoteRE = regexp.MustCompile(`(?m)^&gt; ?(.*)$`)
	emojiRE = regexp.MustCompile(`:([a-z0-9_+-]+):`)
)

// formatText applies the text markup to already escaped text.
func formatText(s string) string {
	s = emoji(s)
	for _, f := range []struct {
		re  *regexp.Regexp
		tag string
	}{{boldRE, "b"}, {italRE, "i"}, {strikRE, "s"}} {
		// Twice: adjacent spans share the separator between them, which
		// the first pass consumes.
		for range 2 {
			s = f.re.ReplaceAllString(s, "$1<"+f.tag+">$2</"+f.tag+">$3")
		}
	}
	return quoteRE.ReplaceAllString(s, `<span class="quote">$1</span>`)
}

// emoji shows the names ccm uses as the emoji Slack would draw; others
// stay as :name:.
func emoji(s string) string {
	return emojiRE.ReplaceAllStringFunc(s, func(m string) string {
		if e, ok := emojis[m[1:len(m)-1]]; ok {
			return e
		}
		return m
	})
}

var emojis = map[string]string{
	"white_check_mark": "✅", "x": "❌", "warning": "⚠️", "rotating_light": "🚨",
	"hourglass": "⌛", "hourglass_flowing_sand": "⏳", "wrench": "🔧", "repeat": "🔁",
	"raising_hand": "🙋", "no_entry": "⛔", "mag": "🔍", "information_source": "ℹ️",
	"eyes": "👀", "delivery": "🚚", "brain": "🧠", "white_circle": "⚪",
	"leftwards_arrow_with_hook": "↩️", "arrows_counterclockwise": "🔄",
	"red_circle": "🔴", "large_green_circle": "🟢", "tada": "🎉", "fire": "🔥",
	"heavy_check_mark": "✔️", "lock": "🔒", "robot_face": "🤖", "zap": "⚡",
}
