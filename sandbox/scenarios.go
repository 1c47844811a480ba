package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/config"
	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
)

// Scenario is one story the sandbox plays on the real pipeline: what is
// seeded, what the people do, and the end it must reach.
type Scenario struct {
	Name  string // what --scenario takes
	Title string
	// End is the expected end, in words, as the summary prints it.
	End   string
	Repos []config.Repo
	// Protected lists the scenario repositories in protected_repositories.
	Protected []string
	// ApprovalTimeout, when set, replaces the sandbox's while the
	// scenario plays (the expiry scenario shortens it).
	ApprovalTimeout time.Duration
	// Viewer is whose private messages the printed channels show.
	Viewer string
	play   func(ctx context.Context, p *Play) ([]string, error)
}

// Alerts, Approvals and Critical are the scenario's own channels, so each
// scenario's threads print apart.
func (s *Scenario) Alerts() string    { return "#" + s.Name + "-alerts" }
func (s *Scenario) Approvals() string { return "#" + s.Name + "-approvals" }
func (s *Scenario) Critical() string  { return "#" + s.Name + "-critical" }

// Channels are the scenario's channels, in print order.
func (s *Scenario) Channels() []string { return []string{s.Alerts(), s.Approvals(), s.Critical()} }

func repo(name string, mode config.Mode) config.Repo { return config.Repo{Name: name, Mode: mode} }

// Scenarios is the sandbox's set, in the order they play.
func Scenarios() []*Scenario {
	return []*Scenario{
		{Name: "flaky-rerun", Title: "A flaky test: ccm re-runs the failed job alone and the re-run passes",
			End:   "remediated: one re-run of the failed jobs, attempt 2 verified green, the thread says so",
			Repos: []config.Repo{repo("acme/web", config.ModeAuto)}, play: playFlaky},
		{Name: "registry-outage", Title: "A registry outage hits 3 repositories at once",
			End: "one incident, one thread, no re-run while it is open; a passing run closes it and re-runs resume",
			Repos: []config.Repo{repo("acme/api", config.ModeAuto), repo("acme/worker", config.ModeAuto),
				repo("acme/site", config.ModeAuto)}, play: playOutage},
		{Name: "app-code", Title: "A compile error in the application's code: explained, never touched",
			End:   "analyzed, decision none, no GitHub write, no approval request; the thread explains the error",
			Repos: []config.Repo{repo("acme/mobile", config.ModeAuto)}, play: playAppCode},
		{Name: "approved", Title: "A fix that needs approval: the approver presses Approve",
			End:   "remediated after alice's Approve: one re-run, the request updated in place, verified",
			Repos: []config.Repo{repo("acme/billing", config.ModeApprove)}, Viewer: UserApprover, play: playApproved},
		{Name: "protected", Title: "A protected repository: the request is rejected with a reason",
			End:   "rejected by alice with her reason, audited; nothing written to GitHub",
			Repos: []config.Repo{repo("acme/payments", config.ModeAuto)}, Protected: []string{"acme/payments"},
			play: playProtected},
		{Name: "stranger", Title: "Someone not allowed presses Approve",
			End:   "mallory is refused privately and audited, nothing is written; then alice approves and it is fixed",
			Repos: []config.Repo{repo("acme/search", config.ModeApprove)}, Viewer: UserStranger, play: playStranger},
		{Name: "expired", Title: "Nobody answers: the approval expires and escalates",
			End:   "expired after approval_timeout (3s in-process; with --binary, whose config file allows no less than 1m, the request's expiry is moved to now), a critical alert, nothing written",
			Repos: []config.Repo{repo("acme/infra", config.ModeApprove)}, ApprovalTimeout: 3 * time.Second,
			play: playExpired},
		{Name: "verify-fails", Title: "A re-run that fails again: verification fails and pages",
			End:   "failed: the re-run (attempt 2) ended failure, a critical alert in the critical channel",
			Repos: []config.Repo{repo("acme/etl", config.ModeAuto)}, play: playVerifyFails},
		{Name: "shadow", Title: "A repository in shadow mode, and its scorecard",
			End:   "three decisions, nothing written; each judged by what people did; a scorecard",
			Repos: []config.Repo{repo("acme/legacy", config.ModeShadow)}, play: playShadow},
	}
}

