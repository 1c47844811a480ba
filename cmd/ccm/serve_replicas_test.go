package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestServeTwoReplicas: two `ccm serve` processes, every role each, on one
// Redis, one GitHub and one Slack. Every failure is delivered to both (a
// redelivery, two load-balanced hooks): each is recorded once, alerted in
// one Slack thread, re-run once and verified. Then one replica is killed
// (SIGKILL) with two failures in its hands, and the other recovers them
// and carries them through, and new ones too.
func TestServeTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCCM(t, "-s -w")
	const repo = "acme/web"
	gh := githubsim.New(t)
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts", "#ci-approvals", "#ops-critical"}})
	redisURL := "redis://" + miniredis.RunT(t).Addr()
	cfgPath := filepath.Join(t.TempDir(), "ccm.yaml")
	cfg := `mode: auto
approvers: [U012ABCDEF]
channels:
  alerts: "#ci-alerts"
  approvals: "#ci-approvals"
  critical: "#ops-critical"
repositories:
  - name: ` + repo + "\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, _, closeStore, err := state.Open(ctx, redisURL, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	secret := []byte("webhook-secret")
	slackEnv := []string{"SLACK_BOT_TOKEN=" + sim.Config().BotToken, "SLACK_API_URL=" + sim.URL()}

	var outA, outB syncWriter
	addrA, addrB := freeAddr(t), freeAddr(t)
	cmdA := serveCmd(bin, cfgPath, redisURL, addrA, gh, secret, slackEnv...)
	cmdA.Stdout, cmdA.Stderr = &outA, &outA
	cmdB := serveCmd(bin, cfgPath, redisURL, addrB, gh, secret, slackEnv...)
	cmdB.Stdout, cmdB.Stderr = &outB, &outB
	a, b := startServe(t, cmdA), startServe(t, cmdB)
	baseA, baseB := "http://"+addrA, "http://"+addrB
	ready(t, baseA)
	ready(t, baseB)

	var runs []githubsim.Run
	add := func(n int) []githubsim.Run {
		var out []githubsim.Run
		for range n {
			name := letters(len(runs))
			r := transientRun(gh, repo, "branch-"+name, npmResetLog(t, name))
			runs = append(runs, r)
			out = append(out, r)
		}
		return out
	}
	record := func(r githubsim.Run) state.FailureRecord {
		rec, _ := st.GetFailure(ctx, tasks.FailureID(repo, r.ID, 1))
		return rec
	}
	settled := func(rs []githubsim.Run) func() bool {
		return func() bool {
			for _, r := range rs {
				if rec := record(r); rec.Status != state.StatusRemediated {
					return false
				}
			}
			return true
		}
	}
	defer func() {
		if t.Failed() {
			for _, r := range runs {
				rec := record(r)
				t.Logf("%s: %s remediation %+v", rec.ID, rec.Status, rec.Remediation)
			}
			t.Logf("#ci-alerts:\n%s", sim.Transcript("#ci-alerts"))
			t.Logf("#ops-critical:\n%s", sim.Transcript("#ops-critical"))
			t.Logf("replica A:\n%s\nreplica B:\n%s", outA.String(), outB.String())
		}
	}()

	first := add(4)
	for _, r := range first {
		sendWebhook(t, baseA, secret, repo, r)
		sendWebhook(t, baseB, secret, repo, r)
	}
	waitUntil(t, 60*time.Second, "the first failures to be remediated", settled(first))
	t.Logf("both up: failures recorded by A %d, by B %d", strings.Count(outA.String(), `"msg":"failure recorded"`),
		strings.Count(outB.String(), `"msg":"failure recorded"`))

	// A takes two more, and dies with them in hand: B is frozen (SIGSTOP)
	// so A's worker takes both ingests, whose log downloads hang, and A is
	// killed with the two tasks active.
	second := add(2)
	if err := b.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	logsBefore := len(gh.RequestsTo(githubsim.RouteJobLogs))
	gh.FailNext(githubsim.RouteJobLogs, githubsim.Fault{Hang: true, Count: 2})
	for _, r := range second {
		sendWebhook(t, baseA, secret, repo, r)
	}
	waitFor(t, "replica A to be downloading both logs", func() bool {
		return len(gh.RequestsTo(githubsim.RouteJobLogs)) >= logsBefore+2
	})
	a.kill9(t)
	killed := time.Now()
	if err := b.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	inHand := ageLeasesOf(t, redisURL, cmdA.Process.Pid, killed)
	t.Logf("replica A killed with %d task(s) in hand: %v", len(inHand), inHand)
	for _, r := range second {
		if id := tasks.IngestTaskID(tasks.FailureID(repo, r.ID, 1)); !slices.Contains(inHand, id) {
			t.Errorf("task %s was not in A's hands at the kill", id)
		}
	}
	// B's recoverer passes once a minute: a task A held is B's within it.
	waitUntil(t, 100*time.Second, "replica B to carry the failures A accepted", settled(second))
	t.Logf("B carried A's failures through %s after the kill", time.Since(killed).Round(time.Millisecond))
	// And takes new ones alone.
	third := add(1)
	for _, r := range third {
		sendWebhook(t, baseB, secret, repo, r)
	}
	waitUntil(t, 60*time.Second, "replica B to remediate new failures alone", settled(third))
	// ccm paces its posts to Slack's one a second per channel, shared by
	// the replicas, and each failure's thread is five posts or so: the
	// alerts trail the remediations by up to a minute here.
	waitUntil(t, 120*time.Second, "every failure's alert", func() bool {
		for _, r := range runs {
			if len(rootsOf(sim, r)) == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("every alert posted %s after the kill; chat.postMessage calls %d", time.Since(killed).Round(time.Millisecond),
		len(sim.CallsTo("chat.postMessage")))
	b.sigterm(t)

	for _, r := range runs {
		id := tasks.FailureID(repo, r.ID, 1)
		path := fmt.Sprintf("/api/v3/repos/%s/actions/runs/%d/rerun-failed-jobs", repo, r.ID)
		n := 0
		for _, w := range gh.WritesTo(githubsim.RouteRerunFailedJobs) {
			if w.Path == path && w.Applied {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d re-runs, want 1", id, n)
		}
		if roots := rootsOf(sim, r); len(roots) != 1 {
			t.Errorf("%s: %d Slack thread roots, want 1", id, len(roots))
		}
		es, err := st.QueryAudit(ctx, state.AuditQuery{FailureID: id, ActionType: state.ActionDetection})
		if err != nil || len(es) != 1 {
			t.Errorf("%s: %d detection entries (%v), want 1: one record", id, len(es), err)
		}
	}
	if n, want := len(gh.WritesTo(githubsim.RouteRerunFailedJobs)), len(runs); n != want {
		t.Errorf("re-run writes %d, want %d", n, want)
	}
}

// rootsOf are the #ci-alerts thread roots about run.
func rootsOf(sim *slacksim.Server, run githubsim.Run) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range sim.Messages("#ci-alerts") {
		if !m.IsReply() && strings.Contains(string(m.Blocks), fmt.Sprintf("#%d attempt 1", run.ID)) {
			out = append(out, m)
		}
	}
	return out
}
