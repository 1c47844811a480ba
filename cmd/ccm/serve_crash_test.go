package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestServeKill9MidRemediation: `ccm serve` is killed with SIGKILL while
// its re-run request is in flight — GitHub made the re-run, the answer
// never came back — and started again on the same Redis. The remediation
// task is recovered, GitHub gets no second re-run, the failure ends
// remediated and verified, and the audit trail holds every entry once.
func TestServeKill9MidRemediation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCCM(t, "-s -w")
	const repo = "acme/web"
	gh := githubsim.New(t)
	run := transientRun(gh, repo, "main", npmResetLog(t, "crash"))
	id := tasks.FailureID(repo, run.ID, 1)
	// GitHub makes the re-run, then holds the answer until the client is
	// gone: the write ccm cannot know happened.
	gh.FailNext(githubsim.RouteRerunFailedJobs, githubsim.Fault{Apply: true, Hang: true})

	// Redis lives in the test process, so it outlives the killed child.
	redisURL := "redis://" + miniredis.RunT(t).Addr()
	cfgPath := filepath.Join(t.TempDir(), "ccm.yaml")
	if err := os.WriteFile(cfgPath, []byte("mode: auto\napprovers: [U012ABCDEF]\nrepositories:\n  - name: "+repo+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, _, closeStore, err := state.Open(ctx, redisURL, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	record := func() state.FailureRecord { r, _ := st.GetFailure(ctx, id); return r }
	secret := []byte("webhook-secret")

	var out1, out2 syncWriter
	defer func() {
		if t.Failed() {
			r := record()
			t.Logf("%s: %s remediation %+v", id, r.Status, r.Remediation)
			t.Logf("writes %+v", gh.Writes())
			t.Logf("first ccm serve:\n%s\nsecond ccm serve:\n%s", out1.String(), out2.String())
		}
	}()
	addr := freeAddr(t)
	cmd := serveCmd(bin, cfgPath, redisURL, addr, gh, secret)
	cmd.Stdout, cmd.Stderr = &out1, &out1
	first := startServe(t, cmd)
	ready(t, "http://"+addr)
	sendWebhook(t, "http://"+addr, secret, repo, run)
	waitFor(t, "the re-run request", func() bool { return len(gh.RequestsTo(githubsim.RouteRerunFailedJobs)) == 1 })
	first.kill9(t)
	if r := record(); r.Status != state.StatusRemediating {
		t.Fatalf("killed mid-remediation, the record is %s, want remediating", r.Status)
	}
	active := ageLeases(t, redisURL)
	if !slices.Contains(active, tasks.RemediateTaskID(id)) {
		t.Errorf("tasks active at the kill %v: want the remediation %s among them", active, tasks.RemediateTaskID(id))
	}

	addr = freeAddr(t)
	cmd = serveCmd(bin, cfgPath, redisURL, addr, gh, secret)
	cmd.Stdout, cmd.Stderr = &out2, &out2
	restarted := time.Now()
	second := startServe(t, cmd)
	waitUntil(t, 60*time.Second, "the failure to be remediated after the restart", func() bool {
		return record().Status == state.StatusRemediated
	})
	t.Logf("remediated %s after the restart", time.Since(restarted).Round(time.Millisecond))
	second.sigterm(t)

	if n := len(gh.RequestsTo(githubsim.RouteRerunFailedJobs)); n != 1 {
		t.Errorf("re-run requests: %d, want 1 (the one whose answer was lost)", n)
	}
	applied := 0
	for _, w := range gh.Writes() {
		if w.Applied {
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("writes applied %d, want 1: %+v", applied, gh.Writes())
	}
	if r := record(); r.Remediation == nil || r.Remediation.VerifyAttempt != 2 {
		t.Errorf("remediation %+v: want attempt 2 verified", r.Remediation)
	}
	es, err := st.QueryAudit(ctx, state.AuditQuery{FailureID: id})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range es {
		seen[auditKey(e)]++
	}
	for k, n := range seen {
		t.Logf("audit %s ×%d", k, n)
		if n != 1 && k[:len(state.ActionRecovery)] != state.ActionRecovery {
			t.Errorf("audit entry %s written %d times, want once", k, n)
		}
	}
	for _, want := range []string{state.ActionDetection, state.ActionAnalysis, state.ActionValidation} {
		if !slices.ContainsFunc(es, func(e state.AuditEntry) bool { return e.ActionType == want }) {
			t.Errorf("no %s audit entry", want)
		}
	}
	if !slices.ContainsFunc(es, func(e state.AuditEntry) bool {
		return e.ActionType == state.ActionRemediation && e.Details["phase"] == "verify" && e.Outcome == state.OutcomeSuccess
	}) {
		t.Error("no remediation/verify/success audit entry")
	}
}
