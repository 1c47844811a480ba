package main

import (
	"net"
	"strings"
	"testing"
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
