package tasks

import (
	"cmp"
	"strings"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/rules"
	"github.com/ccm-ci/ccm/state"
)

// LogRecord is the record of a failure known only by one log (`ccm analyze
// FILE`): reason, fingerprint, excerpt and failing step, the fields the
// analysis reads. RequestFor turns it into the same request the pipeline
// sends for a recorded failure, so the command line and the service never
// ask the analyzer differently.
func LogRecord(repo string, ex excerpt.Excerpt) state.FailureRecord {
	reason, context := rules.Reason(ex)
	rec := state.FailureRecord{
		Repo: repo, FailureReason: reason, FailureContext: context, LogExcerpt: ex.Text(),
		Fingerprint: fingerprint(ex),
	}
	if ex.FailingStep != "" {
		rec.FailedJobs = []state.FailedJob{{FailedSteps: []string{ex.FailingStep}}}
	}
	return rec
}

// fingerprint is the failure's fingerprint from the excerpt's own reason,
// not the one rules.Reason may show instead: that depends on the signature
// table, and a signature added in a later ccm must not split one failure's
// history in two.
func fingerprint(ex excerpt.Excerpt) string { return excerpt.Fingerprint(ex.Reason, ex.ErrorLines) }

// postStepName is the job record's one failed post step, or
// excerpt.PostCleanupStep when it has none or several.
func postStepName(failed []string) string {
	name := ""
	for _, s := range failed {
		if strings.HasPrefix(s, "Post ") {
			if name != "" {
				return excerpt.PostCleanupStep
			}
			name = s
		}
	}
	return cmp.Or(name, excerpt.PostCleanupStep)
}
