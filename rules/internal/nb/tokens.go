package nb

import "strings"

// Tokenize splits text into lowercase words of letters: digits, hex
// hashes, punctuation and path separators split words and vanish, so
// "/home/runner/work/x/y.go:12" is "home runner work", "sha256:9f3c…" is
// "sha" (ids and line numbers never repeat across logs: they only add
// noise). Words of one letter and longer than maxWord letters are dropped
// (a long run of letters is a base64 blob, not a word). With bigrams,
// each pair of words adjacent on a line once the stopwords are dropped is
// added as "a_b": "not found" says more than "not" and "found", and "not
// be found" pairs as "not_found" too (the committed model was trained so).
// A word dropped for its length or as a hash breaks the pair; numbers and
// punctuation, which only split words, do not. With stop, English
// function words ("the", "with", "up") are dropped first: on a two-line
// log they would otherwise decide the guess by chance. Negations stay
// ("not found").
func Tokenize(text string, bigrams, stop bool) []string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		prev := ""
		for _, w := range strings.FieldsFunc(line, notLetter) {
			w = strings.ToLower(w)
			if len(w) < 2 || len(w) > maxWord || hexLike(w) {
				prev = ""
				continue
			}
			if stop && stopwords[w] {
				continue
			}
			out = append(out, w)
			if bigrams && prev != "" {
				out = append(out, prev+"_"+w)
			}
			prev = w
		}
	}
	return out
}

const maxWord = 24

func notLetter(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

// hexLike reports a run of hex letters long enough to be a piece of a
// hash ("deadbeef", "fabcdeb") rather than a word: 7 or more letters, all
// a-f. English has few such words ("defaced", "effaced").
func hexLike(w string) bool {
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

// stopwords are English function words, without the negations.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if then else of to in on at by for from with
		without into onto up down out over under as is are was were be been being am do does did done
		has have had having it its this that these those there here he she they we you your our their
		his her them us me my i so such than too very can will would should could may might must shall
		just also about after before again all any both each few more most other some own same only
		which who whom what when where why how while during until because through above below between`) {
		m[w] = true
	}
	return m
}()
