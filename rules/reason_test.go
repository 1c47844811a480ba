package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
)

// TestReason: a generic exit-status reason gives way to the winning
// signature's line; a specific reason, or a generic one no signature
// explains, stays.
func TestReason(t *testing.T) {
	cases := []struct {
		name, log, want string
		ctx             []string
		kept            bool // the excerpt's own reason stays
	}{
		{
			name: "go mod tidy under the exit code",
			log: "##[group]Run go build ./...\ngo build ./...\n##[endgroup]\n" +
				"go: updates to go.mod needed; to update it:\n\tgo mod tidy\n##[error]Process completed with exit code 1.\n",
			want: "go: updates to go.mod needed; to update it:", ctx: []string{"go mod tidy"},
		},
		{
			name: "jenkins script exit under a composer lock mismatch",
			log: "+ composer install\nInstalling dependencies from lock file\n" +
				"Your lock file does not contain a compatible set of packages. Please run composer update.\n" +
				"ERROR: script returned exit code 1\nFinished: FAILURE\n",
			want: "Your lock file does not contain a compatible set of packages.",
		},
		{
			// The excerpt names yarn berry's refusal itself (lockfileOutOfSync).
			name: "yarn frozen lockfile under make's error", kept: true,
			log: "yarn install --immutable\n" +
				"The lockfile would have been modified by this install, which is explicitly forbidden.\n" +
				"make: *** [Makefile:7: deps] Error 1\n",
			want: "The lockfile would have been modified by this install",
		},
		{
			name: "specific reason stays", kept: true,
			log: "##[group]Run npm test\nnpm test\n##[endgroup]\n" +
				"src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n##[error]Process completed with exit code 2.\n",
			want: "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
		},
		{
			name: "specific reason richer than the signature's line stays", kept: true,
			log: "##[group]Run go test ./...\ngo test ./...\n##[endgroup]\n--- FAIL: TestAdd (0.00s)\n" +
				"    add_test.go:9: Add(1, 1) = 2, want 3\nFAIL\nFAIL\texample.com/m\t0.003s\n##[error]Process completed with exit code 1.\n",
			want: "--- FAIL: TestAdd (0.00s) add_test.go:9: Add(1, 1) = 2, want 3",
		},
		{
			name: "generic reason no signature explains stays", kept: true,
			log:  "##[group]Run ./deploy.sh\n./deploy.sh\n##[endgroup]\ndeploying to staging\n##[error]Process completed with exit code 3.\n",
			want: "Process completed with exit code 3",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex, err := excerpt.Extract(strings.NewReader(c.log), excerpt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, ctx := Reason(ex)
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("Reason = %q (excerpt's %q), want prefix %q", got, ex.Reason, c.want)
			}
			if kept := got == ex.Reason; kept != c.kept {
				t.Errorf("Reason = %q, excerpt's %q: kept %v, want %v", got, ex.Reason, kept, c.kept)
			}
			if c.ctx != nil && !slices.Equal(ctx, c.ctx) {
				t.Errorf("context = %q, want %q", ctx, c.ctx)
			}
		})
	}
}

// TestReasonFaultIsRecovered: a panic inside the matcher (a bug in a rule)
// leaves the excerpt's own reason and context, as Classify's recovery
// leaves the unknown answer; ingest goes on.
func TestReasonFaultIsRecovered(t *testing.T) {
	cases := []struct {
		name string
		ex   excerpt.Excerpt
	}{
		{"generic reason", excerpt.Excerpt{Reason: "Process completed with exit code 1", Context: []string{"make: *** [all] Error 2"}}},
		{"no reason", excerpt.Excerpt{Tail: "error: boom"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var reason string
			var ctx []string
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("the panic escaped Reason: %v", r)
					}
				}()
				reason, ctx = reasonGuarded(c.ex, func(excerpt.Excerpt) (string, []string) { panic("rule broken") })
			}()
			if reason != c.ex.Reason || !slices.Equal(ctx, c.ex.Context) {
				t.Errorf("got %q %q; want the excerpt's own %q %q", reason, ctx, c.ex.Reason, c.ex.Context)
			}
		})
	}
}
