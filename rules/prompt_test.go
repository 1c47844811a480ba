package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// TestInteractivePromptHang: tzdata's prompt is the cause only when the
// job hung at it (the log ends there, or the CI's watchdog or time limit
// follows it); a prompt that debconf answered with its default and went
// on from decides nothing. The logs are written for the test.
func TestInteractivePromptHang(t *testing.T) {
	prompt := "debconf: falling back to frontend: Readline\nConfiguring tzdata\n------------------\n\n" +
		"Please select the geographic area in which you live. Subsequent configuration\n" +
		"  1. Africa  2. America  3. Antarctica  4. Australia\nGeographic area: "
	runMisfireCases(t, []misfireCase{
		{name: "the log ends at the prompt", log: "$ apt-get install -y tzdata\n" + prompt + "\n", wantSig: "interactive-prompt-hang", wantCat: analysis.CategoryConfig},
		{name: "the watchdog follows the prompt", log: prompt + "\nToo long with no output (exceeded 10m0s): context deadline exceeded\n", wantSig: "interactive-prompt-hang", wantCat: analysis.CategoryConfig},
		{name: "GitHub's cancellation follows it", log: prompt + "\n##[error]The operation was canceled.\n", wantSig: "interactive-prompt-hang", wantCat: analysis.CategoryConfig},
		{name: "debconf took the default and the job went on", log: prompt + "\nCurrent default time zone: 'Etc/UTC'\nLocal time is now:      Sun Dec  6 12:00:00 UTC 2026.\n" +
			"Setting up python3 (3.12.3-0ubuntu1) ...\n$ pytest\nE       assert 3 == 4\nFAILED tests/test_sum.py::test_sum - assert 3 == 4\n", notSig: "interactive-prompt-hang"},
	})
}

// TestSetupCachePathMissing: a setup action's cache post step with no
// folder to save is the workflow's setting (config), after a passing job
// too. Written for the test.
func TestSetupCachePathMissing(t *testing.T) {
	runMisfireCases(t, []misfireCase{{
		name:    "setup-node's post step after passing tests",
		log:     " Tasks:    12 successful, 12 total\nPost job cleanup.\n##[error]Cache folder path is retrieved for yarn but doesn't exist on disk: /home/runner/.cache/yarn/v6\n",
		wantSig: "setup-cache-path-missing", wantCat: analysis.CategoryConfig,
	}})
}
