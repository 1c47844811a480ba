package rules

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// TestTektonRunTimeout: Tekton's controller ends a TaskRun or PipelineRun
// at its time limit; that is the job's timeout, not a flaky test.
func TestTektonRunTimeout(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "taskrun condition", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout,
			log: "[e2e : run] waiting for the gateway to report ready\n" +
				"TaskRun \"shop-ci-9q4zd-e2e\" failed to finish within \"45m0s\"\n"},
		{name: "pipelinerun status in tkn describe", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout,
			log: "STARTED        DURATION    STATUS\n2 hours ago    1h0m2s      Failed(PipelineRunTimeout)\n\n" +
				"Message\n\nPipelineRun \"nightly-build-xv2lp\" failed to finish within \"1h0m0s\"\n"},
		{name: "a test's own words are not the controller's", notSig: "ci-step-timeout",
			log: "--- FAIL: TestWorkerDrains (5.00s)\n    drain_test.go:40: worker failed to finish within 5s\n"},
	})
}

// TestTimeLimitFixNamesEachCI: a job time limit is set differently on each
// CI, and the signatures that match more than one CI's lines say so in
// their fix rather than naming only GitHub Actions' timeout-minutes.
func TestTimeLimitFixNamesEachCI(t *testing.T) {
	for _, tc := range []struct{ name, log string }{
		{"azure job limit", "##[section]Starting: Build\n##[error]The job running on agent Azure Pipelines 2 ran longer than the maximum time of 60 minutes. For more information, see https://go.microsoft.com/fwlink/?linkid=2077134\n"},
		{"tekton run limit", "TaskRun \"shop-ci-9q4zd-e2e\" failed to finish within \"45m0s\"\n"},
		{"jest hang", "Tests:       40 passed, 40 total\nJest did not exit one second after the test run has completed.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fix := Classify(Input{Text: tc.log}).ProposedFix
			for _, setting := range []string{"timeout-minutes", "timeoutInMinutes", "GitLab `timeout:`"} {
				if !strings.Contains(fix, setting) {
					t.Errorf("fix does not name %s: %s", setting, fix)
				}
			}
		})
	}
}
