package tasks_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// A remediation scenario for the properties: a random set of typed actions
// on a fresh run (its own branch, so cases share one simulator and one
// store prefix without touching each other), how the re-run's new attempt
// ends, and optionally a 403 on one action's write.
type scenario struct {
	acts      []analysis.Action
	conclude  string // the new attempt: success, failure, or "" (still running)
	refuseAt  int    // index of the action whose write is refused; -1 none
	rec       state.FailureRecord
	run       githubsim.Run
	cacheKey  string
	fixBranch string
}

var caseN atomic.Int64

// writeRoute is the route of an action's first write, for the 403.
var writeRoute = map[analysis.ActionType]string{
	analysis.ActionRerunFailedJobs: githubsim.RouteRerunFailedJobs,
	analysis.ActionDeleteCache:     githubsim.RouteDeleteCachesKey,
	analysis.ActionCancelRun:       githubsim.RouteCancel,
	analysis.ActionOpenFixPR:       githubsim.RouteCreatePull,
}

func drawScenario(rt *rapid.T, h *harness, faults bool) *scenario {
	n := caseN.Add(1)
	branch := fmt.Sprintf("prop-%d", n)
	key := fmt.Sprintf("npm-%d-%s", n, rapid.StringMatching(`[a-f0-9]{4,8}`).Draw(rt, "key"))
	pool := []analysis.Action{
		{Type: analysis.ActionRerunFailedJobs},
		{Type: analysis.ActionDeleteCache, Key: key},
		{Type: analysis.ActionCancelRun},
		{Type: analysis.ActionOpenFixPR, Title: "Pin the mirror", Body: "from ccm",
			Files: []analysis.FileChange{{Path: "docs/ci.md", Content: rapid.StringMatching(`[a-z ]{1,40}\n`).Draw(rt, "content")}}},
	}
	perm := rapid.Permutation(pool).Draw(rt, "order")
	acts := perm[:rapid.IntRange(1, len(pool)).Draw(rt, "count")]
	s := &scenario{acts: acts, conclude: rapid.SampledFrom([]string{"success", "failure", ""}).Draw(rt, "conclude"),
		refuseAt: -1, cacheKey: key}
	if faults && rapid.Bool().Draw(rt, "fault") {
		s.refuseAt = rapid.IntRange(0, len(acts)-1).Draw(rt, "refuse_at")
	}
	h.gh.AddCache(testRepo, githubsim.Cache{Key: key, Ref: "refs/heads/" + branch, SizeInBytes: 100})
	// Approved by a person, or let through by the gate alone: both act.
	approved := rapid.Bool().Draw(rt, "approved")
	s.rec, s.run = h.remediable(rt, branch, func(r *state.FailureRecord) {
		if approved {
			r.Gate.Decision, r.Gate.Mode = "approval", "approve"
		}
	}, acts...)
	if approved {
		h.approve(rt, s.rec)
	}
	s.fixBranch = github.FixBranch(s.rec.ID)
	if s.conclude != "" {
		h.gh.ScriptAttempts(testRepo, s.run.ID, 0, s.conclude)
	}
	if s.refuseAt >= 0 {
		h.gh.FailNext(writeRoute[acts[s.refuseAt].Type], githubsim.NoPermission())
	}
	return s
}

// play runs ccm:remediate, then ccm:verify once when it has something to
// follow. The writes are counted from here.
func (s *scenario) play(rt *rapid.T, h *harness) state.FailureRecord {
	ctx := context.Background()
	h.gh.ResetWrites()
	_ = h.h.HandleRemediate(ctx, remediateTask(rt, s.rec.ID)) // a 403 is a final error, by design
	if rec := h.record(rt, s.rec.ID); rec.Status == state.StatusRemediating {
		if err := h.h.HandleVerify(ctx, verifyTask(rt, s.rec.ID, 0)); err != nil {
			rt.Fatal(err)
		}
	}
	h.gh.ClearFaults()
	return h.record(rt, s.rec.ID)
}

