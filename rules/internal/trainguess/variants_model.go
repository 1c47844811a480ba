package main

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules"
	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// Model variants tried by -model-only: a weighted multinomial naive Bayes
// (TF-IDF weights, length normalization, complement) and an L2 logistic
// regression, over the committed tokens.

type wnb struct {
	classes []string
	prior   []float64
	logp    map[string][]float64
	idf     map[string]float64
	opts    wnbOpts
}

type wnbOpts struct {
	idf, norm, complement bool
	alpha                 float64 // 0: the committed alpha
}

func fitWNB(o wnbOpts) func(docs [][]string, labels []string) predictor {
	return func(docs [][]string, labels []string) predictor {
		classes := slices.Compact(slices.Sorted(slices.Values(slices.Clone(labels))))
		ci := map[string]int{}
		for i, c := range classes {
			ci[c] = i
		}
		df := map[string]int{}
		for _, d := range docs {
			for _, t := range uniq(d) {
				df[t]++
			}
		}
		idf := map[string]float64{}
		for t, n := range df {
			if n >= minDocs {
				idf[t] = math.Log(float64(len(docs)) / float64(n))
			}
		}
		cnt := map[string][]float64{}
		tot := make([]float64, len(classes))
		ndocs := make([]float64, len(classes))
		for i, d := range docs {
			c := ci[labels[i]]
			ndocs[c]++
			u := slices.DeleteFunc(uniq(d), func(t string) bool { _, ok := idf[t]; return !ok })
			norm := 1.0
			if o.norm && len(u) > 0 {
				s := 0.0
				for _, t := range u {
					s += wt(o, idf, t) * wt(o, idf, t)
				}
				norm = math.Sqrt(s)
			}
			for _, t := range u {
				if cnt[t] == nil {
					cnt[t] = make([]float64, len(classes))
				}
				v := wt(o, idf, t) / norm
				cnt[t][c] += v
				tot[c] += v
			}
		}
		a := alpha
		if o.alpha > 0 {
			a = o.alpha
		}
		m := &wnb{classes: classes, logp: map[string][]float64{}, idf: idf, opts: o}
		all := 0.0
		for _, n := range ndocs {
			all += n
		}
		for c := range classes {
			m.prior = append(m.prior, math.Log(ndocs[c]/all))
		}
		v := float64(len(cnt))
		totAll := 0.0
		for _, x := range tot {
			totAll += x
		}
		for t, cs := range cnt {
			lp := make([]float64, len(classes))
			sumT := 0.0
			for _, x := range cs {
				sumT += x
			}
			for c := range classes {
				if o.complement {
					lp[c] = -math.Log((sumT - cs[c] + a) / (totAll - tot[c] + a*v))
				} else {
					lp[c] = math.Log((cs[c] + a) / (tot[c] + a*v))
				}
			}
			m.logp[t] = lp
		}
		return m
	}
}

func wt(o wnbOpts, idf map[string]float64, t string) float64 {
	if o.idf {
		return idf[t]
	}
	return 1
}

func uniq(toks []string) []string {
	s := slices.Clone(toks)
	slices.Sort(s)
	return slices.Compact(s)
}

func (m *wnb) predict(toks []string) nb.Guess {
	score := slices.Clone(m.prior)
	for c, cl := range m.classes {
		if cl == string(analysis.CategoryCode) {
			score[c] += math.Log(rules.DefaultGuessCodeBoost)
		}
	}
	known := slices.DeleteFunc(uniq(toks), func(t string) bool { return m.logp[t] == nil })
	for _, t := range known {
		for c := range m.classes {
			score[c] += wt(m.opts, m.idf, t) * m.logp[t][c]
		}
	}
	return guessFrom(m.classes, score, known, func(t string, c int) float64 { return m.logp[t][c] })
}

