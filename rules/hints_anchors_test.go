package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// TestHintAnchorsCoverWordings: each wording a family's expression allows
// is found through the family's anchors, which are narrow (not "set", but
// "not set" and "be set"): a narrowed anchor that misses a wording fails
// here. The lines are written for the test, one per wording.
func TestHintAnchorsCoverWordings(t *testing.T) {
	tests := []struct {
		line string
		want analysis.Category
	}{
		{"Error: NPM_TOKEN is not set", analysis.CategoryConfig},
		{"error: the DEPLOY_KEY secret must be set", analysis.CategoryConfig},
		{"Error: the api key is empty", analysis.CategoryConfig},
		{"fatal: token not provided", analysis.CategoryConfig},
		{"Error: credentials are not available", analysis.CategoryConfig},
		{"Error: Unable to locate credentials", analysis.CategoryConfig},
		{"error: unrecognized arguments: --frobnicate", analysis.CategoryConfig},
		{"Error: unknown flag: --platfrom", analysis.CategoryConfig},
		{"ERROR: unknown command-line option '--fast'", analysis.CategoryConfig},
		{"ADD failed: file not found in build context", analysis.CategoryConfig},
		{"ERROR: invalid pipeline configuration", analysis.CategoryConfig},
		{"Error: the configuration is invalid", analysis.CategoryConfig},
		{"Build failed: configuration error in job lint", analysis.CategoryConfig},
		{"fatal: could not resolve host: github.com", analysis.CategoryInfrastructure},
		{"error: HTTP request failed, status = 503", analysis.CategoryInfrastructure},
		{"upload: server returned 502", analysis.CategoryInfrastructure},
		{"error: request returned error: 504", analysis.CategoryInfrastructure},
		{"Error: the lock file is out of date with package.json", analysis.CategoryDependency},
		{"error: --locked was passed but Cargo.lock needs changes", analysis.CategoryDependency},
		{"Error: Timeout of 30000ms exceeded.", analysis.CategoryTimeout},
		{"error: the lint run exceeded the timeout", analysis.CategoryTimeout},
		{"Error: timeout 60 s expired", analysis.CategoryTimeout},
	}
	for _, tt := range tests {
		sc := newScan(Input{Text: tt.line})
		if got, _, _, ok := sc.familyHint(); !ok || got != tt.want {
			t.Errorf("familyHint(%q) = %q, %v; want %s", tt.line, got, ok, tt.want)
		}
	}
}