// Verified waits for f's thread to say it is fixed and verified: its root
// message shows the end, and a reply the verification.
func (p *Play) Verified(ctx context.Context, f Seeded) error {
	_, err := p.Message(ctx, "the thread's root showing "+f.ID+" verified", p.sc.Alerts(), func(m slacksim.Message) bool {
		return !m.IsReply() && mentions(m, f) && strings.Contains(strings.ToLower(string(m.Blocks)+m.Text), "verified")
	})
	return err
}

// thread is the one root message of the scenario's alerts channel about f.
func (p *Play) thread(ctx context.Context, f Seeded, what string, match func(string) bool) error {
	_, err := p.Message(ctx, what, p.sc.Alerts(), func(m slacksim.Message) bool {
		return match(strings.ToLower(string(m.Blocks) + m.Text))
	})
	return err
}

func playFlaky(ctx context.Context, p *Play) ([]string, error) {
	f, err := p.Fail(ctx, "acme/web", "casa-capybara-flaky-spec", FailOpts{Then: "success"})
	if err != nil {
		return nil, err
	}
	rec, err := p.Status(ctx, f, state.StatusRemediated, state.StatusFailed, state.StatusAwaitingApproval)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Status == state.StatusRemediated, "%s ended %s (gate %s), want remediated", f.ID, rec.Status, gateOf(rec)); err != nil {
		return nil, err
	}
	w := p.Writes(f.Repo)
	if err := p.Expect(len(w) == 1 && w[0].Route == githubsim.RouteRerunFailedJobs, "GitHub writes %v, want one re-run of the failed jobs", routes(w)); err != nil {
		return nil, err
	}
	if err := p.Verified(ctx, f); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("%s: gate %s, re-run attempt %d passed", f.ID, gateOf(rec), rec.Remediation.VerifyAttempt)}, nil
}

func playAppCode(ctx context.Context, p *Play) ([]string, error) {
	f, err := p.Fail(ctx, "acme/mobile", "b4d-java-cannot-find-symbol", FailOpts{})
	if err != nil {
		return nil, err
	}
	rec, err := p.Status(ctx, f, state.StatusAnalyzed)
	if err != nil {
		return nil, err
	}
	if err := p.await(ctx, "wait for the gate's decision on "+f.ID, func(ctx context.Context) (bool, string, error) {
		r, err := p.w.Store.GetFailure(ctx, f.ID)
		rec = r
		return err == nil && r.Gate != nil, "", err
	}); err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Gate.Decision == "none", "gate %s, want none", rec.Gate.Decision); err != nil {
		return nil, err
	}
	if err := p.thread(ctx, f, "the explanation", func(s string) bool { return strings.Contains(s, "cannot find symbol") || strings.Contains(s, "code") }); err != nil {
		return nil, err
	}
	if err := p.Expect(len(p.Writes(f.Repo)) == 0 && len(p.w.Slack.Messages(p.sc.Approvals())) == 0,
		"writes %v, %d approval messages: want none", routes(p.Writes(f.Repo)), len(p.w.Slack.Messages(p.sc.Approvals()))); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("%s: %s, category %s, gate none", f.ID, rec.FailureReason, rec.Analysis.Category)}, nil
}

