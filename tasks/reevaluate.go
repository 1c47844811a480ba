package tasks

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// Reevaluation is one pending request whose gate decision a threshold
// change altered.
type Reevaluation struct {
	RequestID string `json:"request_id"`
	FailureID string `json:"failure_id"`
	Repo      string `json:"repo"`
	// Old and New are the decisions (auto, approval, none) before and after.
	Old string `json:"old"`
	New string `json:"new"`
}

// keptPending says why a re-evaluation never decides a request itself.
const keptPending = "a person was asked and has not answered: the request stays pending until they decide or it expires"

// SetRiskThreshold stores the risk threshold set from Slack for repo (""
// for every repository) with its config audit entry (actor: who set it),
// then re-evaluates what is pending under it (Property 16). A repository's
// own risk_threshold in the config file still wins over it.
func (h *Handlers) SetRiskThreshold(ctx context.Context, repo string, threshold int, actor string) ([]Reevaluation, error) {
	if threshold < 0 || threshold > config.MaxRiskThreshold {
		return nil, fmt.Errorf("risk threshold %d: want 0-%d", threshold, config.MaxRiskThreshold)
	}
	st := h.d.Store
	key := RiskThresholdSetting(repo)
	old, had, err := st.Setting(ctx, key)
	if err != nil {
		return nil, err
	}
	details := map[string]any{"setting": key, "value": threshold}
	if had {
		details["previous"] = old
	}
	ev := state.AuditEntry{Timestamp: h.d.now(), Actor: actor, ActionType: state.ActionConfig, Repo: repo,
		Outcome: state.OutcomeSuccess, Details: details}
	if err := st.SetSetting(ctx, key, strconv.Itoa(threshold), ev); err != nil {
		return nil, err
	}
	h.d.log().Info("risk threshold set", "repo", repo, "threshold", threshold, "actor", actor)
	return h.ReevaluatePending(ctx)
}

// HandleReevaluate runs ReevaluatePending as a task, so whoever changes a
// threshold (the Slack command) answers at once and the walk over pending
// requests is retried if Redis hiccups. Running it twice is harmless.
func (h *Handlers) HandleReevaluate(ctx context.Context, t *asynq.Task) error {
	var p ReevaluatePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	changes, err := h.ReevaluatePending(ctx)
	if err != nil {
		return err
	}
	h.d.log().Info("pending approvals re-evaluated", "task_type", TypeReevaluate, "setting", p.Setting,
		"actor", p.Actor, "changed", len(changes))
	return nil
}

// ReevaluatePending re-runs the gate on every pending approval request
// under the thresholds (and config) in force now, and for each whose
// decision changed writes the new decision on the failure record with a
// validation audit entry (details decision and previous_decision; the
// request's ID), in one atomic step. It returns what changed.
//
// It never decides a request. A person was asked; a decision that is now
// auto is recorded (the record's gate says auto, the audit says so) but
// the request stays pending until a person answers or it expires. Acting
// on a request nobody approved because a threshold moved would make a
// Slack command an unattended remediation of everything waiting; and a
// decision that is no longer approval keeps no one from saying no. When
// remediation exists, auto-approving such a request (mode auto, every
// check holding) is a one-line change here: DecideApproval(approved,
// "ccm", ...).
func (h *Handlers) ReevaluatePending(ctx context.Context) ([]Reevaluation, error) {
	st := h.d.Store
	pending, err := st.PendingApprovals(ctx)
	if err != nil {
		return nil, fmt.Errorf("re-evaluate: %w", err)
	}
	var out []Reevaluation
	var errs []error
	for _, a := range pending {
		r, changed, err := h.reevaluate(ctx, st, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if changed {
			out = append(out, r)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("re-evaluate: %w", err)
	}
	return out, nil
}

func (h *Handlers) reevaluate(ctx context.Context, st Store, a state.Approval) (Reevaluation, bool, error) {
	log := h.d.log().With("failure_id", a.FailureID, "repo", a.Repo, "request_id", a.ID)
	rec, err := st.GetFailure(ctx, a.FailureID)
	if errors.Is(err, state.ErrNotFound) {
		return Reevaluation{}, false, nil
	}
	if err != nil {
		return Reevaluation{}, false, fmt.Errorf("re-evaluate %s: %w", a.FailureID, err)
	}
	if rec.Status != state.StatusAwaitingApproval {
		return Reevaluation{}, false, nil // decided since the list was read
	}
	d, err := h.decide(ctx, st, rec, log)
	if err != nil {
		return Reevaluation{}, false, fmt.Errorf("re-evaluate %s: %w", a.FailureID, err)
	}
	g := GateRecord(d, h.d.now())
	old := ""
	if rec.Gate != nil {
		old = rec.Gate.Decision
	}
	if old == g.Decision {
		return Reevaluation{}, false, nil
	}
	ev := validationEvent(rec, g)
	ev.RequestID, ev.Outcome = a.ID, state.OutcomePending // the person is still asked
	ev.Details["previous_decision"] = old
	ev.Details["reevaluated"] = true
	ev.Details["request"] = keptPending
	saved, err := st.SaveGate(ctx, rec.ID, state.StatusAwaitingApproval, g, ev, func(cur state.FailureRecord) bool {
		return cur.Gate != nil && cur.Gate.Decision == g.Decision // another re-evaluation got there
	})
	if errors.Is(err, state.ErrConflict) {
		return Reevaluation{}, false, nil // decided meanwhile: nothing to re-evaluate
	}
	if err != nil {
		return Reevaluation{}, false, fmt.Errorf("re-evaluate %s: %w", a.FailureID, err)
	}
	if !saved {
		return Reevaluation{}, false, nil
	}
	log.Info("pending approval re-evaluated", "previous_decision", old, "decision", g.Decision,
		"threshold", g.Threshold, "threshold_source", g.ThresholdSource, "effective_risk", g.EffectiveRisk)
	return Reevaluation{RequestID: a.ID, FailureID: rec.ID, Repo: rec.Repo, Old: old, New: g.Decision}, true, nil
}
