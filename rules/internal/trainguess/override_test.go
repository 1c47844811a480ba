package main

import (
	"testing"

	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// TestOverrideTally: a log counts as fixed only when the model's other
// category is the label, as broken only when the signature was right, and
// not at all above the tier or confidence limits, below the posterior or
// with fewer than two words.
func TestOverrideTally(t *testing.T) {
	two := []string{"connection", "reset"}
	ms := []matched{
		{set: "a", label: "infrastructure", sigCategory: "code", tier: 42, confidence: 40, model: nb.Guess{Class: "infrastructure", Posterior: 0.97, Words: two}}, // fixed
		{set: "a", label: "code", sigCategory: "code", tier: 42, confidence: 40, model: nb.Guess{Class: "config", Posterior: 0.97, Words: two}},                   // broken
		{set: "b", label: "timeout", sigCategory: "code", tier: 42, confidence: 40, model: nb.Guess{Class: "config", Posterior: 0.97, Words: two}},                // both wrong: neither
		{set: "b", label: "config", sigCategory: "code", tier: 42, confidence: 40, model: nb.Guess{Class: "config", Posterior: 0.97, Words: two[:1]}},             // one word: skipped
		{set: "b", label: "config", sigCategory: "code", tier: 70, confidence: 40, model: nb.Guess{Class: "config", Posterior: 0.97, Words: two}},                 // tier above 50 (first case)
		{set: "b", label: "config", sigCategory: "code", tier: 42, confidence: 80, model: nb.Guess{Class: "config", Posterior: 0.97, Words: two}},                 // confidence above 60 (second case)
		{set: "b", label: "config", sigCategory: "code", tier: 42, confidence: 40, model: nb.Guess{Class: "config", Posterior: 0.6, Words: two}},                  // posterior below 0.9
		{set: "b", label: "config", sigCategory: "config", tier: 42, confidence: 40, model: nb.Guess{Class: "config", Posterior: 0.99, Words: two}},               // agrees: skipped
	}
	tests := []struct {
		name           string
		maxTier, conf  int
		post           float64
		fixed, broken  int
		fixedA, brokeA int
	}{
		{name: "tier 50 posterior 0.9", maxTier: 50, conf: 100, post: 0.9, fixed: 2, broken: 1, fixedA: 1, brokeA: 1},
		{name: "confidence 60 posterior 0.9", maxTier: 1000, conf: 60, post: 0.9, fixed: 2, broken: 1, fixedA: 1, brokeA: 1},
		{name: "everything at 0.5", maxTier: 1000, conf: 100, post: 0.5, fixed: 4, broken: 1, fixedA: 1, brokeA: 1},
		{name: "tier 40 leaves nothing", maxTier: 40, conf: 100, post: 0.5},
		{name: "posterior 0.98 leaves nothing", maxTier: 1000, conf: 100, post: 0.98},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := overrideTally(ms, tc.maxTier, tc.conf, tc.post)
			f, b := got.sum()
			if f != tc.fixed || b != tc.broken || got.fixed["a"] != tc.fixedA || got.broken["a"] != tc.brokeA {
				t.Errorf("fixed %d broken %d (set a: %d, %d); want %d, %d (%d, %d)", f, b, got.fixed["a"], got.broken["a"], tc.fixed, tc.broken, tc.fixedA, tc.brokeA)
			}
		})
	}
}
