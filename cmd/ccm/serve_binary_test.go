package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// The "done when", on the built binary: `ccm serve` as a child
// process against the GitHub simulator (webhooks signed like GitHub's, all
// on loopback) and a Redis of the test's own, global mode auto.
//   - a transient failure (npm ECONNRESET) is re-run once and verified:
//     remediated, exactly one re-run write on the simulator;
//   - a compile error is not touched;
//   - a repository in protected_repositories gets a pending approval;
//   - a repository in mode shadow gets decisions and no write.
func TestServeBinaryActsOnlyWhereAllowed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCCM(t, "-s -w")
	transient, err := os.ReadFile("../../testdata/logs/npm-econnreset.log")
	if err != nil {
		t.Fatal(err)
	}
	compile, err := os.ReadFile("../../testdata/logs/typescript-type-errors.log")
	if err != nil {
		t.Fatal(err)
	}
	gh := githubsim.New(t)
	// Each failure follows a passing run of the workflow on its branch, so
	// ccm knows what the push changed (the comparison of the two heads);
	// without one the change is unknown and the gate assumes application
	// code.
	failed := func(repo, branch, step, log string, changed ...string) githubsim.Run {
		prev := gh.AddRun(repo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: branch,
			CreatedAt: time.Now().Add(-time.Hour)})
		run := gh.AddRun(repo, githubsim.Run{Conclusion: "failure", Name: "CI", HeadBranch: branch, ChangedFiles: changed,
			Jobs: []githubsim.Job{{Name: "build", Conclusion: "failure", Log: log, Steps: []githubsim.Step{
				{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
				{Number: 2, Name: step, Status: "completed", Conclusion: "failure"},
			}}}})
		gh.SetCompare(repo, prev.HeadSHA, run.HeadSHA, changed)
		return run
	}
	// A registry reset on a docs-only push: what ccm may re-run alone.
	web := failed("acme/web", "main", "Run npm ci", string(transient), "README.md")
	gh.ScriptAttempts("acme/web", web.ID, 0, "success")
	typeErr := failed("acme/web", "feature", "Run npm run typecheck", string(compile), "src/motion.ts")
	// Another outage for the others: one fingerprint failing in three
	// repositories would open an incident, which pauses ccm (tested apart).
	rateLimited, err := os.ReadFile("../../testdata/logs/dockerhub-rate-limit.log")
	if err != nil {
		t.Fatal(err)
	}
	payments := failed("acme/payments", "main", "Run docker build", string(rateLimited), "README.md")
	docs := failed("acme/docs", "main", "Run docker build", string(rateLimited), "README.md")
	type failure struct {
		repo string
		run  githubsim.Run
	}
	all := []failure{{"acme/web", web}, {"acme/web", typeErr}, {"acme/payments", payments}, {"acme/docs", docs}}

	redisSrv := miniredis.RunT(t)
	redisURL := "redis://" + redisSrv.Addr()
	cfgPath := filepath.Join(t.TempDir(), "ccm.yaml")
	cfg := `mode: auto
approvers: [U012ABCDEF]
protected_repositories: [acme/payments]
repositories:
  - name: acme/web
  - name: acme/payments
  - name: acme/docs
    mode: shadow
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, _, closeStore, err := state.Open(ctx, redisURL, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	record := func(repo string, run githubsim.Run) state.FailureRecord {
		rec, _ := st.GetFailure(ctx, tasks.FailureID(repo, run.ID, 1))
		return rec
	}
	secret := []byte("webhook-secret")
	addr := freeAddr(t)
	start := time.Now()
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--http-addr", addr, "--log-level", "debug")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GITHUB_TOKEN=ghp_test",
		"GITHUB_API_URL=" + gh.URL, "GITHUB_WEBHOOK_SECRET=" + string(secret), "REDIS_URL=" + redisURL}
	var stderr syncWriter
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	proc := startServe(t, cmd)
	defer func() {
		if t.Failed() {
			for _, f := range all {
				r := record(f.repo, f.run)
				t.Logf("%s#%d: %s gate %+v remediation %+v", f.repo, f.run.ID, r.Status, r.Gate, r.Remediation)
			}
			t.Logf("writes %+v", gh.Writes())
			t.Logf("ccm serve output:\n%s", stderr.String())
		}
	}()
	base := "http://" + addr
	waitFor(t, "/readyz", func() bool { code, _ := httpGet(base + "/readyz"); return code == 200 })
	for _, f := range all {
		sendWebhook(t, base, secret, f.repo, f.run)
	}

	settled := func(repo string, run githubsim.Run, want state.Status) func() bool {
		return func() bool { r := record(repo, run); return r.Status == want && r.Gate != nil }
	}
	// One bound (waitFor's 20 s) for all four: remediated, asked, decided.
	waitFor(t, "the four failures to settle", func() bool {
		return settled("acme/web", web, state.StatusRemediated)() &&
			settled("acme/payments", payments, state.StatusAwaitingApproval)() &&
			settled("acme/web", typeErr, state.StatusAnalyzed)() && settled("acme/docs", docs, state.StatusAnalyzed)()
	})

	if w := gh.Writes(); len(w) != 1 || w[0].Route != githubsim.RouteRerunFailedJobs ||
		w[0].Path != fmt.Sprintf("/api/v3/repos/acme/web/actions/runs/%d/rerun-failed-jobs", web.ID) {
		t.Errorf("writes %+v: want exactly one, the re-run of %d", w, web.ID)
	}
	if r := record("acme/web", web); r.Remediation == nil || r.Remediation.VerifyAttempt != 2 {
		t.Errorf("transient failure's remediation %+v: want attempt 2 verified", r.Remediation)
	}
	if r := record("acme/web", typeErr); r.Gate.Decision != "none" {
		t.Errorf("compile error: gate %+v, want none", r.Gate)
	}
	if r := record("acme/docs", docs); !r.Shadow || r.Gate.Mode != "shadow" {
		t.Errorf("shadow repository: shadow %v, gate %+v", r.Shadow, r.Gate)
	}
	asked, err := st.QueryAudit(ctx, state.AuditQuery{FailureID: tasks.FailureID("acme/payments", payments.ID, 1),
		ActionType: state.ActionApproval})
	if err != nil || len(asked) != 1 || asked[0].Outcome != state.OutcomePending {
		t.Errorf("approval audit of the protected repository %+v, %v: want one request, pending", asked, err)
	}
	t.Logf("four failures settled %s after ccm serve started", time.Since(start).Round(time.Millisecond))

	proc.sigterm(t)
	if w := gh.Writes(); len(w) != 1 {
		t.Errorf("writes after the shutdown %+v: want still one", w)
	}
}

// serveProc is a `ccm serve` child process a test drives.
type serveProc struct {
	cmd     *exec.Cmd
	exited  chan error
	stopped bool
}

// startServe starts cmd; cleanup kills it unless the test stopped it.
func startServe(t *testing.T, cmd *exec.Cmd) *serveProc {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if !p.stopped {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// sigterm stops it as an orchestrator does and wants a clean exit.
func (p *serveProc) sigterm(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		p.stopped = true
		if err != nil {
			t.Errorf("ccm serve after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("ccm serve did not stop after SIGTERM")
	}
}

// waitExit waits up to within for the process to end with exit code
// want, and says what did not stop when it does not, with its stderr.
func (p *serveProc) waitExit(t *testing.T, want int, within time.Duration, what string, stderr fmt.Stringer) {
	t.Helper()
	select {
	case err := <-p.exited:
		p.stopped = true
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != want {
			t.Errorf("%s: exit %v, want %d; stderr:\n%s", what, err, want, stderr)
		}
	case <-time.After(within):
		t.Fatalf("%s did not stop within %s; stderr:\n%s", what, within, stderr)
	}
}
