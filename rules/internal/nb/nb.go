// Package nb is a multinomial naive Bayes text classifier, small enough to
// explain: the rules' unknown answer guesses a category from the words of
// the failing lines with it (rules/guess.go), trained on the labelled
// visible logs by rules/internal/trainguess. Nothing here knows about
// logs: words in, category and the words that decided it out.
//
// Each document counts a token once (binary multinomial naive Bayes): a
// word repeated on fifty failing lines of one log says no more about its
// category than once, and lets one long log outweigh many short ones.
package nb

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Model is the trained classifier as it is stored: per class, how many
// training documents it had and, per token, in how many of them the token
// occurred. Additive smoothing (Alpha) over the kept vocabulary.
type Model struct {
	// Bigrams says whether the tokenizer added word pairs; the runtime
	// must tokenize as the trainer did.
	Bigrams bool `json:"bigrams"`
	Stop    bool `json:"stop"` // the tokenizer dropped stopwords
	// Alpha is the additive smoothing: larger, a word seen in a few logs
	// of one class weighs less (six logs are not a law).
	Alpha   float64    `json:"alpha"`
	Classes []string   `json:"classes"`
	Docs    []int      `json:"docs"`   // training documents per class
	Totals  []int      `json:"totals"` // token occurrences per class, kept tokens only
	Tokens  [][]string `json:"tokens"` // rows: token, then its count per class in hex ("" for 0)

	counts map[string][]int // decoded Tokens
}

// Train counts tokens per class. docs[i] is the token list of a document
// of class labels[i]; tokens in fewer than minDocs documents overall are
// dropped (they cannot generalize and would only grow the file).
func Train(docs [][]string, labels []string, bigrams, stop bool, alpha float64, minDocs int) *Model {
	classIdx := map[string]int{}
	var classes []string
	for _, l := range labels {
		if _, ok := classIdx[l]; !ok {
			classIdx[l] = -1
			classes = append(classes, l)
		}
	}
	sort.Strings(classes)
	for i, c := range classes {
		classIdx[c] = i
	}
	m := &Model{Bigrams: bigrams, Stop: stop, Alpha: alpha, Classes: classes, Docs: make([]int, len(classes)), Totals: make([]int, len(classes)), counts: map[string][]int{}}
	df := map[string]int{}
	per := map[string][]int{}
	for i, d := range docs {
		c := classIdx[labels[i]]
		m.Docs[c]++
		for _, t := range unique(d) {
			df[t]++
			if per[t] == nil {
				per[t] = make([]int, len(classes))
			}
			per[t][c]++
		}
	}
	for t, n := range df {
		if n < minDocs {
			continue
		}
		m.counts[t] = per[t]
		for c, k := range per[t] {
			m.Totals[c] += k
		}
	}
	m.encode()
	return m
}

func unique(toks []string) []string {
	s := slices.Clone(toks)
	slices.Sort(s)
	return slices.Compact(s)
}

// encode fills Tokens from counts, sorted, for a stable file.
func (m *Model) encode() {
	m.Tokens = m.Tokens[:0]
	for t, cs := range m.counts {
		row := []string{t}
		for _, k := range cs {
			if k == 0 {
				row = append(row, "")
			} else {
				row = append(row, fmt.Sprintf("%x", k))
			}
		}
		m.Tokens = append(m.Tokens, row)
	}
	slices.SortFunc(m.Tokens, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
}

// Load decodes a model Marshal wrote.
func Load(data []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("nb: decode model: %w", err)
	}
	n := len(m.Classes)
	if len(m.Docs) != n || len(m.Totals) != n || n == 0 || m.Alpha <= 0 {
		return nil, fmt.Errorf("nb: model has %d classes, %d doc counts, %d totals, alpha %g", n, len(m.Docs), len(m.Totals), m.Alpha)
	}
	m.counts = make(map[string][]int, len(m.Tokens))
	for _, row := range m.Tokens {
		if len(row) != n+1 {
			return nil, fmt.Errorf("nb: token row %q has %d fields, want %d", row, len(row), n+1)
		}
		cs := make([]int, n)
		for i, f := range row[1:] {
			if f == "" {
				continue
			}
			if _, err := fmt.Sscanf(f, "%x", &cs[i]); err != nil {
				return nil, fmt.Errorf("nb: token %q count %q: %w", row[0], f, err)
			}
		}
		m.counts[row[0]] = cs
	}
	return &m, nil
}