// guessFrom turns class scores (log odds) into a guess, with the words
// whose weight for the winner most exceeds their mean for the others.
func guessFrom(classes []string, score []float64, known []string, w func(t string, c int) float64) nb.Guess {
	best := 0
	for c := range score {
		if score[c] > score[best] {
			best = c
		}
	}
	sum := 0.0
	for c := range score {
		sum += math.Exp(score[c] - score[best])
	}
	g := nb.Guess{Class: classes[best], Posterior: 1 / sum}
	type lr struct {
		t string
		r float64
	}
	var lrs []lr
	for _, t := range known {
		if strings.Contains(t, "_") {
			continue
		}
		o := 0.0
		for c := range classes {
			if c != best {
				o += w(t, c)
			}
		}
		if r := w(t, best) - o/float64(len(classes)-1); r > 0 {
			lrs = append(lrs, lr{t, r})
		}
	}
	sort.SliceStable(lrs, func(i, j int) bool { return lrs[i].r > lrs[j].r })
	for _, x := range lrs[:min(3, len(lrs))] {
		g.Words = append(g.Words, x.t)
	}
	return g
}

// logreg is a softmax regression over binary token features, L2
// regularized, fitted by full-batch gradient descent from zero weights
// (deterministic: tokens sorted, fixed steps).
type logreg struct {
	classes []string
	bias    []float64
	w       map[string][]float64
}

func fitLR(lambda float64, steps int, rate float64) func(docs [][]string, labels []string) predictor {
	return func(docs [][]string, labels []string) predictor {
		classes := slices.Compact(slices.Sorted(slices.Values(slices.Clone(labels))))
		ci := map[string]int{}
		for i, c := range classes {
			ci[c] = i
		}
		df := map[string]int{}
		for _, d := range docs {
			for _, t := range uniq(d) {
				df[t]++
			}
		}
		var vocab []string
		for t, n := range df {
			if n >= minDocs {
				vocab = append(vocab, t)
			}
		}
		sort.Strings(vocab)
		vi := map[string]int{}
		for i, t := range vocab {
			vi[t] = i
		}
		X := make([][]int, len(docs))
		for i, d := range docs {
			for _, t := range uniq(d) {
				if j, ok := vi[t]; ok {
					X[i] = append(X[i], j)
				}
			}
		}
		K, V, N := len(classes), len(vocab), float64(len(docs))
		W := make([]float64, V*K)
		b := make([]float64, K)
		G := make([]float64, V*K)
		gb := make([]float64, K)
		p := make([]float64, K)
		for range steps {
			clear(G)
			clear(gb)
			for i, xs := range X {
				for c := range K {
					p[c] = b[c]
					for _, j := range xs {
						p[c] += W[j*K+c]
					}
				}
				mx := slices.Max(p)
				s := 0.0
				for c := range K {
					p[c] = math.Exp(p[c] - mx)
					s += p[c]
				}
				y := ci[labels[i]]
				for c := range K {
					d := p[c] / s
					if c == y {
						d--
					}
					gb[c] += d
					for _, j := range xs {
						G[j*K+c] += d
					}
				}
			}
			for k := range W {
				W[k] -= rate * (G[k]/N + lambda*W[k])
			}
			for c := range K {
				b[c] -= rate * gb[c] / N
			}
		}
		m := &logreg{classes: classes, bias: b, w: map[string][]float64{}}
		for i, t := range vocab {
			m.w[t] = W[i*K : (i+1)*K]
		}
		return m
	}
}

func (m *logreg) predict(toks []string) nb.Guess {
	score := slices.Clone(m.bias)
	for c, cl := range m.classes {
		if cl == string(analysis.CategoryCode) {
			score[c] += math.Log(rules.DefaultGuessCodeBoost)
		}
	}
	known := slices.DeleteFunc(uniq(toks), func(t string) bool { return m.w[t] == nil })
	for _, t := range known {
		for c := range m.classes {
			score[c] += m.w[t][c]
		}
	}
	return guessFrom(m.classes, score, known, func(t string, c int) float64 { return m.w[t][c] })
}
