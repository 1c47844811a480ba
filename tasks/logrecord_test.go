package tasks

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/state"
)

// TestRecordReason: both ways ccm records a failure show the signature's
// line instead of a bare exit status, and fingerprint the excerpt's own
// reason, so the fingerprint does not move when the shown reason does.
func TestRecordReason(t *testing.T) {
	const log = "##[group]Run go build ./...\ngo build ./...\n##[endgroup]\n" +
		"go: updates to go.mod needed; to update it:\n\tgo mod tidy\n##[error]Process completed with exit code 1.\n"
	ex, err := excerpt.Extract(strings.NewReader(log), excerpt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "go: updates to go.mod needed; to update it:"
	wantFP := excerpt.Fingerprint(ex.Reason, ex.ErrorLines)

	rec := LogRecord("o/r", ex)
	var ing state.FailureRecord
	fillReason(&ing, []jobExcerpt{{job: state.FailedJob{Name: "build"}, ex: ex}}, nil)
	for name, r := range map[string]state.FailureRecord{"LogRecord": rec, "fillReason": ing} {
		if r.FailureReason != want {
			t.Errorf("%s: reason %q, want %q", name, r.FailureReason, want)
		}
		if r.Fingerprint != wantFP {
			t.Errorf("%s: fingerprint %s, want %s (the excerpt's reason's)", name, r.Fingerprint, wantFP)
		}
	}
}

// TestPostStepName: a post step the log leaves unnamed takes the job
// record's name for it when the record has exactly one.
func TestPostStepName(t *testing.T) {
	for _, tt := range []struct {
		failed []string
		want   string
	}{
		{[]string{"Post Run actions/setup-node@v4"}, "Post Run actions/setup-node@v4"},
		{[]string{"Run npm test", "Post Run actions/cache@v4"}, "Post Run actions/cache@v4"},
		{[]string{"Post Run actions/cache@v4", "Post Run actions/checkout@v4"}, excerpt.PostCleanupStep},
		{nil, excerpt.PostCleanupStep},
	} {
		if got := postStepName(tt.failed); got != tt.want {
			t.Errorf("postStepName(%q) = %q, want %q", tt.failed, got, tt.want)
		}
	}
}
