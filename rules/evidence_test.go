package rules

import (
	"strings"
	"sync"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/logtext"
	"github.com/google/go-cmp/cmp"
)

// ccmInput builds the analyzer's input the way ccm does: the excerpt's text,
// which starts with ccm's own header lines, and its reason and step.
func ccmInput(t *testing.T, log string) Input {
	t.Helper()
	return InputFromExcerpt(extracted(t, log))
}

// extractedLogs memoizes extracted: several tests read the excerpt of
// every corpus log, and under -race extracting them is most of their time
// (the package's tests took 150 s of CI's run before).
var extractedLogs sync.Map // log text → excerpt.Excerpt

// extracted is the log's excerpt, extracted once for the package's tests;
// callers must not modify its slices.
func extracted(t *testing.T, log string) excerpt.Excerpt {
	t.Helper()
	if ex, ok := extractedLogs.Load(log); ok {
		return ex.(excerpt.Excerpt)
	}
	ex, err := excerpt.Extract(strings.NewReader(log), excerpt.Options{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	extractedLogs.Store(log, ex)
	return ex
}

// occursIn reports whether e is a line, or part of one, of the normalized log.
func occursIn(e string, lines []string) bool {
	for _, l := range lines {
		if strings.Contains(l, e) {
			return true
		}
	}
	return false
}

func normalizedLines(log string) []string {
	raw := strings.Split(log, "\n")
	out := make([]string, len(raw))
	for i, l := range raw {
		out[i] = logtext.NormalizeLine(l)
	}
	return out
}

// TestEvidenceVerbatimFromLog checks the documented contract of
// AnalysisResult.Evidence, "log lines the verdict rests on, verbatim from the
// log", on every real log fed the way ccm feeds it: never ccm's header
// lines, never the reason's joined lines.
func TestEvidenceVerbatimFromLog(t *testing.T) {
	withEvidence := 0
	for _, l := range cilogs.All() {
		got := Classify(ccmInput(t, l.Log))
		lines := normalizedLines(l.Log)
		for _, e := range got.Evidence {
			if !occursIn(e, lines) {
				t.Errorf("%s: evidence %q is not a line of the log", l.ID, e)
			}
		}
		if len(got.Evidence) > 0 {
			withEvidence++
		}
	}
	t.Logf("%d/%d logs have evidence", withEvidence, len(cilogs.All()))
}

func TestEvidenceSkipsHeaderAndReason(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want []string
	}{
		{
			name: "reason match relocated to its log line",
			in: Input{
				Reason: "npm error code ECONNRESET",
				Text:   "Failing step: npm ci\nReason: npm error code ECONNRESET\nExit code: 1\n--- section ---\nnpm error code ECONNRESET\nnpm error network aborted\n",
			},
			want: []string{"npm error code ECONNRESET", "npm error network aborted"},
		},
		{
			name: "reason joined from several lines has no single log line",
			in: Input{
				Reason: "Error: request to https://registry.npmjs.org/x failed, reason: socket hang up",
				Text:   "Failing step: npm ci\nReason: Error: request to https://registry.npmjs.org/x failed, reason: socket hang up\n--- section ---\nError: request to https://registry.npmjs.org/x\nfailed, reason: socket hang up\n",
			},
			want: []string{"failed, reason: socket hang up"},
		},
		{
			name: "reason only, no text",
			in:   Input{Reason: "npm ERR! code ERESOLVE"},
			want: nil,
		},
		{
			name: "header only: no fabricated line",
			in:   Input{Text: "Failing step: (unknown)\n"},
			want: nil,
		},
		{
			name: "separators and trailer are not log lines",
			in:   Input{Text: "Failing step: build\n--- last lines ---\nsomething odd\n(excerpt: the log was 9 lines, 99 bytes; parts were left out)\n"},
			want: []string{"something odd"},
		},
		{
			name: "step name does not fire a rule",
			in:   Input{Text: "Failing step: Run flaky suite\nExit code: 1\n--- section ---\nlinking failed\n", FailingStep: "Run flaky suite"},
			want: []string{"linking failed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if diff := cmp.Diff(tc.want, got.Evidence); diff != "" {
				t.Errorf("evidence (-want +got):\n%s\nreasoning: %s", diff, got.Reasoning)
			}
		})
	}
}

// TestExcerptTextLayout guards the coupling with Excerpt.Text: every line it
// writes is either one of the excerpt's log lines or something the analyzer
// knows is ccm's own (header, section title, trailer).
func TestExcerptTextLayout(t *testing.T) {
	ex := excerpt.Excerpt{
		FailingStep: "Run npm test",
		Reason:      "npm error code ECONNRESET",
		ExitCode:    1,
		ErrorLines:  []string{"early error line"},
		Section:     "section line 1\nsection line 2",
		Tail:        "section line 2\ntail line",
		Truncated:   true,
		Lines:       100,
		Bytes:       1000,
	}
	logLines := []string{"early error line", "section line 1", "section line 2", "tail line"}
	text := ex.Text()
	body := withoutHeader(text)
	if !strings.HasSuffix(text, body) || len(body) == len(text) {
		t.Fatalf("withoutHeader did not remove the header of %q", text)
	}
	for _, h := range excerptHeader {
		if strings.Contains(body, h) {
			t.Errorf("header %q left in %q", h, body)
		}
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if !isExcerptMarker(l) {
			got = append(got, l)
		}
	}
	if diff := cmp.Diff(logLines, got); diff != "" {
		t.Errorf("log lines of Text() (-want +got):\n%s\ntext:\n%s", diff, text)
	}
}
