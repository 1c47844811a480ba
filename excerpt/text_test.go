package excerpt

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/redact/redacttest"
)

func TestExcerptText(t *testing.T) {
	ex := extract(t, ghLog(withSetup(
		"##[group]Run npm test",
		"##[endgroup]",
		"Error: boom",
		"##[error]Process completed with exit code 1.",
		"Post job cleanup.",
	)...), Options{})
	got := ex.Text()
	for _, want := range []string{"Failing step: Run npm test\n", "Reason: Error: boom\n", "Exit code: 1\n", "--- section ---\n", "--- earlier lines ---\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "Error: boom") != 2 { // the reason, and the line once
		t.Errorf("line printed more than once:\n%s", got)
	}
	if strings.Count(got, "Post job cleanup.") != 1 {
		t.Errorf("overlap printed twice:\n%s", got)
	}
}

func TestExcerptText_RedactsHandBuiltExcerpt(t *testing.T) {
	ex := Excerpt{Reason: "token=" + redacttest.FakeGHP, Section: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----", ExitCode: -1}
	got := ex.Text()
	if strings.Contains(got, redacttest.FakeGHP) || strings.Contains(got, "MIIEvQ") {
		t.Errorf("Text leaks:\n%s", got)
	}
}

func TestAlignTail(t *testing.T) {
	tests := []struct {
		name          string
		section, tail []string
		start, n      int
	}{
		{name: "tail inside section", section: []string{"a", "b", "c"}, tail: []string{"b", "c"}, start: 0, n: 2},
		{name: "section inside tail", section: []string{"b", "c"}, tail: []string{"a", "b", "c", "d"}, start: 1, n: 2},
		{name: "tail starts in section", section: []string{"a", "b", "c"}, tail: []string{"b", "c", "d"}, start: 0, n: 2},
		{name: "disjoint", section: []string{"a"}, tail: []string{"x", "y"}, start: 0, n: 0},
		{name: "empty section", section: nil, tail: []string{"x"}, start: 0, n: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, n := alignTail(tt.section, tt.tail)
			if start != tt.start || n != tt.n {
				t.Errorf("alignTail = %d, %d; want %d, %d", start, n, tt.start, tt.n)
			}
		})
	}
}
