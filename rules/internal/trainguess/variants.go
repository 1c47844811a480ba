package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// learners are the variants -model-only compares, the committed one first.
func learners() []learner {
	ls := []learner{committed()}
	for _, o := range []tokOpts{
		{nums: true},
		{exits: true},
		{classes: true},
		{camel: 1},
		{camel: 2},
		{unicode: true},
		{unicode: true, ngrams: true},
		{nums: true, exits: true, classes: true, camel: 2, unicode: true, ngrams: true},
		{exits: true, camel: 2, unicode: true, ngrams: true},
	} {
		o := o
		l := committed()
		l.name = "tokens " + o.String()
		l.tokenize = func(s string) []string { return tokenizeV(s, o) }
		ls = append(ls, l)
	}
	for _, o := range []wnbOpts{{}, {idf: true}, {norm: true}, {idf: true, norm: true}, {complement: true}} {
		l := committed()
		l.name = "weighted NB " + fmtW(o)
		l.fit = fitWNB(o)
		ls = append(ls, l)
	}
	for _, a := range []float64{0.1, 0.3, 2} {
		o := wnbOpts{idf: true, norm: true, alpha: a}
		l := committed()
		l.name = "weighted NB " + fmtW(o)
		l.fit = fitWNB(o)
		ls = append(ls, l)
	}
	{
		o := wnbOpts{idf: true, norm: true}
		t := tokOpts{exits: true, camel: 2, unicode: true, ngrams: true}
		l := committed()
		l.name = "weighted NB " + fmtW(o) + " tokens " + t.String()
		l.fit = fitWNB(o)
		l.tokenize = func(s string) []string { return tokenizeV(s, t) }
		ls = append(ls, l)
		r := committed()
		r.name = "committed + reason alone as a second training text"
		r.extra = reasonAlone
		ls = append(ls, r)
		r2 := l
		r2.name = "weighted NB idf+norm + reason alone as a second training text"
		r2.tokenize = committed().tokenize
		r2.extra = reasonAlone
		ls = append(ls, r2)
	}
	for _, t := range []tokOpts{{camel: 2}, {classes: true}, {exits: true, camel: 2}, {classes: true, camel: 2}} {
		t := t
		o := wnbOpts{idf: true, norm: true}
		l := committed()
		l.name = "weighted NB " + fmtW(o) + " tokens " + t.String()
		l.fit = fitWNB(o)
		l.tokenize = func(s string) []string { return tokenizeV(s, t) }
		ls = append(ls, l)
	}
	{
		t := tokOpts{camel: 2}
		r := committed()
		r.name = "committed + reason alone, tokens " + t.String()
		r.extra = reasonAlone
		r.tokenize = func(s string) []string { return tokenizeV(s, t) }
		ls = append(ls, r)
		o := wnbOpts{idf: true, norm: true, alpha: 0.6}
		l := committed()
		l.name = "weighted NB " + fmtW(o)
		l.fit = fitWNB(o)
		ls = append(ls, l)
	}
	for _, c := range []int{0, 2} {
		c := c
		l := committed()
		l.name = fmt.Sprintf("committed, context %d", c)
		l.context = &c
		ls = append(ls, l)
		o := wnbOpts{idf: true, norm: true}
		l2 := l
		l2.name = "weighted NB " + fmtW(o) + fmt.Sprintf(", context %d", c)
		l2.fit = fitWNB(o)
		ls = append(ls, l2)
	}
	for _, lam := range []float64{1e-2, 1e-3, 1e-4} {
		l := committed()
		l.name = "logistic regression lambda=" + strconv.FormatFloat(lam, 'g', -1, 64)
		l.fit = fitLR(lam, 500, 2.0)
		ls = append(ls, l)
	}
	return ls
}

func fmtW(o wnbOpts) string {
	if o.alpha == 0 {
		o.alpha = alpha
	}
	return fmt.Sprintf("idf=%v norm=%v complement=%v alpha=%g", o.idf, o.norm, o.complement, o.alpha)
}

// tokOpts are the tokenizer variants tried.
type tokOpts struct {
	nums    bool // numbers become <num>
	exits   bool // exit codes and signals of a killed process become tokens (<n137>)
	classes bool // URLs, paths, hex ids become <url>, <path>, <hex>
	camel   int  // 1: camelCase and snake_case words split into their parts; 2: parts added to the whole
	unicode bool // letters of any script are letters
	ngrams  bool // words of a non-Latin script become character pairs
}

