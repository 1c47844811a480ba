package taskstest

import (
	"fmt"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// NPMExcerpt is a registry reset during `npm ci`: the rules call it
// infrastructure, low risk, a re-run of the failed jobs.
const NPMExcerpt = "=== job: test ===\nRun npm ci\nnpm error code ECONNRESET\nnpm error network aborted\n" +
	"npm error network This is a problem related to network connectivity.\n##[error]Process completed with exit code 1.\n"

// CleanRecord is an analyzed failure of repo every check of the gate lets
// through in mode auto: a person's push, a setup step that failed, a
// docs-only change, a registry reset the rules recognise, analysed by the
// rules.
func CleanRecord(repo string, runID int64) state.FailureRecord {
	id := tasks.FailureID(repo, runID, 1)
	now := time.Now().UTC()
	rec := state.FailureRecord{
		ID: id, Repo: repo, RunID: runID, RunAttempt: 1, RunURL: fmt.Sprintf("https://github.com/%s/actions/runs/%d", repo, runID),
		Workflow: "CI", Event: "push", Branch: "main", CommitSHA: "abc123", Actor: "octocat",
		FailedJobs:   []state.FailedJob{{ID: 1, Name: "test", Conclusion: "failure", FailedSteps: []string{"Run npm ci"}}},
		ChangedFiles: []string{"README.md"}, FailureReason: "npm error code ECONNRESET", Fingerprint: "fp-npm",
		LogExcerpt: NPMExcerpt, Status: state.StatusAnalyzed, DetectedAt: now, UpdatedAt: now,
	}
	a := tasks.RulesFor(rec)
	a.FailureID, a.CreatedAt = id, now
	rec.Analysis = &a
	return rec
}
