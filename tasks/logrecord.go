package tasks

import (
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/state"
)

// LogRecord is the record of a failure known only by one log (`ccm analyze
// FILE`): reason, fingerprint, excerpt and failing step, the fields the
// analysis reads. RequestFor turns it into the same request the pipeline
// sends for a recorded failure, so the command line and the service never
// ask the analyzer differently.
func LogRecord(repo string, ex excerpt.Excerpt) state.FailureRecord {
	rec := state.FailureRecord{
		Repo: repo, FailureReason: ex.Reason, FailureContext: ex.Context, LogExcerpt: ex.Text(),
		Fingerprint: excerpt.Fingerprint(ex.Reason, ex.ErrorLines),
	}
	if ex.FailingStep != "" {
		rec.FailedJobs = []state.FailedJob{{FailedSteps: []string{ex.FailingStep}}}
	}
	return rec
}