func (o tokOpts) String() string {
	var b []string
	add := func(ok bool, s string) {
		if ok {
			b = append(b, s)
		}
	}
	add(o.nums, "nums")
	add(o.exits, "exits")
	add(o.classes, "classes")
	add(o.camel == 1, "camel-split")
	add(o.camel == 2, "camel-add")
	add(o.unicode, "unicode")
	add(o.ngrams, "char-pairs")
	return strings.Join(b, "+")
}

var (
	reURL  = regexp.MustCompile(`https?://\S+`)
	rePath = regexp.MustCompile(`(?:[A-Za-z]:)?(?:[\w.-]*/){2,}[\w.-]*`)
	reHex  = regexp.MustCompile(`\b[0-9a-fA-F]*[0-9][0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b`)
	reExit = regexp.MustCompile(`\b(124|125|126|127|130|134|137|139|143)\b`)
)

// tokenizeV is nb.Tokenize with the variant's changes; with none it
// gives the same tokens.
func tokenizeV(text string, o tokOpts) []string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		var extra []string
		if o.classes {
			line = reURL.ReplaceAllString(line, " xurlx ")
			line = rePath.ReplaceAllString(line, " xpathx ")
			line = reHex.ReplaceAllStringFunc(line, func(s string) string {
				if len(s) >= 7 {
					return " xhexx "
				}
				return s
			})
		}
		if o.exits {
			for _, m := range reExit.FindAllString(line, -1) {
				extra = append(extra, "<n"+m+">")
			}
		}
		prev := ""
		for _, f := range fields(line, o) {
			if f.num {
				if o.nums {
					out = append(out, "<num>")
				}
				continue
			}
			words := []string{f.w}
			if o.camel > 0 {
				if parts := splitCamel(f.w); len(parts) > 1 {
					if o.camel == 1 {
						words = parts
					} else {
						words = append(words, parts...)
					}
				}
			}
			for _, w := range words {
				w = strings.ToLower(w)
				if o.ngrams && !isLatin(w) {
					r := []rune(w)
					for i := 0; i+1 < len(r); i++ {
						out = append(out, string(r[i:i+2]))
					}
					if len(r) == 1 {
						out = append(out, w)
					}
					prev = ""
					continue
				}
				if len(w) < 2 || len(w) > maxWordV || hexLikeV(w) {
					prev = ""
					continue
				}
				if stopwordsV(w) {
					continue
				}
				out = append(out, w)
				if prev != "" {
					out = append(out, prev+"_"+w)
				}
				prev = w
			}
		}
		out = append(out, extra...)
	}
	return out
}

const maxWordV = 24

type field struct {
	w   string
	num bool
}

// fields splits a line as nb.Tokenize does (letters), numbers kept as
// their own fields.
func fields(line string, o tokOpts) []field {
	var out []field
	isL := func(r rune) bool {
		if o.unicode {
			return unicode.IsLetter(r)
		}
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	start, kind := -1, 0 // kind 1 letters, 2 digits
	flush := func(end int) {
		if start >= 0 {
			out = append(out, field{line[start:end], kind == 2})
		}
		start, kind = -1, 0
	}
	for i, r := range line {
		k := 0
		if isL(r) {
			k = 1
		} else if r >= '0' && r <= '9' {
			k = 2
		}
		if k != kind {
			flush(i)
			if k != 0 {
				start, kind = i, k
			}
		}
	}
	flush(len(line))
	return out
}

func splitCamel(w string) []string {
	var parts []string
	start := 0
	r := []rune(w)
	for i := 1; i < len(r); i++ {
		if unicode.IsUpper(r[i]) && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			parts = append(parts, string(r[start:i]))
			start = i
		}
	}
	return append(parts, string(r[start:]))
}

func isLatin(w string) bool {
	for _, r := range w {
		if r > unicode.MaxLatin1 && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

func hexLikeV(w string) bool {
	if len(w) < 7 {
		return false
	}
	for i := range len(w) {
		if w[i] < 'a' || w[i] > 'f' {
			return false
		}
	}
	return true
}

// stopwordsV asks nb's list: a one-word text tokenizes to nothing when
// the word is a stopword.
func stopwordsV(w string) bool {
	return len(nb.Tokenize(w, false, true)) == 0 && len(nb.Tokenize(w, false, false)) == 1
}

// reasonAlone is a log's reason, the line ccm shows first.
func reasonAlone(e example) []string {
	if e.in.Reason == "" {
		return nil
	}
	return []string{e.in.Reason}
}
