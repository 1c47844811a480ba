package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/cilogs"
	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Play drives one scenario: it seeds failures, plays the people, and waits
// for ccm to reach each state on the way to the scenario's end, each wait
// bounded by the scenario's deadline. Step names where it is, so a
// scenario that does not reach its end says where it stopped.
type Play struct {
	w        *World
	sc       *Scenario
	deadline time.Time
	// people decides for the approver: scripted, or the person at the
	// terminal with --interactive.
	people Decider
	// withhold: the simulated people do nothing (a test's way to make a
	// scenario miss its end).
	withhold bool

	step string
	seen string // what the last wait saw
	// reason is the last reason typed into a Reject modal.
	reason string
	// asking is the failure whose approval request was last seen.
	asking string
	// diverged says what the person at the terminal chose instead of the
	// scenario's plan ("" when they followed it): the scenario then ends
	// where their choice leads, which is not a miss.
	diverged string
}

// Seeded is one failed run a scenario seeded.
type Seeded struct {
	Repo  string
	Run   githubsim.Run
	ID    string // the failure ID ccm records
	LogID string
}

// FailOpts shape a seeded failure.
type FailOpts struct {
	// Then is how the attempts re-runs add end: "success", "failure" or
	// "" (never re-run in the scenario).
	Then string
	// Branch defaults to main.
	Branch string
}

// Step notes where the scenario is.
func (p *Play) Step(format string, a ...any) {
	p.step = fmt.Sprintf(format, a...)
}

// stopError is a scenario that did not reach its end.
type stopError struct {
	step, seen string
	err        error
}

func (e *stopError) Error() string {
	msg := "stopped at: " + e.step
	if e.seen != "" {
		msg += " (last seen: " + e.seen + ")"
	}
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg
}

func (e *stopError) Unwrap() error { return e.err }

// stop ends the scenario at the current step.
func (p *Play) stop(err error) error {
	return &stopError{step: p.step, seen: p.seen, err: err}
}

// Expect fails the scenario at the current step unless ok.
func (p *Play) Expect(ok bool, format string, a ...any) error {
	if ok {
		return nil
	}
	return p.stop(fmt.Errorf(format, a...))
}

// Fail seeds a real failed run of repo with the labelled log logID: a
// passing run of the workflow first, then the failure on a
// documentation-only push (so the change is known and the gate decides on
// the log), then GitHub's webhook for it.
func (p *Play) Fail(ctx context.Context, repo, logID string, o FailOpts) (Seeded, error) {
	p.Step("seed a failed run of %s with the real log %s", repo, logID)
	l, ok := logByID(logID)
	if !ok {
		return Seeded{}, p.stop(fmt.Errorf("no labelled log %q in cilogs", logID))
	}
	gh := p.w.GitHub
	branch := o.Branch
	if branch == "" {
		branch = "main"
	}
	prev := gh.AddRun(repo, githubsim.Run{ID: p.w.runID(), Conclusion: "success", Name: "CI", HeadBranch: branch,
		CreatedAt: time.Now().Add(-time.Hour), Jobs: []githubsim.Job{job("success", "All tests passed.\n")}})
	run := gh.AddRun(repo, githubsim.Run{ID: p.w.runID(), Conclusion: "failure", Name: "CI", HeadBranch: branch,
		ChangedFiles: []string{"README.md"}, Jobs: []githubsim.Job{job("failure", l.Log)}})
	// ccm compares with the newest earlier run of the branch, whatever
	// it concluded: from any of them, only the README changed.
	key := repo + "@" + branch
	p.w.heads[key] = append(p.w.heads[key], prev.HeadSHA)
	for _, sha := range p.w.heads[key] {
		gh.SetCompare(repo, sha, run.HeadSHA, []string{"README.md"})
	}
	p.w.heads[key] = append(p.w.heads[key], run.HeadSHA)
	if o.Then != "" {
		gh.ScriptAttempts(repo, run.ID, 0, o.Then)
	}
	f := Seeded{Repo: repo, Run: run, ID: tasks.FailureID(repo, run.ID, 1), LogID: logID}
	p.Step("deliver GitHub's webhook for %s", f.ID)
	if err := p.w.webhook(ctx, repo, run); err != nil {
		return f, p.stop(err)
	}
	return f, nil
}