func playApproved(ctx context.Context, p *Play) ([]string, error) {
	f, err := p.Fail(ctx, "acme/billing", "autogpt-agent-activity-e2e-flake", FailOpts{Then: "success"})
	if err != nil {
		return nil, err
	}
	req, err := p.Request(ctx, f)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(len(p.Writes(f.Repo)) == 0, "GitHub writes before any approval: %v", routes(p.Writes(f.Repo))); err != nil {
		return nil, err
	}
	if err := p.Decide(ctx, req, Decision{User: UserApprover, Action: slackmsg.ActionApprove}); err != nil {
		return nil, err
	}
	rec, err := p.Status(ctx, f, state.StatusRemediated, state.StatusFailed, state.StatusRejected, state.StatusExpired)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Status == state.StatusRemediated, "%s ended %s, want remediated", f.ID, rec.Status); err != nil {
		return nil, err
	}
	if _, err := p.Message(ctx, "the request updated in place (\"Approved by\", no buttons)", p.sc.Approvals(), func(m slacksim.Message) bool {
		return m.TS == req.TS && !bytes.Contains(m.Blocks, []byte(slackmsg.ActionApprove)) && strings.Contains(string(m.Blocks)+m.Text, "Approved by")
	}); err != nil {
		return nil, err
	}
	if err := p.Verified(ctx, f); err != nil {
		return nil, err
	}
	w := p.Writes(f.Repo)
	return []string{fmt.Sprintf("%s: approved by alice, %d GitHub write (%s), verified", f.ID, len(w), strings.Join(routes(w), ", "))},
		p.Expect(len(w) == 1, "GitHub writes %v, want one", routes(w))
}

func playProtected(ctx context.Context, p *Play) ([]string, error) {
	f, err := p.Fail(ctx, "acme/payments", "github-builder-npm-econnreset", FailOpts{Then: "success"})
	if err != nil {
		return nil, err
	}
	req, err := p.Request(ctx, f)
	if err != nil {
		return nil, err
	}
	const reason = "payments freeze until Monday's release"
	if err := p.Decide(ctx, req, Decision{User: UserApprover, Action: slackmsg.ActionReject, Reason: reason}); err != nil {
		return nil, err
	}
	rec, err := p.Status(ctx, f, state.StatusRejected, state.StatusRemediated, state.StatusExpired)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Status == state.StatusRejected, "%s ended %s, want rejected", f.ID, rec.Status); err != nil {
		return nil, err
	}
	e, err := p.AuditEntry(ctx, "the rejection with its reason", state.AuditQuery{FailureID: f.ID, ActionType: state.ActionApproval},
		func(e state.AuditEntry) bool { return e.Actor == UserApprover && e.Details["decision"] == "rejected" })
	if err != nil {
		return nil, err
	}
	a, _ := p.w.Store.ApprovalForFailure(ctx, f.ID)
	if err := p.Expect(len(p.Writes(f.Repo)) == 0, "GitHub writes after a rejection: %v", routes(p.Writes(f.Repo))); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("%s: protected (gate %s: %s); rejected by alice: %q (audit %s)", f.ID, gateOf(rec),
		strings.Join(rec.Gate.Failed, ", "), a.Reason, e.ID)}, p.Expect(a.Reason == p.reason, "stored reason %q, want %q", a.Reason, p.reason)
}

func playStranger(ctx context.Context, p *Play) ([]string, error) {
	f, err := p.Fail(ctx, "acme/search", "sentry-rn-jest-stall-tracking-flaky", FailOpts{Then: "success"})
	if err != nil {
		return nil, err
	}
	req, err := p.Request(ctx, f)
	if err != nil {
		return nil, err
	}
	if !p.withhold {
		if err := p.Click(ctx, UserStranger, p.sc.Approvals(), req, slackmsg.ActionApprove); err != nil {
			return nil, err
		}
	}
	refusal, err := p.Private(ctx, UserStranger, 0, "You cannot decide this request")
	if err != nil {
		return nil, err
	}
	if _, err := p.AuditEntry(ctx, "mallory's refused click", state.AuditQuery{FailureID: f.ID, ActionType: state.ActionApproval},
		func(e state.AuditEntry) bool { return e.Actor == UserStranger && e.Details["decision"] == "refused" }); err != nil {
		return nil, err
	}
	rec, err := p.Record(ctx, f)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Status == state.StatusAwaitingApproval && len(p.Writes(f.Repo)) == 0,
		"after mallory's click: %s, writes %v; want still awaiting approval, none", rec.Status, routes(p.Writes(f.Repo))); err != nil {
		return nil, err
	}
	if err := p.Decide(ctx, req, Decision{User: UserApprover, Action: slackmsg.ActionApprove}); err != nil {
		return nil, err
	}
	if rec, err = p.Status(ctx, f, state.StatusRemediated, state.StatusFailed, state.StatusRejected); err != nil {
		return nil, err
	}
	if rec.Status == state.StatusRemediated {
		if err := p.Verified(ctx, f); err != nil {
			return nil, err
		}
	}
	return []string{fmt.Sprintf("%s: mallory told %q; alice approved: %s", f.ID, firstLine(refusal), rec.Status)},
		p.Expect(rec.Status == state.StatusRemediated, "%s ended %s, want remediated", f.ID, rec.Status)
}