func (s *scenario) has(t analysis.ActionType) bool {
	return slices.ContainsFunc(s.acts, func(a analysis.Action) bool { return a.Type == t })
}

// entries are the failure's audit entries of one action type, oldest first.
func (h *harness) entries(rt *rapid.T, id, actionType string) []state.AuditEntry {
	got, err := h.store.QueryAudit(context.Background(), state.AuditQuery{FailureID: id, ActionType: actionType})
	if err != nil {
		rt.Fatal(err)
	}
	slices.Reverse(got)
	return got
}

// effects reads from the simulator what happened to the scenario's run,
// cache and fix branch: the oracle never asks ccm.
type effects struct {
	attempts  int // the run's latest attempt
	latest    githubsim.Run
	cacheLeft bool // the key is still listed for the branch
	openPRs   int  // open pull requests from the fix branch
	branch    bool // the fix branch exists
	cancels   int
}

func (h *harness) effects(s *scenario) effects {
	var e effects
	e.latest, _ = h.gh.LatestRun(testRepo, s.run.ID)
	e.attempts = max(e.latest.Attempt, 1)
	for _, c := range h.gh.Caches(testRepo) {
		e.cacheLeft = e.cacheLeft || c.Key == s.cacheKey
	}
	for _, p := range h.gh.Pulls(testRepo) {
		if p.Head == s.fixBranch && p.State == "open" {
			e.openPRs++
		}
	}
	_, e.branch = h.gh.Branch(testRepo, s.fixBranch)
	e.cancels = len(h.gh.WritesTo(githubsim.RouteCancel))
	return e
}

// TestProperty57_RemediationExecution checks Property 57: "For any approved
// remediation, the proposed remediation steps should be executed". With no
// refusal and an unchanged world, each proposed action's effect is seen
// on the simulated GitHub: a new attempt, the cache key gone, a cancel
// request, an open PR from ccm's branch.
func TestProperty57_RemediationExecution(t *testing.T) {
	h := newHarness(t, nil)
	rapid.Check(t, func(rt *rapid.T) {
		s := drawScenario(rt, h, false)
		s.play(rt, h)
		e := h.effects(s)
		if s.has(analysis.ActionRerunFailedJobs) != (e.attempts == 2) {
			rt.Fatalf("re-run proposed %v, latest attempt %d", s.has(analysis.ActionRerunFailedJobs), e.attempts)
		}
		if s.has(analysis.ActionDeleteCache) == e.cacheLeft {
			rt.Fatalf("delete_cache proposed %v, key still listed %v", s.has(analysis.ActionDeleteCache), e.cacheLeft)
		}
		if s.has(analysis.ActionCancelRun) != (e.cancels == 1) {
			rt.Fatalf("cancel proposed %v, %d cancel requests", s.has(analysis.ActionCancelRun), e.cancels)
		}
		if s.has(analysis.ActionOpenFixPR) != (e.openPRs == 1) {
			rt.Fatalf("open_fix_pr proposed %v, %d open PRs", s.has(analysis.ActionOpenFixPR), e.openPRs)
		}
	})
}

