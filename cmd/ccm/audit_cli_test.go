package main

import (
	"net"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/state"
)

// TestAuditRejectsUnknownCategory: a mistyped --category is a usage error
// listing the valid ones, not an empty answer from Redis. It is checked
// before Redis is needed.
func TestAuditRejectsUnknownCategory(t *testing.T) {
	tests := []struct {
		category string
		wantCode int
	}{
		{"flaky", 2},
		{"Flaky_Test", 2},
		{"code ", 2},
		// Valid: gets past the check to the missing REDIS_URL (also 2,
		// with another message).
		{"flaky_test", 2},
	}
	for _, tc := range tests {
		t.Run(tc.category, func(t *testing.T) {
			_, stderr, code := ccmRun(t, "audit", "--category", tc.category)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, stderr)
			}
			rejected := strings.Contains(stderr, "--category")
			if valid := tc.category == "flaky_test"; valid == rejected {
				t.Fatalf("category %q: rejected %v: %s", tc.category, rejected, stderr)
			}
			if rejected && !strings.Contains(stderr, "dependency, timeout, config, flaky_test, infrastructure, code") {
				t.Errorf("the error does not list the valid categories: %s", stderr)
			}
		})
	}
}

// closedAddr is a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestAuditUnreachableRedis: with Redis down, a person sees one line naming
// REDIS_URL and the address, not go-redis's pool log lines before it. It
// runs ccm's main in a child process: go-redis logs to the real stderr.
func TestAuditUnreachableRedis(t *testing.T) {
	addr := closedAddr(t)
	_, stderr, code := runMain(t, []string{"REDIS_URL=redis://:s3cret@" + addr + "/0"}, "audit", "--since", "1h")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 {
		t.Errorf("want one line on stderr, got %d:\n%s", len(lines), stderr)
	}
	last := lines[len(lines)-1]
	for _, want := range []string{"ccm: audit: cannot reach Redis at " + addr, "REDIS_URL"} {
		if !strings.Contains(last, want) {
			t.Errorf("error %q lacks %q", last, want)
		}
	}
	if strings.Contains(stderr, "s3cret") {
		t.Errorf("the password in REDIS_URL was printed:\n%s", stderr)
	}
}

func TestAuditBadRedisURL(t *testing.T) {
	_, stderr, code := runMain(t, []string{"REDIS_URL=http://user:s3cret@example.com"}, "audit")
	if code != 2 || !strings.Contains(stderr, "REDIS_URL") || strings.Contains(stderr, "s3cret") {
		t.Errorf("exit %d, want 2 and a message naming REDIS_URL without its password:\n%s", code, stderr)
	}
}

// TestAuditUsageErrors: a stray argument is refused rather than ignored
// (`ccm audit acme/web` would print every repository), and an --until
// before the default --since says which default it met. Both are checked
// before Redis is needed.
func TestAuditUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"stray argument", []string{"audit", "acme/web"}, `unexpected argument "acme/web"`},
		{"repo without owner", []string{"audit", "--repo", "bogus"}, `--repo "bogus": want OWNER/NAME`},
		{"repo with a path", []string{"audit", "--repo", "acme/web/x"}, `want OWNER/NAME`},
		{"failure not an ID", []string{"audit", "--failure", "nope"}, `--failure "nope": want OWNER/NAME#RUN.ATTEMPT`},
		{"failure without attempt", []string{"audit", "--failure", "acme/web#12"}, `want OWNER/NAME#RUN.ATTEMPT`},
		{"failure without owner", []string{"audit", "--failure", "web#12.1"}, `want OWNER/NAME#RUN.ATTEMPT`},
		{"failure with trailing text", []string{"audit", "--failure", "acme/web#123.1x"}, `want OWNER/NAME#RUN.ATTEMPT`},
		{"failure with a third part", []string{"audit", "--failure", "acme/web#123.1.2"}, `want OWNER/NAME#RUN.ATTEMPT`},
		{"failure with negatives", []string{"audit", "--failure", "acme/web#-5.-1"}, `want OWNER/NAME#RUN.ATTEMPT`},
		{"failure with a space", []string{"audit", "--failure", "acme/web# 123.1"}, `want OWNER/NAME#RUN.ATTEMPT`},
		{"until before the default since", []string{"audit", "--until", "2020-01-01T00:00:00Z"}, "before the default --since (24h ago)"},
		{"until before an explicit since", []string{"audit", "--since", "1h", "--until", "2h"}, "--since is after --until"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := ccmRun(t, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 2 and %q:\n%s", code, tc.want, stderr)
			}
		})
	}
}

// TestAuditSummary: the table's summary says what the gate, an approval and
// a remediation step did, not only analyses and errors.
func TestAuditSummary(t *testing.T) {
	tests := []struct {
		details map[string]any
		want    string
	}{
		{map[string]any{"decision": "auto", "mode": "shadow", "reasons": []string{"x"}}, "decision=auto mode=shadow"},
		{map[string]any{"phase": "act", "action": "rerun_failed_jobs", "state": "done"}, "phase=act action=rerun_failed_jobs state=done"},
		{map[string]any{"decision": "refused", "reason": "not an approver"}, "decision=refused reason=not an approver"},
		{map[string]any{"shadow_outcome": "rerun_passed"}, "shadow_outcome=rerun_passed"},
	}
	for _, tc := range tests {
		if got := summarize(state.AuditEntry{Details: tc.details}); got != tc.want {
			t.Errorf("summarize(%v) = %q, want %q", tc.details, got, tc.want)
		}
	}
}
