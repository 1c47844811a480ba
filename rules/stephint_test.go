package rules

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// TestReleaseBuildStepIsNoConfigHint: "release" in a step name is as often
// a build profile as a publishing step, so it no longer makes an
// unmatched failure config; publishing words still do.
func TestReleaseBuildStepIsNoConfigHint(t *testing.T) {
	for _, tc := range []struct {
		name, step, log string
		config          bool
	}{
		{name: "dune release profile", step: "Run opam exec -- dune build --profile release",
			log: "File \"lib/pricing.ml\", line 12, characters 18-23:\nError: This expression has type float but an expression was expected of type int\n##[error]Process completed with exit code 1."},
		{name: "cargo --release", step: "Run cargo build --release --locked",
			log: "thread 'main' overflowed its stack\n##[error]Process completed with exit code 101."},
		{name: "msbuild Release configuration", step: "Build (Release|x64)",
			log: "Build FAILED.\n    0 Warning(s)\n    1 Error(s)\n##[error]Process completed with exit code 1."},
		{name: "publishing step keeps its hint", step: "Publish release to the store", config: true,
			log: "store-cli: the submission was refused\n##[error]Process completed with exit code 1."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(Input{Text: tc.log, FailingStep: tc.step})
			hinted := strings.Contains(got.Reasoning, "the failing step or job name")
			if tc.config && (got.Category != analysis.CategoryConfig || !hinted) {
				t.Errorf("want config from the step hint, got %s: %s", got.Category, got.Reasoning)
			}
			if !tc.config && strings.Contains(got.Reasoning, `mentions "release"`) {
				t.Errorf("release step hint decided: %s %s", got.Category, got.Reasoning)
			}
		})
	}
}
