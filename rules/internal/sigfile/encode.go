package sigfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Encode writes sigs as one family file, header (comment lines, without
// "# ") first. It writes its own YAML rather than a generic encoder's so
// every regular expression and log line reads as written: single-quoted
// (no backslash escaping) unless a control character needs double quotes.
func Encode(header []string, sigs []Signature) ([]byte, error) {
	var b strings.Builder
	for _, h := range header {
		b.WriteString(strings.TrimRight("# "+h, " ") + "\n")
	}
	for i, s := range sigs {
		if i > 0 || len(header) > 0 {
			b.WriteString("\n")
		}
		w := &writer{b: &b}
		w.field("- ", "name", s.Name)
		w.field("  ", "category", s.Category)
		w.field("  ", "tier", s.Tier)
		fmt.Fprintf(&b, "  risk: %d\n  effort: %s\n  confidence: %d\n", s.Risk, w.scalar(s.Effort), s.Confidence)
		for _, f := range []struct {
			key string
			on  bool
		}{{"transient", s.Transient}, {"weak", s.Weak}, {"flaky_evidence", s.Flaky}, {"tests", s.Tests}, {"assertion", s.Assertion}} {
			if f.on {
				fmt.Fprintf(&b, "  %s: true\n", f.key)
			}
		}
		if s.Component != "" {
			w.field("  ", "component", s.Component)
		}
		if s.Extract != "" {
			w.field("  ", "extract", s.Extract)
		}
		if len(s.Actions) > 0 {
			b.WriteString("  actions: [" + strings.Join(quoteAll(w, s.Actions), ", ") + "]\n")
		}
		b.WriteString("  fix:\n")
		for _, f := range s.Fix {
			b.WriteString("    - " + w.scalar(f) + "\n")
		}
		b.WriteString("  patterns:\n")
		for _, p := range s.Patterns {
			w.field("    - ", "match", p.Match)
			if p.Not != "" {
				w.field("      ", "not", p.Not)
			}
			if p.Note != "" {
				w.field("      ", "note", p.Note)
			}
			if len(p.Examples) > 0 {
				b.WriteString("      examples:\n")
				for _, e := range p.Examples {
					w.field("        - ", "line", e.Line)
					w.field("          ", "url", e.URL)
				}
			}
		}
		if w.err != nil {
			return nil, fmt.Errorf("signature %q: %w", s.Name, w.err)
		}
	}
	return []byte(b.String()), nil
}

type writer struct {
	b   *strings.Builder
	err error
}

func (w *writer) field(indent, key, value string) {
	w.b.WriteString(indent + key + ": " + w.scalar(value) + "\n")
}

func quoteAll(w *writer, vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = w.scalar(v)
	}
	return out
}

// plainSafe are strings YAML reads back unchanged without quotes: words,
// identifiers and URLs that cannot be mistaken for another type.
var plainSafe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_./@+-]*(?::[A-Za-z0-9_./@+?=&%-]+)*$`)

var yamlWords = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "null": true, "y": true, "n": true}

func (w *writer) scalar(s string) string {
	switch {
	case !utf8.ValidString(s):
		w.err = fmt.Errorf("%q is not UTF-8, which YAML cannot hold", s)
		return `""`
	case plainSafe.MatchString(s) && !yamlWords[strings.ToLower(s)]:
		return s
	case strings.IndexFunc(s, needsEscape) < 0:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			q := strconv.QuoteRuneToASCII(r) // '\u00a0'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// needsEscape: a character a single-quoted scalar cannot carry verbatim
// (controls, and invisible or non-printing characters a reader would not
// see).
func needsEscape(r rune) bool {
	return r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && !unicode.IsPrint(r) && r != ' ')
}