func playExpired(ctx context.Context, p *Play) ([]string, error) {
	f, err := p.Fail(ctx, "acme/infra", "kiegroup-maven-central-connection-reset", FailOpts{Then: "success"})
	if err != nil {
		return nil, err
	}
	req, err := p.Request(ctx, f)
	if err != nil {
		return nil, err
	}
	a, err := p.w.Store.ApprovalForFailure(ctx, f.ID)
	if err != nil {
		return nil, p.stop(err)
	}
	want := p.w.approvalTimeout(p.sc.ApprovalTimeout)
	if err := p.Expect(a.ExpiresAt.Sub(a.RequestedAt) == want,
		"the request expires %s after it was made, want approval_timeout %s (in force now: %s)",
		a.ExpiresAt.Sub(a.RequestedAt), want, p.w.ccm.Config().ApprovalTimeout); err != nil {
		return nil, err
	}
	if err := p.Decide(ctx, req, Decision{}); err != nil {
		return nil, err
	}
	var notes []string
	note, err := p.expireNow(ctx, a) // in-process the short timeout expires it
	if err != nil {
		return nil, err
	}
	if note != "" {
		notes = append(notes, note)
	}
	rec, err := p.Status(ctx, f, state.StatusExpired, state.StatusRemediated, state.StatusRejected)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Status == state.StatusExpired, "%s ended %s, want expired", f.ID, rec.Status); err != nil {
		return nil, err
	}
	if _, err := p.Message(ctx, "the escalation", p.sc.Critical(), func(m slacksim.Message) bool {
		return strings.Contains(strings.ToLower(string(m.Blocks)+m.Text), "expired")
	}); err != nil {
		return nil, err
	}
	return append(notes, fmt.Sprintf("%s: expired unanswered, escalated to %s", f.ID, p.sc.Critical())),
		p.Expect(len(p.Writes(f.Repo)) == 0, "GitHub writes %v, want none", routes(p.Writes(f.Repo)))
}

func playVerifyFails(ctx context.Context, p *Play) ([]string, error) {
	f, err := p.Fail(ctx, "acme/etl", "cilium-dockerhub-pull-rate-limit", FailOpts{Then: "failure"})
	if err != nil {
		return nil, err
	}
	rec, err := p.Status(ctx, f, state.StatusFailed, state.StatusRemediated, state.StatusAwaitingApproval)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Status == state.StatusFailed, "%s ended %s (gate %s), want failed", f.ID, rec.Status, gateOf(rec)); err != nil {
		return nil, err
	}
	if _, err := p.Message(ctx, "the critical alert", p.sc.Critical(), func(m slacksim.Message) bool { return mentions(m, f) }); err != nil {
		return nil, err
	}
	e, err := p.AuditEntry(ctx, "the failed verification", state.AuditQuery{FailureID: f.ID, ActionType: state.ActionRemediation},
		func(e state.AuditEntry) bool {
			return e.Details["phase"] == "verify" && e.Outcome == state.OutcomeFailure
		})
	if err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("%s: %v", f.ID, e.Details["reason"])},
		p.Expect(len(p.Writes(f.Repo)) == 1, "GitHub writes %v, want the one re-run", routes(p.Writes(f.Repo)))
}

func gateOf(rec state.FailureRecord) string {
	if rec.Gate == nil {
		return "undecided"
	}
	return rec.Gate.Decision
}

func routes(ws []githubsim.Write) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Route
	}
	return out
}