// TestProperty58_ExecutionOutputCapture checks Property 58: "For any
// executed remediation, the output and result should be captured". Every
// executed action has an act entry (outcome success) whose result agrees
// with what GitHub shows: the attempt number, the PR's number and branch,
// the deleted key.
func TestProperty58_ExecutionOutputCapture(t *testing.T) {
	h := newHarness(t, nil)
	rapid.Check(t, func(rt *rapid.T) {
		s := drawScenario(rt, h, false)
		s.play(rt, h)
		e := h.effects(s)
		results := map[string]map[string]any{}
		for _, en := range h.entries(rt, s.rec.ID, state.ActionRemediation) {
			if en.Details["phase"] == "act" && en.Outcome == state.OutcomeSuccess {
				res, _ := en.Details["result"].(map[string]any)
				results[fmt.Sprint(en.Details["action"])] = res
			}
		}
		if len(results) != len(s.acts) {
			rt.Fatalf("%d actions, %d captured results: %v", len(s.acts), len(results), results)
		}
		for _, a := range s.acts {
			res := results[string(a.Type)]
			switch a.Type {
			case analysis.ActionRerunFailedJobs:
				if res["attempt"] != float64(e.attempts) {
					rt.Fatalf("captured attempt %v, GitHub's latest %d", res["attempt"], e.attempts)
				}
			case analysis.ActionOpenFixPR:
				prs := h.gh.Pulls(testRepo)
				var num int
				for _, p := range prs {
					if p.Head == s.fixBranch {
						num = p.Number
					}
				}
				if res["number"] != float64(num) || res["branch"] != s.fixBranch {
					rt.Fatalf("captured PR %v, GitHub's #%d from %s", res, num, s.fixBranch)
				}
			case analysis.ActionDeleteCache:
				if res["key"] != s.cacheKey {
					rt.Fatalf("captured key %v, want %s", res["key"], s.cacheKey)
				}
			case analysis.ActionCancelRun:
				if _, ok := res["cancelled"]; !ok {
					rt.Fatalf("cancel result %v says nothing", res)
				}
			}
		}
	})
}

// TestProperty59_SuccessVerification checks Property 59: "For any
// successful remediation, the fix should be verified to have resolved the
// failure". A record is remediated only if the run it re-ran ended success
// on GitHub (or, with no re-run, every action succeeded), and a re-run that
// failed or still runs never counts as remediated.
func TestProperty59_SuccessVerification(t *testing.T) {
	h := newHarness(t, nil)
	rapid.Check(t, func(rt *rapid.T) {
		s := drawScenario(rt, h, false)
		rec := s.play(rt, h)
		e := h.effects(s)
		if s.has(analysis.ActionRerunFailedJobs) {
			resolved := e.latest.Status == "completed" && e.latest.Conclusion == "success"
			if (rec.Status == state.StatusRemediated) != resolved {
				rt.Fatalf("status %s, GitHub's attempt %d %s/%s", rec.Status, e.latest.Attempt, e.latest.Status, e.latest.Conclusion)
			}
		} else if rec.Status != state.StatusRemediated {
			rt.Fatalf("every action succeeded without an attempt to watch, status %s", rec.Status)
		}
		if rec.Status == state.StatusRemediated {
			v := 0
			for _, en := range h.entries(rt, s.rec.ID, state.ActionRemediation) {
				if en.Details["phase"] == "verify" && en.Outcome == state.OutcomeSuccess {
					v++
				}
			}
			if v != 1 {
				rt.Fatalf("remediated with %d verify success entries", v)
			}
		}
	})
}

// TestProperty60_FailureEscalation checks Property 60: "For any failed
// remediation, the failure should be logged and escalated to the team".
// A refused write or a re-run that failed: the record is failed, the audit
// has a remediation entry with outcome failure, and one critical alert.
func TestProperty60_FailureEscalation(t *testing.T) {
	h := newHarness(t, nil)
	rapid.Check(t, func(rt *rapid.T) {
		s := drawScenario(rt, h, true)
		rec := s.play(rt, h)
		e := h.effects(s)
		failed := s.refuseAt >= 0 ||
			(s.has(analysis.ActionRerunFailedJobs) && e.latest.Status == "completed" && e.latest.Conclusion != "success")
		if failed != (rec.Status == state.StatusFailed) {
			rt.Fatalf("refused at %d, attempt %s/%s: status %s", s.refuseAt, e.latest.Status, e.latest.Conclusion, rec.Status)
		}
		if !failed {
			return
		}
		logged := slices.ContainsFunc(h.entries(rt, s.rec.ID, state.ActionRemediation),
			func(en state.AuditEntry) bool { return en.Outcome == state.OutcomeFailure })
		crit := 0
		for _, en := range h.entries(rt, s.rec.ID, state.ActionAlert) {
			if en.Details["severity"] == tasks.SeverityCritical {
				crit++
			}
		}
		if !logged || crit != 1 {
			rt.Fatalf("failed remediation: failure logged %v, %d critical alerts", logged, crit)
		}
	})
}