func logByID(id string) (cilogs.Log, bool) {
	for _, l := range cilogs.All() {
		if l.ID == id {
			return l, true
		}
	}
	return cilogs.Log{}, false
}

// await checks cond until it holds, the scenario's deadline passes or ctx
// ends. cond says what it saw, which a stop reports.
func (p *Play) await(ctx context.Context, what string, cond func(ctx context.Context) (bool, string, error)) error {
	p.Step("%s", what)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, seen, err := cond(ctx)
		if seen != "" {
			p.seen = seen
		}
		switch {
		case err != nil && ctx.Err() == nil:
			return p.stop(err)
		case ok:
			p.seen = ""
			return nil
		}
		select {
		case <-ctx.Done():
			return errStopped
		case <-p.w.ccm.Died():
			if p.w.died(ctx) {
				return p.stop(fmt.Errorf("%w: %w", errServeDied, p.w.ccm.Cause()))
			}
			return errStopped
		case <-tick.C:
		}
		if time.Now().After(p.deadline) {
			return p.stop(errors.New("the scenario's deadline passed"))
		}
	}
}

// Status waits for a failure to reach one of want.
func (p *Play) Status(ctx context.Context, f Seeded, want ...state.Status) (state.FailureRecord, error) {
	var rec state.FailureRecord
	names := make([]string, len(want))
	for i, s := range want {
		names[i] = string(s)
	}
	err := p.await(ctx, fmt.Sprintf("wait for %s to be %s", f.ID, strings.Join(names, " or ")),
		func(ctx context.Context) (bool, string, error) {
			r, err := p.w.Store.GetFailure(ctx, f.ID)
			if errors.Is(err, state.ErrNotFound) {
				return false, f.ID + " not recorded yet", nil
			}
			if err != nil {
				return false, "", err
			}
			rec = r
			for _, s := range want {
				if r.Status == s {
					return true, "", nil
				}
			}
			return false, f.ID + " is " + string(r.Status), nil
		})
	return rec, err
}

// Record is the failure as the store holds it now.
func (p *Play) Record(ctx context.Context, f Seeded) (state.FailureRecord, error) {
	r, err := p.w.Store.GetFailure(ctx, f.ID)
	if err != nil {
		return r, p.stop(err)
	}
	return r, nil
}

