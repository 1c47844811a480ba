package keyline

import "testing"

func TestHit(t *testing.T) {
	tests := []struct {
		name, reason, key string
		want              bool
	}{
		{"same line", "npm error code E404", "npm error code E404", true},
		{"reason holds the key", "error: x failed: disk full", "disk full", true},
		{"cut reason inside the key", "npm error Could not resolve…", "npm error Could not resolve dependency:", true},
		{"joined reason states npm's tag once", `npm error Could not resolve dependency: peer vue@"^2.6.0" from vue-router@3.6.5`, `npm error peer vue@"^2.6.0" from vue-router@3.6.5`, true},
		{"old npm tag", "npm ERR! Could not resolve dependency: peer a@1 from b@2", "npm ERR! peer a@1 from b@2", true},
		{"the tag counts only when the reason starts with it", "Could not resolve dependency: peer a@1 from b@2", "npm error peer a@1 from b@2", false},
		{"different lines", "npm error code ERESOLVE", "npm error peer a@1 from b@2", false},
		{"empty reason", "", "anything", false},
		{"a bare tag", "npm error", "npm error code E404", false},
		{"a longer number is another message", "npm error code 404 npm ERR! errno 127", "npm ERR! errno 127x", false},
		{"a redacted credential stands for the one in the key line", "fatal: unable to access 'https://[REDACTED:url_credentials]@gitlab.com/o/r.git/': The requested URL returned error: 500", "fatal: unable to access 'https://gitlab-ci-token:xxxx@gitlab.com/o/r.git/': The requested URL returned error: 500", true},
		{"a marker alone carries no line", "[REDACTED:token]", "npm ERR! code E404", false},
		{"a redacted line is still another line", "fatal: unable to access 'https://[REDACTED:url_credentials]@gitlab.com/o/r.git/': The requested URL returned error: 500", "fatal: unable to access 'https://gitlab-ci-token:xxxx@gitlab.com/o/r.git/': The requested URL returned error: 403", false},
		{"the tagged message must end where the key does", "npm error Could not resolve: peer a@1 from b@2.1", "npm error peer a@1 from b@2", false},
		{"GitHub's shown marker before a matched line", "src/A.hs:3:9: error: Variable not in scope: f :: Int", "Error:     Variable not in scope: f :: Int", true},
		{"a reason cut in the middle: the key holds head and tail in order", "[ERROR] Failed to execute goal on project acme-orders: Could not resolve dependencies for project org.acme:acme-orders:jar:1.4.0-SNAPSHOT: Could not transfer artifact … status code: 503, reason phrase: Service Unavailable (503)", "[ERROR] Failed to execute goal on project acme-orders: Could not resolve dependencies for project org.acme:acme-orders:jar:1.4.0-SNAPSHOT: Could not transfer artifact org.acme:acme-parent:pom:2 from/to central (https://repo.example.org/m2): status code: 503, reason phrase: Service Unavailable (503)", true},
		{"a short reason holding ' … ' is the line's own words, no cut", "Building … failed", "Building wheel for acme (pyproject.toml): the test suite failed", false},
		{"a reason cut in the middle: parts out of order are no hit", "status code: 503 … [ERROR] Failed to execute goal", "[ERROR] Failed to execute goal on project a: status code: 503", false},
		{"a reason cut in the middle: a key across the cut is no hit", "Error: Failed to query provider packages: could not … context deadline exceeded", "could not connect to registry.example.org", false},
		{"the shown marker's line must end where the key does", "src/A.hs:3:9: error: Variable not in scope: fx :: Int", "Error:     Variable not in scope: f", false},
	}
	// GitHub's displayed marker over a key line: the message must start
	// at a word and not under another severity.
	marked := []struct {
		name, reason, key string
		want              bool
	}{
		{"joined under GHC's header", "src/A.hs:12:9: error: [GHC-88464] Variable not in scope: frobnicate :: Int", "Error: Variable not in scope: frobnicate :: Int", true},
		{"inside a longer number", "  21 failing", "Error: 1 failing", false},
		{"inside a longer count", "FAIL: 11 tests failing", "Error: 1 tests failing", false},
		{"under a warning", "warning: unused variable: count_total", "Error: unused variable: count_total", false},
	}
	for _, tt := range marked {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hit(tt.reason, tt.key); got != tt.want {
				t.Errorf("Hit(%q, %q) = %v, want %v", tt.reason, tt.key, got, tt.want)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hit(tt.reason, tt.key); got != tt.want {
				t.Errorf("Hit(%q, %q) = %v, want %v", tt.reason, tt.key, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"gh run view's columns before a timestamp", "build\tRun tests\t2024-05-01T10:00:00.1234567Z npm error code E404", "npm error code E404"},
		{"TeamCity's nesting is no column", "[17:17:13] :\t\t [Run Bazel test] //pkg/sql:sql_test   TIMEOUT in 300.1s", "//pkg/sql:sql_test TIMEOUT in 300.1s"},
		{"a line's own tabs are its text", "FAIL\tgithub.com/acme/pkg\t0.512s", "FAIL github.com/acme/pkg 0.512s"},
		{"a marker and blanks", "##[error]  Process   completed", "Process completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.line); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}
