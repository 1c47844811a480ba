package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// outageLog is a Docker Hub pull rate limit: the same fingerprint in
// every repository it hits.
const outageLog = "docker-run-action-dockerhub-429"

func playOutage(ctx context.Context, p *Play) ([]string, error) {
	// The three failures arrive together: the (simulated) model answers
	// only once all three are recorded and counted, as a real model's
	// seconds of latency would let them be.
	release := p.w.HoldModel()
	defer release()
	var fs []Seeded
	for _, r := range p.sc.Repos {
		f, err := p.Fail(ctx, r.Name, outageLog, FailOpts{})
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	if err := p.await(ctx, "wait for the three failures to be recorded and the incident to open", func(ctx context.Context) (bool, string, error) {
		fp := ""
		for _, f := range fs {
			rec, err := p.w.Store.GetFailure(ctx, f.ID)
			if errors.Is(err, state.ErrNotFound) {
				return false, f.ID + " not recorded yet", nil
			}
			if err != nil {
				return false, "", err
			}
			fp = rec.Fingerprint
		}
		open, err := p.w.Store.IncidentOpen(ctx, fp)
		return open, "no incident open yet", err
	}); err != nil {
		return nil, err
	}
	release()
	// Each failure alone would be re-run (risk 2, mode auto); together
	// they open an incident and go to a person instead.
	var fp string
	for _, f := range fs {
		rec, err := p.Status(ctx, f, state.StatusAwaitingApproval, state.StatusRemediating, state.StatusRemediated, state.StatusFailed)
		if err != nil {
			return nil, err
		}
		if err := p.Expect(rec.Status == state.StatusAwaitingApproval && rec.Gate != nil && slices.Contains(rec.Gate.Failed, "incident"),
			"%s is %s (gate %s, failed checks %v): want paused by the incident", f.ID, rec.Status, gateOf(rec), failedChecks(rec)); err != nil {
			return nil, err
		}
		fp = rec.Fingerprint
	}
	p.Step("check the incident is open")
	open, err := p.w.Store.IncidentOpen(ctx, fp)
	if err != nil {
		return nil, p.stop(err)
	}
	if err := p.Expect(open, "no incident open for fingerprint %s", fp); err != nil {
		return nil, err
	}
	if _, err := p.Message(ctx, "the incident page", p.sc.Critical(), func(m slacksim.Message) bool {
		return strings.Contains(strings.ToLower(string(m.Blocks)+m.Text), "incident")
	}); err != nil {
		return nil, err
	}
	if err := p.await(ctx, "wait for one thread in "+p.sc.Alerts()+" naming all three runs", func(context.Context) (bool, string, error) {
		roots, named := 0, 0
		for _, m := range p.w.Slack.Messages(p.sc.Alerts()) {
			if !m.IsReply() {
				roots++
			}
		}
		for _, f := range fs {
			if slices.ContainsFunc(p.w.Slack.Messages(p.sc.Alerts()), func(m slacksim.Message) bool { return mentions(m, f) }) {
				named++
			}
		}
		return roots == 1 && named == len(fs), fmt.Sprintf("%d threads, %d of %d runs named", roots, named, len(fs)), nil
	}); err != nil {
		return nil, err
	}
	for _, f := range fs {
		if err := p.Expect(len(p.Writes(f.Repo)) == 0, "GitHub writes to %s while the incident is open: %v", f.Repo, routes(p.Writes(f.Repo))); err != nil {
			return nil, err
		}
	}
	pages := len(p.w.Slack.Messages(p.sc.Critical()))

	// Someone re-runs acme/api's run by hand once Docker Hub is back, and
	// it passes: ccm's next poll sees it and closes the incident.
	p.Step("a person re-runs %s on GitHub and it passes", fs[0].ID)
	p.w.GitHub.AddRun(fs[0].Repo, githubsim.Run{ID: fs[0].Run.ID, Attempt: 2, Conclusion: "success", Name: "CI",
		HeadBranch: "main", Jobs: []githubsim.Job{job("success", "All tests passed.\n")}})
	if err := p.Poll(ctx, fs[0].Repo); err != nil {
		return nil, err
	}
	if err := p.await(ctx, "wait for the incident to close", func(ctx context.Context) (bool, string, error) {
		open, err := p.w.Store.IncidentOpen(ctx, fp)
		return !open, "incident still open", err
	}); err != nil {
		return nil, err
	}
	if _, err := p.AuditEntry(ctx, "the re-gate of "+fs[1].ID, state.AuditQuery{FailureID: fs[1].ID, ActionType: state.ActionValidation},
		func(e state.AuditEntry) bool { return e.Details["regated"] != nil }); err != nil {
		return nil, err
	}
	// The registry fails once more, now that the incident is closed: ccm
	// re-runs it alone again.
	again, err := p.Fail(ctx, "acme/worker", outageLog, FailOpts{Then: "success"})
	if err != nil {
		return nil, err
	}
	rec, err := p.Status(ctx, again, state.StatusRemediated, state.StatusFailed, state.StatusAwaitingApproval)
	if err != nil {
		return nil, err
	}
	if err := p.Expect(rec.Status == state.StatusRemediated, "%s after the incident closed: %s (gate %s %v), want re-run and verified",
		again.ID, rec.Status, gateOf(rec), failedChecks(rec)); err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("incident on %s: %d repositories, 1 thread, %s, 0 re-runs while open", shortFP(fp), len(fs), plural(pages, "page")),
		fmt.Sprintf("closed when %s passed on attempt 2; the paused failures were re-gated (a person keeps the last word on their requests)", fs[0].ID),
		fmt.Sprintf("%s after the close: re-run alone, verified", again.ID),
	}, nil
}

