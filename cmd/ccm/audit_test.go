package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// auditDB is a Redis database of the real test server that only this test
// uses: ccm audit reads the real "ccm:" prefix, not a test prefix.
const auditDB = 13

// cliRedisURL is a Redis URL a test may fill under "ccm:": database db of
// the real test Redis (each command's test has its own), or a private
// embedded one when the tests run without a real Redis (see statetest).
func cliRedisURL(t *testing.T, db int) string {
	t.Helper()
	if !statetest.Real(t) {
		return "redis://" + miniredis.RunT(t).Addr() + "/0"
	}
	// Same server, scheme and credentials; another database.
	u, err := url.Parse(statetest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + strconv.Itoa(db)
	return u.String()
}

func TestAuditCommand(t *testing.T) {
	offline(t)
	redisURL := cliRedisURL(t, auditDB)
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("test redis: %v", err)
	}
	clean := func() {
		if err := statetest.DeletePrefix(ctx, rdb, "ccm:"); err != nil {
			t.Error(err)
		}
	}
	clean()
	t.Cleanup(func() { clean(); _ = rdb.Close() })
	store := state.New(rdb, state.Options{})
	now := time.Now().UTC()
	for _, e := range []state.AuditEntry{
		{Timestamp: now.Add(-48 * time.Hour), Actor: "ccm", ActionType: state.ActionDetection, FailureID: "acme/web#1.1", Repo: "acme/web", Outcome: state.OutcomeSuccess},
		{Timestamp: now.Add(-time.Hour), Actor: "ccm", ActionType: state.ActionDetection, FailureID: "acme/web#2.1", Repo: "acme/web", Outcome: state.OutcomeSuccess, Details: map[string]any{"reason": "npm error code ECONNRESET"}},
		{Timestamp: now.Add(-time.Minute), Actor: "ccm", ActionType: state.ActionError, Repo: "acme/api", Outcome: state.OutcomeFailure, Error: "list failed runs acme/api: 404 not found"},
	} {
		if _, err := store.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("REDIS_URL", redisURL)

	stdout, stderr, code := runCLI(t, nil, "audit")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "acme/web#2.1") || !strings.Contains(stdout, "reason=npm error code ECONNRESET") ||
		!strings.Contains(stdout, "error: list failed runs") || strings.Contains(stdout, "acme/web#1.1") {
		t.Errorf("default (last 24h) output:\n%s", stdout)
	}

	stdout, stderr, code = runCLI(t, nil, "audit", "--json", "--since", "", "--repo", "acme/web")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("--repo acme/web --since '' = %d entries, want 2:\n%s", len(lines), stdout)
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e["failure_id"] != "acme/web#2.1" {
		t.Errorf("first JSON line = %+v (%v), want the newest entry", e, err)
	}
	for _, field := range []string{"id", "ts", "action_type", "actor", "failure_id", "repo", "category", "request_id", "outcome", "details", "error"} {
		if _, ok := e[field]; !ok {
			t.Errorf("JSON entry lacks the contract field %q: %s", field, lines[0])
		}
	}
	// Repository names ignore case, as on GitHub.
	if stdout, _, _ := runCLI(t, nil, "audit", "--since", "", "--repo", "ACME/Web", "--json"); strings.Count(stdout, "\n") != 2 {
		t.Errorf("--repo ACME/Web matched:\n%s", stdout)
	}

	for _, bad := range [][]string{{"audit", "--since", "yesterday"}, {"audit", "--limit", "0"}, {"audit", "--action", "bogus"}, {"audit", "--since", "10m", "--until", "1h"}} {
		if _, _, code := runCLI(t, nil, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	t.Setenv("REDIS_URL", "")
	if _, stderr, code := runCLI(t, nil, "audit"); code != 2 || !strings.Contains(stderr, "REDIS_URL") {
		t.Errorf("without REDIS_URL: exit %d %q", code, stderr)
	}
}
