package llm

import (
	"testing"

	"pgregory.net/rapid"
)

// TestCountTokensCalibration pins the estimate against real o200k_base
// counts (measured once with the gpt-tokenizer package, v3.4.0). The budget
// relies on the estimate not falling below the real count by more than a
// few percent, and it should not waste more than ~half the budget either.
func TestCountTokensCalibration(t *testing.T) {
	tests := []struct {
		name string
		text string
		real int
	}{
		{"user header", "Analyse this CI failure.\nRepository: octo/widgets\nWorkflow: CI\nJob: test (ubuntu-latest, 1.22)\nFailing step: Run go test ./...", 37},
		{"pnpm error", ` ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with <ROOT>/libs/isograph-react-disposable-state/package.json`, 41},
		{"timestamped go test", "2023-02-28T15:52:55.3178252Z         \tError:      \tNot equal: ", 26},
		{"go.sum hash", "\tgo.sum:     h1:Qq4Sk2jY7GoYBu8C5rZF/+RU9GdcnzPN9v3z5aBBGg8=", 42},
		{"commit hashes", "Merging remotes/origin/master commit d1994ae6a406125a94d34e87104ebef673595571 into PR head commit 0a5e089125b29728dec932164748edd9eaff9841", 52},
		{"rustc error", "error[E0433]: failed to resolve: use of undeclared crate or module `tokio`\n  --> src/main.rs:3:5\n   |\n3  | use tokio::runtime::Runtime;\n   |     ^^^^^ use of undeclared crate or module `tokio`", 59},
		{"npm eresolve", "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nnpm ERR! Found: react@18.2.0\nnpm ERR! node_modules/react", 39},
		{"jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", 104},
		{"cjk", "构建失败：无法找到依赖项。请检查配置文件并重新运行。", 18},
		{"go test timeout", "FAIL: TestDoubleBarrierFailover (30.01s)\n    double_barrier_test.go:156: timed out waiting for the barrier\npanic: test timed out after 10m0s", 40},
		{"prose", "You are ccm, a CI failure analyst working for platform engineers. You explain why a CI job failed, classify the failure and propose a remediation.", 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CountTokens(tt.text)
			ratio := float64(got) / float64(tt.real)
			if ratio < 0.95 || ratio > 1.6 {
				t.Errorf("CountTokens = %d, real %d: ratio %.2f outside [0.95, 1.6]", got, tt.real, ratio)
			}
		})
	}
}

func TestCountTokensSmall(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"one word", "error", 1},
		{"word after space", "an error", 2},
		{"long word", "internationalization", 5},
		{"digits by three", "1234567", 3},
		{"newlines", "a\n\nb", 4},
		{"indentation", "        x", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountTokens(tt.text); got != tt.want {
				t.Errorf("CountTokens(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

// Any text, however odd, costs at least one token and at most one per byte,
// so a budget always bounds the bytes sent.
func TestCountTokensBounds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(), rapid.StringMatching(`[ -~\t\n]{0,200}`)).Draw(t, "s")
		n := CountTokens(s)
		if s == "" && n != 0 || s != "" && (n < 1 || n > len(s)) {
			t.Fatalf("CountTokens(%q) = %d, want within [1, %d]", s, n, len(s))
		}
	})
}
