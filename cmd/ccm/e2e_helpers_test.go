package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
)

// Shared by the built-binary tests of crashes, replicas and load: the
// same transient failure (an npm registry reset on a docs-only push,
// whose re-run passes), with a fingerprint of its own per name.

// letters spells i in lowercase letters: the fingerprint keeps letters
// and normalises digits away, so names made of digits would all group
// into one Slack thread.
func letters(i int) string {
	s := ""
	for {
		s = string(rune('a'+i%26)) + s
		i /= 26
		if i == 0 {
			return s
		}
		i--
	}
}

// npmResetLog is the shipped npm ECONNRESET log with one more error line
// naming the package lib-<name>, so each name is its own fingerprint.
func npmResetLog(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/logs/npm-econnreset.log")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(b), "npm error network aborted",
		"npm error network request to https://registry.npmjs.org/lib-"+name+" failed, reason: read ECONNRESET", 1)
}

// transientRun adds a passing run of CI on branch, then a failing one
// with log, changing only README.md since (so the gate knows no
// application code is involved); the failing run's re-run passes.
func transientRun(gh *githubsim.Server, repo, branch, log string) githubsim.Run {
	prev := gh.AddRun(repo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: branch,
		CreatedAt: time.Now().Add(-time.Hour)})
	run := gh.AddRun(repo, githubsim.Run{Conclusion: "failure", Name: "CI", HeadBranch: branch,
		ChangedFiles: []string{"README.md"},
		Jobs: []githubsim.Job{{Name: "build", Conclusion: "failure", Log: log, Steps: []githubsim.Step{
			{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
			{Number: 2, Name: "Run npm ci", Status: "completed", Conclusion: "failure"},
		}}}})
	gh.SetCompare(repo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	gh.ScriptAttempts(repo, run.ID, 0, "success")
	return run
}

// serveCmd is `ccm serve` with the test's config, Redis, GitHub simulator
// and webhook secret; env adds variables (Slack's).
func serveCmd(bin, cfgPath, redisURL, addr string, gh *githubsim.Server, secret []byte, env ...string) *exec.Cmd {
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--http-addr", addr, "--log-level", "debug")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "GITHUB_TOKEN=ghp_test",
		"GITHUB_API_URL=" + gh.URL, "GITHUB_WEBHOOK_SECRET=" + string(secret), "REDIS_URL=" + redisURL}, env...)
	return cmd
}

// kill9 kills the process as the kernel's OOM killer or a lost node
// does: no signal handler, no drain, in-flight tasks left active.
func (p *serveProc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		p.stopped = true
	case <-time.After(10 * time.Second):
		t.Fatal("ccm serve did not die on SIGKILL")
	}
}

// ageLeases moves the leases in Redis two minutes on, as if the dead
// worker had been gone that long: asynq's task leases are set two minutes
// back, and ccm's own leases (ccm:lease:*) that would have lapsed by then
// are deleted. asynq recovers a task whose lease (30 s, a constant of
// asynq's) expired 30 s ago, on its recoverer's pass at start and every
// minute: no setting shortens that, so the test spends no 90 s waiting
// but moves the clock of the leases instead. It returns the task IDs that
// were active.
func ageLeases(t *testing.T, redisURL string) []string {
	t.Helper()
	rdb := redisClient(t, redisURL)
	ctx := context.Background()
	ids := ageTaskLeases(t, rdb, func(string, float64) bool { return true })
	ccmLeases, err := rdb.Keys(ctx, "ccm:lease:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ccmLeases {
		left, err := rdb.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if left >= 0 && left < 2*time.Minute {
			if err := rdb.Del(ctx, k).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

// ageLeasesOf ages, as ageLeases does, only the asynq leases of the tasks
// the process pid, killed at killed, had in hand, so a live replica's
// tasks are left to it. Its tasks are those whose lease was last extended
// before the kill (score at most killed+30 s) and that no live server
// lists as its own: it waits out one heartbeat (5 s) first, so every live
// server's asynq:workers key and leases are current. ccm's own leases are
// left to lapse (they are short and renewed).
func ageLeasesOf(t *testing.T, redisURL string, pid int, killed time.Time) []string {
	t.Helper()
	time.Sleep(time.Until(killed.Add(6 * time.Second)))
	rdb := redisClient(t, redisURL)
	ctx := context.Background()
	workers, err := rdb.Keys(ctx, "asynq:workers:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for _, k := range workers {
		if strings.Contains(k, fmt.Sprintf(":%d:", pid)) {
			continue
		}
		ids, err := rdb.HKeys(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			live[id] = true
		}
	}
	lastExtended := float64(killed.Add(30 * time.Second).Unix())
	return ageTaskLeases(t, rdb, func(id string, score float64) bool { return !live[id] && score <= lastExtended })
}

// ageTaskLeases sets the asynq leases that pick (task ID, lease expiry in
// Unix seconds) chooses two minutes back, and returns their task IDs.
func ageTaskLeases(t *testing.T, rdb *redis.Client, pick func(id string, score float64) bool) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "asynq:{*}:lease").Result()
	if err != nil {
		t.Fatal(err)
	}
	past := float64(time.Now().Add(-2 * time.Minute).Unix())
	var ids []string
	for _, k := range keys {
		members, err := rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			id, _ := m.Member.(string)
			if !pick(id, m.Score) {
				continue
			}
			if err := rdb.ZAdd(ctx, k, redis.Z{Score: past, Member: id}).Err(); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
	}
	return ids
}

// redisClient connects to the test's Redis, closed at cleanup.
func redisClient(t *testing.T, redisURL string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// waitUntil is waitFor with its own bound.
func waitUntil(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", bound, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready waits for ccm serve's /readyz.
func ready(t *testing.T, base string) {
	t.Helper()
	waitFor(t, base+"/readyz", func() bool { code, _ := httpGet(base + "/readyz"); return code == http.StatusOK })
}

// auditKey names an audit entry by what it records, so the same entry
// written twice shows up as a count of 2.
func auditKey(e state.AuditEntry) string {
	k := e.ActionType + "/" + e.Outcome
	for _, d := range []string{"phase", "action", "decision", "step"} {
		if v, ok := e.Details[d]; ok {
			k += "/" + d + "=" + strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " "))
		}
	}
	return k
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case string:
		return x
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// deliverWebhook is sendWebhook for goroutines: it returns what went
// wrong instead of stopping the test.
func deliverWebhook(base string, secret []byte, repo string, run githubsim.Run) error {
	body := githubsim.WorkflowRunEventBody(repo, run, "completed")
	req, err := http.NewRequest(http.MethodPost, base+"/webhooks/github", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-GitHub-Event", "workflow_run")
	req.Header.Set("X-Hub-Signature-256", githubsim.SignWebhook(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook for %s#%d: %w", repo, run.ID, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("webhook for %s#%d: status %d", repo, run.ID, resp.StatusCode)
	}
	return nil
}