// Message waits for a message in a channel of the scenario.
func (p *Play) Message(ctx context.Context, what, channel string, match func(slacksim.Message) bool) (slacksim.Message, error) {
	var got slacksim.Message
	err := p.await(ctx, "wait for Slack: "+what+" in "+channel, func(context.Context) (bool, string, error) {
		for _, m := range p.w.Slack.Messages(channel) {
			if match(m) {
				got = m
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d messages in %s", len(p.w.Slack.Messages(channel)), channel), nil
	})
	return got, err
}

// Request waits for the approval request of f, with its buttons.
func (p *Play) Request(ctx context.Context, f Seeded) (slacksim.Message, error) {
	p.asking = f.ID
	return p.Message(ctx, "the approval request for "+f.ID+" with [Approve] [Reject]", p.sc.Approvals(),
		func(m slacksim.Message) bool {
			return !m.IsReply() && bytes.Contains(m.Blocks, []byte(slackmsg.ActionApprove)) && mentions(m, f)
		})
}

// mentions says whether a Slack message is about f's run.
func mentions(m slacksim.Message, f Seeded) bool {
	id := fmt.Sprint(f.Run.ID)
	return strings.Contains(m.Text, id) || bytes.Contains(m.Blocks, []byte(id))
}

// Writes are the GitHub writes to repo so far.
func (p *Play) Writes(repo string) []githubsim.Write {
	var out []githubsim.Write
	for _, w := range p.w.GitHub.Writes() {
		if strings.Contains(strings.ToLower(w.Path), "/repos/"+strings.ToLower(repo)+"/") {
			out = append(out, w)
		}
	}
	return out
}

// Audit is f's audit trail, oldest first.
func (p *Play) Audit(ctx context.Context, q state.AuditQuery) ([]state.AuditEntry, error) {
	q.Limit = 1000
	es, err := p.w.Store.QueryAudit(ctx, q)
	if err != nil {
		return nil, p.stop(err)
	}
	return es, nil
}

// AuditEntry waits for an audit entry of f matching match.
func (p *Play) AuditEntry(ctx context.Context, what string, q state.AuditQuery, match func(state.AuditEntry) bool) (state.AuditEntry, error) {
	var got state.AuditEntry
	err := p.await(ctx, "wait for the audit entry: "+what, func(ctx context.Context) (bool, string, error) {
		q.Limit = 1000
		es, err := p.w.Store.QueryAudit(ctx, q)
		if err != nil {
			return false, "", err
		}
		for _, e := range es {
			if match(e) {
				got = e
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d audit entries, none matching", len(es)), nil
	})
	return got, err
}

// Click presses a button on a message as user and waits for Slack to have
// ccm's acknowledgement.
func (p *Play) Click(ctx context.Context, user, channel string, m slacksim.Message, action string) error {
	p.Step("%s presses %s", people[user], buttonName(action))
	sent, err := p.w.Slack.ClickButton(user, channel, m.TS, action)
	if err != nil {
		return p.stop(err)
	}
	return p.acked(ctx, sent)
}

func (p *Play) acked(ctx context.Context, sent slacksim.Sent) error {
	// In slices, so a ccm that died is noticed now, not at the deadline.
	for {
		_, err := p.w.Slack.WaitAck(sent.EnvelopeID, min(250*time.Millisecond, time.Until(p.deadline)))
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return errStopped
		case p.w.died(ctx):
			return p.stop(fmt.Errorf("%w: %w", errServeDied, p.w.ccm.Cause()))
		case !time.Now().Before(p.deadline):
			return p.stop(fmt.Errorf("ccm did not acknowledge the %s: %w", sent.Type, err))
		}
	}
}

// Reject presses Reject as user and types reason into the modal ccm opens.
func (p *Play) Reject(ctx context.Context, user, channel string, m slacksim.Message, reason string) error {
	views := len(p.w.Slack.Views())
	if err := p.Click(ctx, user, channel, m, slackmsg.ActionReject); err != nil {
		return err
	}
	var modal slacksim.View
	if err := p.await(ctx, "wait for the reject modal", func(context.Context) (bool, string, error) {
		vs := p.w.Slack.Views()
		for _, v := range vs[min(views, len(vs)):] {
			if v.Type == "modal" && !v.Closed {
				modal = v
				return true, "", nil
			}
		}
		return false, "no modal open", nil
	}); err != nil {
		return err
	}
	p.Step("%s types the reason %q and submits", people[user], reason)
	p.reason = reason
	sent, err := p.w.Slack.SendViewSubmission(slacksim.ViewSubmission{User: user, ViewID: modal.ID,
		Values: map[string]map[string]any{"reason": {"reason_input": reason}}})
	if err != nil {
		return p.stop(err)
	}
	return p.acked(ctx, sent)
}

// Private waits for an ephemeral message to user holding want, after the
// first skip.
func (p *Play) Private(ctx context.Context, user string, skip int, want string) (string, error) {
	var got string
	err := p.await(ctx, fmt.Sprintf("wait for ccm to answer %s privately (%q)", people[user], want), func(context.Context) (bool, string, error) {
		es := p.w.Slack.Ephemerals(user)
		for _, e := range es[min(skip, len(es)):] {
			if strings.Contains(e.Text, want) {
				got = e.Text
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d private messages to %s", len(es), people[user]), nil
	})
	return got, err
}

// Poll has ccm poll repo now, through its queue, as the scheduler does
// every poll_interval.
func (p *Play) Poll(ctx context.Context, repo string) error {
	p.Step("ccm polls %s", repo)
	task, err := tasks.NewPollTask(repo)
	if err != nil {
		return p.stop(err)
	}
	if _, err := p.w.queue.EnqueueContext(ctx, task); err != nil {
		return p.stop(fmt.Errorf("enqueue the poll of %s: %w", repo, err))
	}
	return nil
}

func buttonName(action string) string {
	switch action {
	case slackmsg.ActionApprove:
		return "[Approve]"
	case slackmsg.ActionReject:
		return "[Reject]"
	}
	return action
}
