package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Slack user IDs of the scenario (config wants U + [A-Z0-9], no '_').
const (
	slkApprover  = "U0APPROVER"
	slkApprover2 = "U0APPROVR2"
	slkAdmin     = "U0ADMIN"
	slkStranger  = "U0STRANGER"
)

// Issue 8's "done when", on the built binary: `ccm serve` with Slack
// tokens, as a child process, against the Slack simulator (Web API and
// Socket Mode), the GitHub simulator (signed webhooks) and a Redis of the
// test's own, all on loopback.
//   - a transient failure produces one thread in the alerts channel and an
//     approval request with [Approve] [Reject] in the approvals channel;
//   - a stranger's click is refused (privately, audited, no write); an
//     approver's click re-runs once, updates the request in place and the
//     failure ends remediated; a later click is told it is decided and
//     nothing more is written;
//   - `/ccm threshold 3 acme/web` applies and is audited for an admin and is
//     refused for anyone else;
//   - `@ccm failures` answers in the mention's thread, naming the failure;
//   - SIGTERM stops it cleanly.
func TestServeSlackDoneWhen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// The bound is on the scenario, from `ccm serve` starting to its exit;
	// building the binary comes first and is not counted.
	const deadline = 60 * time.Second
	began := time.Now()
	bin := buildCCM(t, "-s -w")
	t.Logf("ccm built in %s", time.Since(began).Round(time.Millisecond))
	transient, err := os.ReadFile("../../testdata/logs/npm-econnreset.log")
	if err != nil {
		t.Fatal(err)
	}

	// GitHub: a passing run then an npm registry reset on a docs-only push
	// (the change is known from the comparison of the two heads); the
	// re-run passes.
	const repo = "acme/web"
	gh := githubsim.New(t)
	prev := gh.AddRun(repo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: "main",
		CreatedAt: time.Now().Add(-time.Hour)})
	run := gh.AddRun(repo, githubsim.Run{Conclusion: "failure", Name: "CI", HeadBranch: "main",
		ChangedFiles: []string{"README.md"},
		Jobs: []githubsim.Job{{Name: "build", Conclusion: "failure", Log: string(transient), Steps: []githubsim.Step{
			{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
			{Number: 2, Name: "Run npm ci", Status: "completed", Conclusion: "failure"},
		}}}})
	gh.SetCompare(repo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	gh.ScriptAttempts(repo, run.ID, 0, "success")
	failureID := tasks.FailureID(repo, run.ID, 1)

	// Slack: the three channels of the config and one where people chat.
	// Trigger IDs never expire: a loaded -race run must not fail on Slack's
	// 3 s (expiry is not under test here).
	sim := slacksim.New(t, slacksim.Config{
		Channels: []string{"#ci-alerts", "#ci-approvals", "#ops-critical", "#dev"},
		Users: map[string]string{slkApprover: "alice", slkApprover2: "bob", slkAdmin: "carol",
			slkStranger: "mallory"},
		TriggerTTL: -1,
	})

	redisSrv := miniredis.RunT(t)
	redisURL := "redis://" + redisSrv.Addr()
	cfgPath := filepath.Join(t.TempDir(), "ccm.yaml")
	cfg := fmt.Sprintf(`mode: approve
approvers: [%s, %s]
admins: [%s]
channels:
  alerts: "#ci-alerts"
  approvals: "#ci-approvals"
  critical: "#ops-critical"
repositories:
  - name: %s
`, slkApprover, slkApprover2, slkAdmin, repo)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, _, closeStore, err := state.Open(ctx, redisURL, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	record := func() state.FailureRecord {
		rec, _ := st.GetFailure(ctx, failureID)
		return rec
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "REDIS_URL=" + redisURL}
	// auditOf reads the audit trail with the built binary, as an operator
	// would: `ccm audit --json`, newest first.
	auditOf := func(args ...string) []map[string]any {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"audit", "--json", "--since", "", "--limit", "500"}, args...)...)
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("ccm audit %v: %v\n%s", args, err, errOut.String())
		}
		var es []map[string]any
		sc := bufio.NewScanner(&out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e map[string]any
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("ccm audit line %q: %v", sc.Text(), err)
			}
			es = append(es, e)
		}
		return es
	}
	detail := func(e map[string]any, k string) any {
		d, _ := e["details"].(map[string]any)
		return d[k]
	}

	secret := []byte("webhook-secret")
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--http-addr", addr, "--log-level", "debug")
	cmd.Env = append(append([]string{}, env...), "GITHUB_TOKEN=ghp_test", "GITHUB_API_URL="+gh.URL,
		"GITHUB_WEBHOOK_SECRET="+string(secret), "SLACK_BOT_TOKEN="+sim.Config().BotToken,
		"SLACK_APP_TOKEN="+sim.Config().AppToken, "SLACK_API_URL="+sim.URL())
	var stderr syncWriter
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	start := time.Now()
	proc := startServe(t, cmd)
	defer func() {
		t.Logf("#ci-alerts:\n%s", sim.Transcript("#ci-alerts"))
		t.Logf("#ci-approvals:\n%s", sim.Transcript("#ci-approvals"))
		if len(sim.Messages("#ops-critical")) > 0 {
			t.Logf("#ops-critical:\n%s", sim.Transcript("#ops-critical"))
		}
		t.Logf("#dev:\n%s", sim.Transcript("#dev"))
		byMethod := map[string]int{}
		calls := sim.Calls()
		for _, c := range calls {
			byMethod[c.Method]++
		}
		methods := make([]string, 0, len(byMethod))
		for m := range byMethod {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		var sb strings.Builder
		for _, m := range methods {
			fmt.Fprintf(&sb, "  %-26s %d\n", m, byMethod[m])
		}
		t.Logf("Slack Web API calls, whole scenario (%d):\n%s", len(calls), sb.String())
		for _, ch := range []string{"#ci-alerts", "#ci-approvals", "#ops-critical", "#dev"} {
			ms := sim.Messages(ch)
			edits := 0
			for _, m := range ms {
				edits += m.Edits
			}
			t.Logf("%s: %d messages, %d edits", ch, len(ms), edits)
		}
		var tl strings.Builder
		for _, c := range calls {
			if strings.HasPrefix(c.Method, "chat.") {
				fmt.Fprintf(&tl, "  +%6s %-16s %s\n", c.Time.Sub(start).Round(time.Millisecond), c.Method, c.Params["channel"])
			}
		}
		t.Logf("chat calls after ccm serve started:\n%s", tl.String())
		t.Logf("Socket Mode envelopes acked: %d; response_url posts: %d", len(sim.Acks()), len(sim.ResponsePosts()))
		// CCM_DEBUG_SERVE=1 prints ccm serve's log on a pass too.
		if t.Failed() || os.Getenv("CCM_DEBUG_SERVE") != "" {
			r := record()
			t.Logf("%s: %s gate %+v remediation %+v", failureID, r.Status, r.Gate, r.Remediation)
			t.Logf("GitHub writes %+v", gh.Writes())
			for _, u := range []string{slkApprover, slkApprover2, slkAdmin, slkStranger} {
				for _, e := range sim.Ephemerals(u) {
					t.Logf("ephemeral to %s: %s", u, e.Text)
				}
			}
			t.Logf("ccm serve output:\n%s", stderr.String())
		}
	}()
	const wait = 20 * time.Second
	base := "http://" + addr
	waitFor(t, "/readyz", func() bool { code, _ := httpGet(base + "/readyz"); return code == 200 })
	if err := sim.WaitConnected(1, wait); err != nil {
		t.Fatalf("ccm serve did not open a Socket Mode connection: %v", err)
	}
	t.Logf("ccm serve ready and connected to Slack %s after start", time.Since(start).Round(time.Millisecond))

	// ack waits for Slack to have the envelope acked.
	ack := func(sent slacksim.Sent, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.WaitAck(sent.EnvelopeID, wait); err != nil {
			t.Fatalf("envelope %s (%s) not acked: %v", sent.EnvelopeID, sent.Type, err)
		}
	}
	// private waits for an ephemeral answer to user, after the first skip,
	// holding want.
	private := func(user string, skip int, want string) string {
		t.Helper()
		var got string
		err := sim.WaitUntil(wait, func() bool {
			es := sim.Ephemerals(user)
			for _, e := range es[min(skip, len(es)):] {
				if strings.Contains(e.Text, want) {
					got = e.Text
					return true
				}
			}
			return false
		})
		if err != nil {
			var seen []string
			for _, e := range sim.Ephemerals(user) {
				seen = append(seen, e.Text)
			}
			t.Fatalf("no private answer to %s holding %q; seen:\n%s", user, want, strings.Join(seen, "\n---\n"))
		}
		return got
	}
	writes := func() []githubsim.Write { return gh.Writes() }

	// 1. The failure arrives by webhook: an approval request with buttons.
	sendWebhook(t, base, secret, repo, run)
	req, err := sim.WaitForMessage("#ci-approvals", func(m slacksim.Message) bool {
		return !m.IsReply() && bytes.Contains(m.Blocks, []byte(slackmsg.ActionApprove))
	}, wait)
	if err != nil {
		t.Fatalf("no approval request in #ci-approvals: %v", err)
	}
	reqText := sim.Transcript("#ci-approvals")
	if !strings.Contains(reqText, "[Approve]") || !strings.Contains(reqText, "[Reject]") {
		t.Errorf("approval request lacks [Approve] [Reject]:\n%s", reqText)
	}
	approveValue := buttonValue(t, req.Blocks, slackmsg.ActionApprove)
	waitFor(t, "the failure to await approval", func() bool { return record().Status == state.StatusAwaitingApproval })
	if w := writes(); len(w) != 0 {
		t.Fatalf("GitHub writes before any approval: %+v", w)
	}

	// 2. A stranger clicks Approve: refused privately, audited, no write.
	ack(sim.ClickButton(slkStranger, "#ci-approvals", req.TS, slackmsg.ActionApprove))
	refusal := private(slkStranger, 0, "You cannot decide this request")
	t.Logf("stranger's click answered: %q", refusal)
	var refused []map[string]any
	waitFor(t, "the refusal's audit entry", func() bool {
		refused = nil
		for _, e := range auditOf("--failure", failureID, "--action", state.ActionApproval) {
			if e["actor"] == slkStranger {
				refused = append(refused, e)
			}
		}
		return len(refused) > 0
	})
	if len(refused) != 1 || refused[0]["outcome"] != state.OutcomeFailure || detail(refused[0], "decision") != "refused" {
		t.Errorf("stranger's approval audit %+v: want one entry, outcome failure, details.decision refused", refused)
	}
	if w := writes(); len(w) != 0 {
		t.Errorf("GitHub writes after a refused click: %+v", w)
	}
	if s := record().Status; s != state.StatusAwaitingApproval {
		t.Errorf("status %s after a refused click, want %s", s, state.StatusAwaitingApproval)
	}

	// 3. The approver clicks Approve: one re-run, the request updated in
	// place, the failure remediated and verified.
	ack(sim.ClickButton(slkApprover, "#ci-approvals", req.TS, slackmsg.ActionApprove))
	t.Logf("approver's click answered: %q", private(slkApprover, 0, "Approved"))
	waitFor(t, "the failure to be remediated", func() bool { return record().Status == state.StatusRemediated })
	remediatedAt := time.Now()
	t.Logf("remediated %s after ccm serve started", remediatedAt.Sub(start).Round(time.Millisecond))
	if w := writes(); len(w) != 1 || w[0].Route != githubsim.RouteRerunFailedJobs ||
		w[0].Path != fmt.Sprintf("/api/v3/repos/%s/actions/runs/%d/rerun-failed-jobs", repo, run.ID) {
		t.Errorf("GitHub writes %+v: want exactly one, the re-run of %d", w, run.ID)
	}
	if r := record(); r.Remediation == nil || r.Remediation.VerifyAttempt != 2 {
		t.Errorf("remediation %+v: want attempt 2 verified", r.Remediation)
	}
	if _, err := sim.WaitForMessage("#ci-approvals", func(m slacksim.Message) bool {
		return m.TS == req.TS && m.Edits > 0 && !bytes.Contains(m.Blocks, []byte(slackmsg.ActionApprove)) &&
			!bytes.Contains(m.Blocks, []byte(slackmsg.ActionReject)) && strings.Contains(string(m.Blocks)+m.Text, "Approved by")
	}, wait); err != nil {
		m, _ := sim.Message("#ci-approvals", req.TS)
		t.Errorf("approval request not updated in place (buttons gone, \"Approved by\"): %v; now edits %d, blocks %s",
			err, m.Edits, m.Blocks)
	}
	if n := len(sim.Messages("#ci-approvals")); n != 1 {
		t.Errorf("%d messages in #ci-approvals, want the one request, updated", n)
	}
	verified := false
	waitFor(t, "the verification's audit entry", func() bool {
		for _, e := range auditOf("--failure", failureID, "--action", state.ActionRemediation) {
			if detail(e, "phase") == "verify" && e["outcome"] == state.OutcomeSuccess {
				verified = true
			}
		}
		return verified
	})
	// The thread tells the end of it: a reply with the verification.
	if _, err := sim.WaitForMessage("#ci-alerts", func(m slacksim.Message) bool {
		return m.IsReply() && strings.Contains(string(m.Blocks)+m.Text, "Verification")
	}, wait); err != nil {
		t.Errorf("no verification reply in the #ci-alerts thread %s after the failure was remediated: %v", wait, err)
	} else {
		t.Logf("verification reply in #ci-alerts %s after the record was remediated", time.Since(remediatedAt).Round(time.Millisecond))
	}
	// The root is edited to "verified" once verification succeeds, which
	// may come after a reply saying "Verification" (an attempt still
	// being followed): wait for the edit, do not sample it.
	if _, err := sim.WaitForMessage("#ci-alerts", func(m slacksim.Message) bool {
		return !m.IsReply() && strings.Contains(string(m.Blocks)+m.Text, "verified")
	}, wait); err != nil {
		t.Errorf("the thread's root does not show the failure fixed and verified after %s: %v\n%s", wait, err, sim.Transcript("#ci-alerts"))
	}
	var approved []map[string]any
	for _, e := range auditOf("--failure", failureID, "--action", state.ActionApproval) {
		if detail(e, "decision") == "approved" {
			approved = append(approved, e)
		}
	}
	if len(approved) != 1 || approved[0]["actor"] != slkApprover {
		t.Errorf("approved entries %+v: want one, by %s", approved, slkApprover)
	}

	// 4. Another approver clicks the old button (a client still showing
	// it): told who decided; still one write.
	ack(sim.SendBlockAction(slacksim.BlockAction{User: slkApprover2, Channel: "#ci-approvals", MessageTS: req.TS,
		ActionID: slackmsg.ActionApprove, Value: approveValue}))
	t.Logf("late click answered: %q", private(slkApprover2, 0, "Already approved by <@"+slkApprover+">"))
	// And the winner clicks again.
	n := len(sim.Ephemerals(slkApprover))
	ack(sim.SendBlockAction(slacksim.BlockAction{User: slkApprover, Channel: "#ci-approvals", MessageTS: req.TS,
		ActionID: slackmsg.ActionApprove, Value: approveValue}))
	private(slkApprover, n, "Already approved by <@"+slkApprover+">")
	// A second re-run would show here or, enqueued late, in the check
	// after the shutdown, seconds later.
	if w := writes(); len(w) != 1 {
		t.Errorf("GitHub writes after the late clicks: %+v, want still one", w)
	}

	// 5. The alerts channel holds one thread for the failure: one root,
	// every other message a reply to it, all the way to the verification.
	alerts := sim.Messages("#ci-alerts")
	var roots []slacksim.Message
	for _, m := range alerts {
		if !m.IsReply() {
			roots = append(roots, m)
		}
	}
	if len(roots) != 1 {
		t.Errorf("%d root messages in #ci-alerts, want one thread", len(roots))
	} else {
		if len(alerts) < 2 {
			t.Errorf("the thread in #ci-alerts has no replies")
		}
		seen := map[string]string{} // reply content -> ts: no reply posted twice
		for _, m := range alerts {
			if !m.IsReply() {
				continue
			}
			if m.ThreadTS != roots[0].TS {
				t.Errorf("reply %s belongs to thread %s, not %s", m.TS, m.ThreadTS, roots[0].TS)
			}
			body := string(m.Blocks) + m.Text
			if ts, dup := seen[body]; dup {
				t.Errorf("replies %s and %s in #ci-alerts say the same:\n%s", ts, m.TS, m.Text)
			}
			seen[body] = m.TS
		}
	}

	// 6. /ccm threshold 3 acme/web: applied and audited for the admin,
	// refused for anyone else.
	slash := func(user, text, want string) string {
		t.Helper()
		skip := len(sim.Ephemerals(user))
		ack(sim.SendSlashCommand(slacksim.SlashCommand{User: user, Channel: "#dev", Text: text}))
		return private(user, skip, want)
	}
	t.Logf("admin's /ccm threshold answered: %q", slash(slkAdmin, "threshold 3 "+repo, "Risk threshold for "+repo+" set to *3*"))
	t.Logf("stranger's /ccm threshold answered: %q", slash(slkStranger, "threshold 3 "+repo, "You cannot set a threshold"))
	slash(slkStranger, "threshold", repo+": *3*")
	var byAdmin, byStranger []map[string]any
	for _, e := range auditOf("--action", state.ActionConfig) {
		switch e["actor"] {
		case slkAdmin:
			byAdmin = append(byAdmin, e)
		case slkStranger:
			byStranger = append(byStranger, e)
		}
	}
	if len(byAdmin) != 1 || byAdmin[0]["outcome"] != state.OutcomeSuccess || byAdmin[0]["repo"] != repo {
		t.Errorf("admin's config audit %+v: want one success on %s", byAdmin, repo)
	}
	if len(byStranger) != 1 || byStranger[0]["outcome"] != state.OutcomeFailure {
		t.Errorf("stranger's config audit %+v: want one failure", byStranger)
	}

	// 7. @ccm failures: answered in the mention's thread, naming the failure.
	sent, err := sim.SendAppMention(slacksim.AppMention{User: slkStranger, Channel: "#dev", Text: "failures"})
	ack(sent, err)
	answer, err := sim.WaitForMessage("#dev", func(m slacksim.Message) bool {
		return m.ThreadTS == sent.TS && m.User == sim.Config().BotUserID
	}, wait)
	if err != nil {
		t.Fatalf("no answer in the thread of the mention %s: %v", sent.TS, err)
	}
	if !strings.Contains(answer.Text, failureID) {
		t.Errorf("@ccm failures answer does not name %s:\n%s", failureID, answer.Text)
	}
	for _, m := range sim.Messages("#dev") {
		if m.User == sim.Config().BotUserID && m.ThreadTS != sent.TS {
			t.Errorf("bot message %s in #dev outside the mention's thread: %q", m.TS, m.Text)
		}
	}
	if got := sim.Messages("#ops-critical"); len(got) != 0 {
		t.Errorf("%d pages in #ops-critical for a failure fixed on approval", len(got))
	}

	// 8. SIGTERM: a clean exit.
	t.Logf("SIGTERM %s after ccm serve started", time.Since(start).Round(time.Millisecond))
	proc.sigterm(t)
	if w := writes(); len(w) != 1 {
		t.Errorf("GitHub writes after the shutdown %+v: want still one", w)
	}
	if d := time.Since(start); d > deadline {
		t.Errorf("scenario took %s, over its %s bound", d.Round(time.Millisecond), deadline)
	}
	t.Logf("scenario: ccm serve ran %s; test %s with the build", time.Since(start).Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond))
}

// buttonValue is the value of the button actionID in a message's blocks.
func buttonValue(t *testing.T, blocks json.RawMessage, actionID string) string {
	t.Helper()
	var bs []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks %s: %v", blocks, err)
	}
	for _, b := range bs {
		for _, e := range b.Elements {
			if e.ActionID == actionID && e.Value != "" {
				return e.Value
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, blocks)
	return ""
}