// Marshal is the model's file: one token row per line, so a diff of a
// retrained model reads.
func (m *Model) Marshal() []byte {
	var b strings.Builder
	head, _ := json.Marshal(struct {
		Bigrams bool     `json:"bigrams"`
		Stop    bool     `json:"stop"`
		Alpha   float64  `json:"alpha"`
		Classes []string `json:"classes"`
		Docs    []int    `json:"docs"`
		Totals  []int    `json:"totals"`
	}{m.Bigrams, m.Stop, m.Alpha, m.Classes, m.Docs, m.Totals})
	b.Write(head[:len(head)-1])
	b.WriteString(`,"tokens":[`)
	for i, row := range m.Tokens {
		if i > 0 {
			b.WriteByte(',')
		}
		r, _ := json.Marshal(row)
		b.WriteString("\n")
		b.Write(r)
	}
	b.WriteString("\n]}\n")
	return []byte(b.String())
}

// Guess is a prediction: the class, its posterior probability, and the
// known tokens that spoke most for it over the other classes.
type Guess struct {
	Class     string
	Posterior float64
	Words     []string
}

// Predict scores toks. Unknown tokens are ignored; with no known token the
// guess is the prior's and Words is empty. boost multiplies a class's
// prior (a class the caller prefers when in doubt); nil for none.
func (m *Model) Predict(toks []string, boost map[string]float64) Guess {
	n := len(m.Classes)
	total := 0
	for _, d := range m.Docs {
		total += d
	}
	vocab := float64(len(m.counts))
	score := make([]float64, n)
	for c := range n {
		score[c] = math.Log(float64(m.Docs[c]) / float64(total))
		if b, ok := boost[m.Classes[c]]; ok && b > 0 {
			score[c] += math.Log(b)
		}
	}
	known := unique(toks)
	known = slices.DeleteFunc(known, func(t string) bool { return m.counts[t] == nil })
	for _, t := range known {
		cs := m.counts[t]
		for c := range n {
			score[c] += m.logP(cs[c], c, vocab)
		}
	}
	best := 0
	for c := range n {
		if score[c] > score[best] {
			best = c
		}
	}
	sum := 0.0
	for c := range n {
		sum += math.Exp(score[c] - score[best])
	}
	g := Guess{Class: m.Classes[best], Posterior: 1 / sum}
	// Words: the tokens whose likelihood under the guess most exceeds
	// their mean likelihood under the other classes.
	type lr struct {
		t string
		r float64
	}
	var lrs []lr
	for _, t := range known {
		if strings.Contains(t, "_") {
			continue // a pair repeats its words: quote words
		}
		cs := m.counts[t]
		other := 0.0
		for c := range n {
			if c != best {
				other += math.Exp(m.logP(cs[c], c, vocab))
			}
		}
		r := m.logP(cs[best], best, vocab) - math.Log(other/float64(n-1))
		if r > 0 {
			lrs = append(lrs, lr{t, r})
		}
	}
	sort.SliceStable(lrs, func(i, j int) bool { return lrs[i].r > lrs[j].r })
	for _, x := range lrs[:min(3, len(lrs))] {
		g.Words = append(g.Words, x.t)
	}
	return g
}

func (m *Model) logP(k, c int, vocab float64) float64 {
	return math.Log((float64(k) + m.Alpha) / (float64(m.Totals[c]) + m.Alpha*vocab))
}
