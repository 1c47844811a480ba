package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestServeLoadMassFailure: 1,000 failures from 50 repositories arrive
// at once through webhooks to one built `ccm serve` (every role, the
// default concurrency) on the test Redis. Every one must be recorded,
// analysed and gated. Throughput, the webhook → gate and webhook → Slack
// alert latencies, and GitHub calls per failure are logged, never
// asserted: they depend on the machine. Slack's one post a second per
// channel is what bounds the alerts, so each repository has its own
// alerts channel, as teams do; the test stops waiting for alerts at its
// time bound and says how many came.
func TestServeLoadMassFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 failures through the built binary")
	}
	const (
		repos    = 50
		perRepo  = 20
		total    = repos * perRepo
		gateWait = 75 * time.Second // all gated within it, or the test fails
		alertCap = 45 * time.Second // then alerts are waited for this long more, at most
	)
	began := time.Now()
	bin := buildCCM(t, "-s -w")
	t.Logf("ccm built in %s", time.Since(began).Round(time.Millisecond))
	gh := githubsim.New(t)
	var channels []string
	var cfg strings.Builder
	cfg.WriteString("mode: shadow\nchannels:\n  alerts: \"#ci-alerts\"\n  approvals: \"#ci-approvals\"\n  critical: \"#ops-critical\"\nrepositories:\n")
	type failure struct {
		repo string
		run  githubsim.Run
		sent time.Time
	}
	var all []*failure
	for r := range repos {
		repo := fmt.Sprintf("load/svc-%s", letters(r))
		ch := "#alerts-" + letters(r)
		channels = append(channels, ch)
		fmt.Fprintf(&cfg, "  - name: %s\n    channels: {alerts: %q}\n", repo, ch)
		for i := range perRepo {
			name := letters(len(all))
			all = append(all, &failure{repo: repo, run: transientRun(gh, repo, "b-"+letters(i), npmResetLog(t, name))})
		}
	}
	sim := slacksim.New(t, slacksim.Config{Channels: append(channels, "#ci-alerts", "#ci-approvals", "#ops-critical")})
	redisURL := cliRedisURL(t)
	cfgPath := filepath.Join(t.TempDir(), "ccm.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, _, closeStore, err := state.Open(ctx, redisURL, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	secret := []byte("webhook-secret")
	addr := freeAddr(t)
	cmd := serveCmd(bin, cfgPath, redisURL, addr, gh, secret,
		"SLACK_BOT_TOKEN="+sim.Config().BotToken, "SLACK_API_URL="+sim.URL())
	var out syncWriter
	cmd.Stdout, cmd.Stderr = &out, &out
	// info, not debug: a thousand failures' debug lines are load of
	// their own.
	cmd.Args = slices.DeleteFunc(cmd.Args, func(a string) bool { return a == "--log-level" || a == "debug" })
	proc := startServe(t, cmd)
	defer func() {
		if t.Failed() {
			o := out.String()
			t.Logf("ccm serve output (last 20 kB):\n%s", o[max(0, len(o)-20000):])
		}
	}()
	base := "http://" + addr
	ready(t, base)
	gh.ResetRequests()
	callsBefore := gh.Remaining()

	// Everything at once: 50 senders, one per repository.
	start := time.Now()
	var wg sync.WaitGroup
	for r := range repos {
		wg.Go(func() {
			for _, f := range all[r*perRepo : (r+1)*perRepo] {
				f.sent = time.Now()
				if err := deliverWebhook(base, secret, f.repo, f.run); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	accepted := time.Since(start)

	// Wait until every failure is gated.
	gated := map[string]state.FailureRecord{}
	waitUntil(t, gateWait, "every failure to be gated", func() bool {
		for _, f := range all {
			id := tasks.FailureID(f.repo, f.run.ID, 1)
			if _, ok := gated[id]; ok {
				continue
			}
			rec, err := st.GetFailure(ctx, id)
			if err != nil || rec.Gate == nil || rec.Analysis == nil {
				return false
			}
			gated[id] = rec
		}
		return true
	})
	allGated := time.Since(start)
	apiCalls := callsBefore - gh.Remaining()

	// Alerts, as long as the cap allows.
	alertAt := map[int64]time.Time{}
	runOf := regexp.MustCompile(`#(\d+) attempt 1`)
	collect := func() {
		for _, c := range sim.CallsTo("chat.postMessage") {
			if c.Error != "" || c.Params["thread_ts"] != "" {
				continue
			}
			if m := runOf.FindStringSubmatch(c.Params["blocks"]); m != nil {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				if _, seen := alertAt[id]; !seen {
					alertAt[id] = c.Time
				}
			}
		}
	}
	for deadline := time.Now().Add(alertCap); time.Now().Before(deadline); time.Sleep(time.Second) {
		if collect(); len(alertAt) == total {
			break
		}
	}
	collect()
	elapsed := time.Since(start)
	proc.sigterm(t)

	var toGate, toAlert []time.Duration
	for _, f := range all {
		rec := gated[tasks.FailureID(f.repo, f.run.ID, 1)]
		toGate = append(toGate, rec.Gate.DecidedAt.Sub(f.sent))
		if at, ok := alertAt[f.run.ID]; ok {
			toAlert = append(toAlert, at.Sub(f.sent))
		}
	}
	t.Logf("%d failures from %d repositories: webhooks accepted in %s; all recorded, analysed and gated %s after the first",
		total, repos, accepted.Round(time.Millisecond), allGated.Round(time.Millisecond))
	t.Logf("throughput: %.1f failures/s gated", float64(total)/allGated.Seconds())
	t.Logf("webhook → gate decision: p50 %s p99 %s max %s", pct(toGate, 50), pct(toGate, 99), pct(toGate, 100))
	t.Logf("webhook → Slack alert: %d of %d alerts posted within %s; among them p50 %s p99 %s max %s",
		len(toAlert), total, elapsed.Round(time.Second), pct(toAlert, 50), pct(toAlert, 99), pct(toAlert, 100))
	t.Logf("GitHub API calls counted by the rate limit: %d (%.2f per failure); chat.postMessage calls %d",
		apiCalls, float64(apiCalls)/total, len(sim.CallsTo("chat.postMessage")))
	t.Logf("wall time, build included: %s", time.Since(began).Round(time.Millisecond))
}

// pct is the p-th percentile of ds (100: the largest), 0 when empty.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return s[max(i, 0)].Round(time.Millisecond)
}
