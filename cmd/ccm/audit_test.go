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

// cliRedisURL is a Redis URL a test may fill under "ccm:" (the prefix the
// CLI reads): on the real test server, a database this test found empty
// and claimed (claimEmptyDB), so no one's keys are ever deleted; without a
// real Redis, or with no empty database, a private embedded one.
func cliRedisURL(t *testing.T) string {
	t.Helper()
	if statetest.Real(t) {
		if u, ok := claimEmptyDB(t); ok {
			return u
		}
		t.Log("no empty database on the test Redis; the CLI test uses an embedded one")
	}
	return "redis://" + miniredis.RunT(t).Addr() + "/0"
}

// claimEmptyDB finds a database of the test Redis holding no key at all and
// claims it, so two test binaries never share one and a database a person
// uses is never touched. The claim is a lease held outside the database
// (SETNX ccmtest:db:<n> in database 0, an hour at most): a test may then
// empty the database entirely (a sandbox insists on 0 keys) and still own
// it. A marker inside it (ccmtest:claimed) keeps older copies of this
// helper, which know only that, away too. Cleanup deletes what the test
// wrote there and the lease.
func claimEmptyDB(t *testing.T) (string, bool) {
	t.Helper()
	base, err := url.Parse(statetest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const marker = "ccmtest:claimed"
	leases := dbClient(t, *base, 0)
	for db := 15; db >= 1; db-- {
		lease := "ccmtest:db:" + strconv.Itoa(db)
		if set, err := leases.SetNX(ctx, lease, t.Name(), time.Hour).Result(); err != nil || !set {
			continue // another test's
		}
		rdb := dbClient(t, *base, db)
		n, err := rdb.DBSize(ctx).Result()
		if err == nil && n == 0 {
			if set, err := rdb.SetNX(ctx, marker, t.Name(), time.Hour).Result(); err == nil && set {
				if n, err := rdb.DBSize(ctx).Result(); err == nil && n == 1 {
					t.Cleanup(func() {
						for _, p := range []string{"ccm:", "asynq:"} {
							if err := statetest.DeletePrefix(ctx, rdb, p); err != nil {
								t.Error(err)
							}
						}
						_ = rdb.Del(ctx, marker).Err()
						_ = rdb.Close()
						_ = leases.Del(ctx, lease).Err()
						_ = leases.Close()
					})
					return dbURL(*base, db), true
				}
				_ = rdb.Del(ctx, marker).Err() // someone started writing here
			}
		}
		// Out of range, or someone's: not ours.
		_ = rdb.Close()
		_ = leases.Del(ctx, lease).Err()
	}
	_ = leases.Close()
	return "", false
}

func dbURL(base url.URL, db int) string {
	base.Path = "/" + strconv.Itoa(db)
	return base.String()
}

func dbClient(t *testing.T, base url.URL, db int) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(dbURL(base, db))
	if err != nil {
		t.Fatal(err)
	}
	return redis.NewClient(opt)
}

func TestAuditCommand(t *testing.T) {
	offline(t)
	redisURL := cliRedisURL(t)
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("test redis: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
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
