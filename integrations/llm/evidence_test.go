package llm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

// pipelineExcerpt is a stored excerpt the way ingest writes one: a job
// header, then excerpt.Excerpt.Text() (header lines, block titles, the
// truncation note), then ingest's own truncation note.
func pipelineExcerpt(t *testing.T) (joined string, logLines []string) {
	t.Helper()
	logLines = []string{
		"npm error code ECONNRESET",
		"npm error network request to https://registry.npmjs.org/left-pad failed",
		"npm error errno ECONNRESET",
	}
	ex := excerpt.Excerpt{
		Reason:      "npm error code ECONNRESET while fetching",
		FailingStep: "Run npm ci",
		Section:     strings.Join(logLines[1:], "\n"),
		Tail:        "##[error]Process completed with exit code 1.",
		ErrorLines:  logLines[:1],
		ExitCode:    1,
		Lines:       4000,
		Bytes:       300_000,
		Truncated:   true,
	}
	text := ex.Text()
	for _, want := range []string{"--- section ---", "Failing step: ", "Reason: ", "Exit code: 1", "(excerpt: the log was"} {
		if !strings.Contains(text, want) {
			t.Fatalf("excerpt.Excerpt.Text() lacks %q; update the test:\n%s", want, text)
		}
	}
	return fmt.Sprintf("=== job: %s ===\n%s\n", "build (ubuntu-latest)", text) + "\n[excerpt truncated]", logLines
}

func TestEvidenceMustQuoteTheLog(t *testing.T) {
	excerpt, logLines := pipelineExcerpt(t)
	reason := "npm error code ECONNRESET while fetching"
	synthesized := []string{}
	for _, l := range strings.Split(excerpt, "\n") {
		if l != "" && !strings.Contains(l, "npm error") && !strings.HasPrefix(l, "##[error]") {
			synthesized = append(synthesized, l)
		}
	}
	if len(synthesized) < 8 {
		t.Fatalf("found only %d synthesized lines in\n%s", len(synthesized), excerpt)
	}
	tests := []struct {
		name     string
		evidence string
		want     bool
	}{
		{"a whole log line", logLines[1], true},
		{"a log line with other spacing", "  npm error\tcode ECONNRESET ", true},
		{"a long fragment", "network request to https://registry", true},
		{"the reason", reason, true},
		{"a short fragment", "rror cod", false},
		{"a 19-character fragment", "error code ECONNRES", false},
		{"the reason line as written by ccm", "Reason: " + reason, false},
		{"a line cut by ccm", "[... 12 lines cut by ccm ...]", false},
		{"an invented line", "npm error code E401", false},
	}
	for _, l := range synthesized {
		tests = append(tests, struct {
			name     string
			evidence string
			want     bool
		}{"synthesized " + l, l, false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EvidenceInLog([]string{tt.evidence}, excerpt, reason); got != tt.want {
				t.Errorf("EvidenceInLog(%q) = %v, want %v", tt.evidence, got, tt.want)
			}
			// The model's answers are held to the same rule.
			p := &prompt{excerptLines: splitLines(excerpt), reasonLine: reason}
			if got := len(p.checkEvidence([]string{tt.evidence})) == 0; got != tt.want {
				t.Errorf("checkEvidence(%q) accepted = %v, want %v", tt.evidence, got, tt.want)
			}
		})
	}
}

func TestEvidenceInLogRejectsTooMany(t *testing.T) {
	excerpt, logLines := pipelineExcerpt(t)
	ev := []string{}
	for range 6 {
		ev = append(ev, logLines[0])
	}
	if EvidenceInLog(ev, excerpt, "") {
		t.Error("six evidence items accepted; Validate allows five")
	}
}

func TestSynthesizedReasonIsNotEvidence(t *testing.T) {
	for _, reason := range []string{
		"logs unavailable",
		"no error line found in the log; failed step: build / Run tests",
		"run failed without a failed job (workflow file or startup failure)",
	} {
		if EvidenceInLog([]string{reason}, "some log line that is long enough", reason) {
			t.Errorf("ccm's own reason %q accepted as evidence", reason)
		}
	}
}

// TestOverlongLineNoteIsNotEvidence: what splitLines writes into an
// overlong line is not log text; both sides of it are.
func TestOverlongLineNoteIsNotEvidence(t *testing.T) {
	long := "error: " + strings.Repeat("abcdefghij", 150)
	p := &prompt{excerptLines: splitLines(long)}
	if !strings.Contains(p.excerptLines[0], "characters cut by ccm") {
		t.Fatalf("line not shortened: %.100q", p.excerptLines[0])
	}
	head, tail := long[:40], long[len(long)-40:]
	if bad := p.checkEvidence([]string{head, tail}); len(bad) > 0 {
		t.Errorf("head or tail of a shortened line rejected: %v", bad)
	}
	if bad := p.checkEvidence([]string{"abcdefghij [... 500 characters cut by ccm ...] abcdefghij"}); len(bad) == 0 {
		t.Error("evidence quoting ccm's cut note accepted")
	}
}

// TestAnswerQuotingSynthesizedLinesIsRepaired drives the whole path: the
// model quotes ccm's header line and gets a repair request.
func TestAnswerQuotingSynthesizedLinesIsRepaired(t *testing.T) {
	excerpt, logLines := pipelineExcerpt(t)
	bad := validAnswer()
	bad.Evidence = []string{"Failing step: Run npm ci"}
	good := validAnswer()
	good.Evidence = []string{logLines[0]}
	srv := openaisim.New(t)
	srv.Enqueue(reply(t, bad), reply(t, good))
	a, _ := newTestAnalyzer(t, srv, nil)
	req := baseRequest()
	req.Excerpt = excerpt
	if _, err := a.Analyze(context.Background(), req); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("requests = %d, want the answer and a repair", n)
	}
	if msg := lastUser(srv.Requests()[1]); !strings.Contains(msg, `"Failing step: Run npm ci" is not copied from the log`) {
		t.Errorf("repair does not name the synthesized line:\n%s", msg)
	}
}
