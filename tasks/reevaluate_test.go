package tasks_test

import (
	"context"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// p16Failure is one generated failure: its repository's settings and the
// analysis's risk.
type p16Failure struct {
	mode      config.Mode
	protected bool
	own       *int // the repository's own risk_threshold in the file
	risk      int
}

// oracle16 is the decision the property expects, written from the
// property's words and the gate's documented rules, not from its code:
// every other check holds for these failures (a person's push, a setup
// step, a docs-only change, a registry reset), so a person is asked unless
// the mode is auto, the repository is not protected, and the risk is below
// the threshold in force (the repository's own, else the one set from
// Slack).
func oracle16(f p16Failure, slack int) string {
	threshold := slack
	if f.own != nil {
		threshold = *f.own
	}
	if f.mode == config.ModeAuto && !f.protected && f.risk < threshold {
		return "auto"
	}
	return "approval"
}

// TestProperty16_ThresholdUpdateApplication checks Property 16: "For any
// pending failures, updating the risk threshold should reclassify failures
// according to the new threshold". Failures are gated under an old
// threshold set from Slack; those that wait for a person are re-evaluated
// when a new one is set. Each pending request's decision must then be the
// oracle's under the new threshold, each change audited once (validation,
// previous and new decision, the request's ID) and reported, and every
// request still pending: a threshold never decides for a person.
func TestProperty16_ThresholdUpdateApplication(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	// The rules' floor on the npm excerpt: risks drawn from it upwards
	// are the analysis's own, so the oracle needs no floor arithmetic.
	floor := cleanRecord(1).Analysis.RiskScore
	caseN, changedTotal := 0, 0
	rapid.Check(t, func(rt *rapid.T) {
		caseN++
		oldT := rapid.IntRange(0, 10).Draw(rt, "old_threshold")
		newT := rapid.IntRange(0, 10).Draw(rt, "new_threshold")
		fs := rapid.SliceOfN(rapid.Custom(func(rt *rapid.T) p16Failure {
			f := p16Failure{
				mode:      rapid.SampledFrom([]config.Mode{config.ModeAuto, config.ModeAuto, config.ModeApprove}).Draw(rt, "mode"),
				protected: rapid.IntRange(0, 4).Draw(rt, "protected") == 0,
				risk:      rapid.IntRange(floor, 10).Draw(rt, "risk"),
			}
			if rapid.IntRange(0, 4).Draw(rt, "own") == 0 {
				own := rapid.IntRange(0, 10).Draw(rt, "own_threshold")
				f.own = &own
			}
			return f
		}), 1, 5).Draw(rt, "failures")

		cfg := configWith(h.cfg.PollInterval)
		cfg.Approvers = []string{"U1"}
		recs := make([]state.FailureRecord, len(fs))
		for i, f := range fs {
			repo := fmt.Sprintf("p16/c%d-%d", caseN, i)
			cfg.Repositories = append(cfg.Repositories, config.Repo{Name: repo, Mode: f.mode, RiskThreshold: f.own})
			if f.protected {
				cfg.ProtectedRepositories = append(cfg.ProtectedRepositories, repo)
			}
			rec := cleanRecord(int64(i + 1))
			rec.ID, rec.Repo = tasks.FailureID(repo, int64(i+1), 1), repo
			a := *rec.Analysis
			a.FailureID, a.RiskScore = rec.ID, f.risk
			rec.Analysis = &a
			recs[i] = rec
		}
		h.cfg = cfg
		if err := h.store.SetSetting(ctx, tasks.SettingRiskThreshold, fmt.Sprint(oldT),
			state.AuditEntry{Actor: "test", ActionType: state.ActionConfig, Outcome: state.OutcomeSuccess}); err != nil {
			rt.Fatal(err)
		}
		old := map[string]string{}
		for i, rec := range recs {
			storeRecord(t, h, rec)
			if err := h.h.HandleGate(ctx, gateTask(t, rec.ID)); err != nil {
				rt.Fatal(err)
			}
			g := h.gated(t, rec.ID)
			if want := oracle16(fs[i], oldT); g.rec.Gate.Decision != want {
				rt.Fatalf("%s gated %s under %d, oracle says %s (%v)", rec.ID, g.rec.Gate.Decision, oldT, want, g.rec.Gate.Reasons)
			}
			if g.request != nil {
				old[rec.ID] = g.rec.Gate.Decision
			}
		}

		changes, err := h.h.SetRiskThreshold(ctx, "", newT, "U1")
		if err != nil {
			rt.Fatal(err)
		}
		reported := map[string]tasks.Reevaluation{}
		for _, c := range changes {
			reported[c.FailureID] = c
		}
		for i, rec := range recs {
			g := h.gated(t, rec.ID)
			before, pending := old[rec.ID]
			if !pending {
				// Not waiting for anyone: a threshold changes nothing.
				if g.rec.Status != state.StatusAnalyzed || len(g.validation) != 1 {
					rt.Fatalf("%s: status %s, %d validation entries: an un-asked failure must be left alone", rec.ID, g.rec.Status, len(g.validation))
				}
				continue
			}
			want := oracle16(fs[i], newT)
			if g.rec.Gate.Decision != want {
				rt.Fatalf("%s: decision %s after the threshold moved %d -> %d, oracle says %s (%+v)",
					rec.ID, g.rec.Gate.Decision, oldT, newT, want, fs[i])
			}
			if g.rec.Status != state.StatusAwaitingApproval || g.request.Status != state.ApprovalPending {
				rt.Fatalf("%s: status %s, request %s: a re-evaluation never decides a request", rec.ID, g.rec.Status, g.request.Status)
			}
			c, got := reported[rec.ID]
			changed := want != before
			wantEntries := 1
			if changed {
				wantEntries = 2
			}
			if got != changed || len(g.validation) != wantEntries {
				rt.Fatalf("%s: %s -> %s, reported %v, %d validation entries", rec.ID, before, want, got, len(g.validation))
			}
			if changed {
				changedTotal++
				e := g.validation[0] // newest first
				if c.Old != before || c.New != want || e.RequestID != g.request.ID ||
					e.Details["previous_decision"] != before || e.Details["decision"] != want || e.Outcome != state.OutcomePending {
					rt.Fatalf("%s: change %+v, entry %+v: want %s -> %s on request %s, outcome pending", rec.ID, c, e, before, want, g.request.ID)
				}
			}
		}
		// Re-evaluating again under the same threshold changes nothing.
		if again, err := h.h.ReevaluatePending(ctx); err != nil || len(again) != 0 {
			rt.Fatalf("second re-evaluation: %v, %v: want no change", again, err)
		}
		// Leave nothing pending for the next case.
		for id := range old {
			a, err := h.store.ApprovalForFailure(ctx, id)
			if err != nil {
				rt.Fatal(err)
			}
			if _, err := h.store.DecideApproval(ctx, a.ID, state.ApprovalRejected, "test", "case done", state.AuditEntry{}); err != nil {
				rt.Fatal(err)
			}
		}
	})
	if changedTotal == 0 {
		t.Error("no generated case changed a pending decision: the generator misses the property")
	}
}

// TestReevaluateTask: the task form re-gates a pending request under a
// threshold already stored, and leaves it pending.
func TestReevaluateTask(t *testing.T) {
	h := newHarness(t, nil)
	h.cfg.Mode = config.ModeAuto
	rec := cleanRecord(71)
	a := *rec.Analysis
	a.RiskScore = 6 // not below the file's threshold 5
	rec.Analysis = &a
	storeRecord(t, h, rec)
	ctx := context.Background()
	if err := h.h.HandleGate(ctx, gateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	if err := h.store.SetSetting(ctx, tasks.SettingRiskThreshold, "7",
		state.AuditEntry{Actor: "U1", ActionType: state.ActionConfig, Outcome: state.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	task, err := tasks.NewReevaluateTask(tasks.ReevaluatePayload{Setting: tasks.SettingRiskThreshold, Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.h.HandleReevaluate(ctx, task); err != nil {
		t.Fatal(err)
	}
	g := h.gated(t, rec.ID)
	if g.rec.Gate.Decision != "auto" || g.rec.Gate.Threshold != 7 || g.request == nil ||
		g.request.Status != state.ApprovalPending || len(g.validation) != 2 {
		t.Errorf("gate %+v, request %+v, %d validation entries: want auto under 7, still pending, the change audited",
			g.rec.Gate, g.request, len(g.validation))
	}
}
