package rules

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
)

// serve's excerpt puts a "=== job: NAME ===" title and a header above each
// job (tasks/ingest.go); the rules must read neither as the log, so no
// evidence quotes "Reason: ..." or "Failing step: ...".
func TestMultiJobExcerptEvidenceIsFromTheLog(t *testing.T) {
	job := func(name, step, reason, body string) string {
		ex := excerpt.Excerpt{FailingStep: step, Reason: reason, ExitCode: 1, Tail: body, Lines: 3, Bytes: 100}
		return "=== job: " + name + " ===\n" + ex.Text() + "\n"
	}
	tests := []struct {
		name string
		text string
	}{
		{"one job, a timeout", job("test", "Run go test ./...", "panic: test timed out after 10m0s",
			"=== RUN   TestSlow\npanic: test timed out after 10m0s\nFAIL\tgithub.com/acme/app\t600.1s")},
		{"two jobs, npm network", job("lint", "Run npm ci", "npm error code ECONNRESET",
			"npm error code ECONNRESET\nnpm error network aborted") +
			job("test", "Run npm test", "npm error code ECONNRESET", "npm error code ECONNRESET")},
		{"unknown failure", job("build", "Run make", "something odd happened", "something odd happened\nexit status 2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Classify(Input{Text: tt.text})
			if len(res.Evidence) == 0 {
				t.Fatalf("no evidence for %q", tt.text)
			}
			for _, ev := range res.Evidence {
				if isJobTitle(ev) || headerIndex(ev, 0) >= 0 {
					t.Errorf("evidence %q is ccm's own line, not the log's (all: %q)", ev, res.Evidence)
				}
				if !strings.Contains(tt.text, ev) {
					t.Errorf("evidence %q is not in the text", ev)
				}
			}
		})
	}
}

func TestSplitHeader(t *testing.T) {
	tests := []struct {
		name, in, body string
		header         []string
	}{
		{"raw log untouched", "Reason: a log line of the project\nmore", "Reason: a log line of the project\nmore", nil},
		{"top header", "Failing step: Run x\nReason: boom\nExit code: 1\nlog line\n", "log line\n",
			[]string{"Failing step: Run x", "Reason: boom", "Exit code: 1"}},
		{"optional lines missing", "Failing step: Run x\nExit code: 2\nlog line", "log line", []string{"Failing step: Run x", "Exit code: 2"}},
		{"per job", "=== job: a ===\nFailing step: A\nline a\n=== job: b ===\nFailing step: B\nReason: rb\nline b\nReason: kept, a log line\n",
			"line a\nline b\nReason: kept, a log line\n", []string{"Failing step: A", "Failing step: B", "Reason: rb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, header := splitHeader(tt.in)
			if body != tt.body || strings.Join(header, "|") != strings.Join(tt.header, "|") {
				t.Errorf("splitHeader(%q) = %q, %q; want %q, %q", tt.in, body, header, tt.body, tt.header)
			}
		})
	}
}