// TestProperty61_ExecutionAuditTrail checks Property 61: "For any executed
// remediation, the execution details should be recorded in the audit
// trail". Each write GitHub accepted for an action has an entry naming
// that action (act, or rollback for a cancel that took a re-run back), and
// the trail starts with the move to remediating.
func TestProperty61_ExecutionAuditTrail(t *testing.T) {
	h := newHarness(t, nil)
	rapid.Check(t, func(rt *rapid.T) {
		s := drawScenario(rt, h, true)
		s.play(rt, h)
		trail := h.entries(rt, s.rec.ID, state.ActionRemediation)
		if len(trail) == 0 || trail[0].Details["phase"] != "act" || trail[0].Outcome != state.OutcomePending {
			rt.Fatalf("trail %+v: want it to start with the move to remediating", trail)
		}
		audited := map[string]bool{}
		for _, en := range trail {
			if en.Details["phase"] == "act" && en.Details["state"] == "done" {
				audited[fmt.Sprint(en.Details["action"])] = true
			}
			if en.Details["phase"] == "rollback" && en.Details["cancelled"] == true {
				// The cancel of a re-run ccm took back is audited as the
				// rollback of that re-run.
				audited[string(analysis.ActionCancelRun)] = true
			}
		}
		for _, a := range s.acts {
			accepted := false
			for _, w := range h.gh.WritesTo(writeRoute[a.Type]) {
				accepted = accepted || (w.Applied && w.Status < 300)
			}
			if accepted && !audited[string(a.Type)] {
				rt.Fatalf("GitHub accepted %s but no act entry records it: %+v", a.Type, trail)
			}
		}
	})
}

// TestProperty46_RemediationRollback checks Property 46: "For any failed
// remediation action, any partial changes should be rolled back and the
// team notified". When an action's write is refused after earlier actions
// acted: the re-run attempt ccm started is cancelled, no PR from ccm's
// branch stays open and the branch is gone, and a critical alert is raised.
func TestProperty46_RemediationRollback(t *testing.T) {
	h := newHarness(t, nil)
	rapid.Check(t, func(rt *rapid.T) {
		s := drawScenario(rt, h, true)
		if s.refuseAt < 0 {
			s.refuseAt = rapid.IntRange(0, len(s.acts)-1).Draw(rt, "refuse_at_forced")
			h.gh.FailNext(writeRoute[s.acts[s.refuseAt].Type], githubsim.NoPermission())
		}
		rec := s.play(rt, h)
		e := h.effects(s)
		if rec.Status != state.StatusFailed {
			rt.Fatalf("status %s after a refused write", rec.Status)
		}
		rerunBefore := slices.ContainsFunc(s.acts[:s.refuseAt], func(a analysis.Action) bool { return a.Type == analysis.ActionRerunFailedJobs })
		if rerunBefore && e.latest.Status != "completed" {
			rt.Fatalf("the re-run ccm started is left %s", e.latest.Status)
		}
		if e.openPRs != 0 || e.branch {
			rt.Fatalf("fix left behind: %d open PRs, branch %v", e.openPRs, e.branch)
		}
		crit := 0
		for _, en := range h.entries(rt, s.rec.ID, state.ActionAlert) {
			if en.Details["severity"] == tasks.SeverityCritical {
				crit++
			}
		}
		if crit != 1 {
			rt.Fatalf("%d critical alerts, want 1", crit)
		}
	})
}