func playShadow(ctx context.Context, p *Play) ([]string, error) {
	const r = "acme/legacy"
	flaky, err := p.Fail(ctx, r, "pulsar-bucket-delayed-delivery-flaky", FailOpts{})
	if err != nil {
		return nil, err
	}
	code, err := p.Fail(ctx, r, "marlin-fork-undeclared-identifier-compile", FailOpts{Branch: "feature/heater"})
	if err != nil {
		return nil, err
	}
	cache, err := p.Fail(ctx, r, "actions-cache-503-upload-outage", FailOpts{Branch: "release"})
	if err != nil {
		return nil, err
	}
	fs := []Seeded{flaky, code, cache}
	for _, f := range fs {
		if err := p.await(ctx, "wait for the shadow decision on "+f.ID, func(ctx context.Context) (bool, string, error) {
			rec, err := p.w.Store.GetFailure(ctx, f.ID)
			if errors.Is(err, state.ErrNotFound) {
				return false, f.ID + " not recorded yet", nil
			}
			return err == nil && rec.Gate != nil && rec.Shadow, f.ID + " is " + string(rec.Status), err
		}); err != nil {
			return nil, err
		}
	}
	if err := p.Expect(len(p.Writes(r)) == 0, "GitHub writes in shadow mode: %v", routes(p.Writes(r))); err != nil {
		return nil, err
	}
	// What people did meanwhile: the flaky test re-run by hand passed, a
	// fix for the compile error was pushed and passed, the cache outage
	// re-run by hand failed again.
	p.Step("people act: a re-run that passes, a fix pushed, a re-run that fails")
	gh := p.w.GitHub
	gh.AddRun(r, githubsim.Run{ID: flaky.Run.ID, Attempt: 2, Conclusion: "success", Name: "CI", HeadBranch: "main",
		Jobs: []githubsim.Job{job("success", "All tests passed.\n")}})
	gh.AddRun(r, githubsim.Run{ID: p.w.runID(), Conclusion: "success", Name: "CI", HeadBranch: "feature/heater",
		CreatedAt: time.Now().Add(time.Second), ChangedFiles: []string{"Marlin/src/module/temperature.cpp"},
		Jobs: []githubsim.Job{job("success", "All tests passed.\n")}})
	gh.AddRun(r, githubsim.Run{ID: cache.Run.ID, Attempt: 2, Conclusion: "failure", Name: "CI", HeadBranch: "release",
		Jobs: []githubsim.Job{job("failure", "Error: Cache service responded with 503\n")}})
	// ccm looks at what became of a shadow decision 15 minutes after it,
	// then backs off: the sandbox runs that scheduled check now.
	for _, f := range fs {
		if err := p.RunScheduled(ctx, tasks.ShadowCheckTaskID(f.ID, 0)); err != nil {
			return nil, err
		}
	}
	var notes []string
	for _, f := range fs {
		var rec state.FailureRecord
		if err := p.await(ctx, "wait for the shadow outcome of "+f.ID, func(ctx context.Context) (bool, string, error) {
			var err error
			rec, err = p.w.Store.GetFailure(ctx, f.ID)
			return err == nil && rec.ShadowOutcome != nil, "no outcome yet", err
		}); err != nil {
			return nil, err
		}
		o := rec.ShadowOutcome
		notes = append(notes, fmt.Sprintf("%s (%s): decision %s; %s: %s", f.ID, f.LogID, gateOf(rec), o.Outcome, o.Evidence))
	}
	cards, err := p.w.Store.Scorecards(ctx)
	if err != nil {
		return nil, p.stop(err)
	}
	i := slices.IndexFunc(cards, func(c state.Scorecard) bool { return c.Repo == r })
	if err := p.Expect(i >= 0 && cards[i].Judged == len(fs), "no scorecard of %s with %d judged decisions", r, len(fs)); err != nil {
		return nil, err
	}
	notes = append(notes, "scorecard: "+cards[i].Sentence())
	return notes, p.Expect(cards[i].TouchedCode == 0, "scorecard says ccm would have touched code: %+v", cards[i])
}

// RunScheduled runs a task ccm scheduled for later now, through the
// worker, as if its time had come.
func (p *Play) RunScheduled(ctx context.Context, taskID string) error {
	return p.await(ctx, "run the scheduled task "+taskID+" now", func(context.Context) (bool, string, error) {
		in := p.w.inspector
		queues, err := in.Queues()
		if err != nil {
			return false, "", err
		}
		for _, q := range queues {
			err := in.RunTask(q, taskID)
			switch {
			case err == nil:
				return true, "", nil
			case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
				continue
			default:
				// Pending or running already: as good as run.
				if strings.Contains(err.Error(), "already") {
					return true, "", nil
				}
				return false, "", err
			}
		}
		return false, taskID + " not scheduled yet", nil
	})
}

func failedChecks(rec state.FailureRecord) []string {
	if rec.Gate == nil {
		return nil
	}
	return rec.Gate.Failed
}

func shortFP(fp string) string { return fp[:min(12, len(fp))] }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
