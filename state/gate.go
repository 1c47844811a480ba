package state

import (
	"context"
	"fmt"
)

// SaveGate writes the safety gate's decision g on failure id and appends ev
// (action validation) to the audit stream in one atomic step: the same
// compare-and-set on the record's revision as Transition, so the record and
// the audit trail never disagree. The record must be in status at; it stays
// there (the gate records, the approval or remediation step moves it).
// Shadow is set from g.Mode.
//
// skip is asked about the record as it stands, inside the compare-and-set
// loop: when it returns true nothing is written and saved is false. The
// ccm:gate task passes "already decided", so a task delivered twice (or
// two workers racing) writes one decision and one audit entry; a
// re-evaluation passes "the decision did not change". skip may be nil and
// may run more than once.
func (s *Store) SaveGate(ctx context.Context, id string, at Status, g GateDecision, ev AuditEntry,
	skip func(FailureRecord) bool) (saved bool, _ error) {
	if g.Decision == "" || g.Mode == "" {
		return false, fmt.Errorf("%w: save gate %s: decision and mode are required", ErrInvalid, id)
	}
	if ev.ActionType != "" && ev.ActionType != ActionValidation {
		return false, fmt.Errorf("%w: save gate %s: event action %q", ErrInvalid, id, ev.ActionType)
	}
	ev.ActionType = ActionValidation
	if g.DecidedAt.IsZero() {
		g.DecidedAt = s.now()
	}
	g.DecidedAt = g.DecidedAt.UTC()
	if ev.Timestamp.IsZero() {
		ev.Timestamp = g.DecidedAt // the audit ts and decided_at are one instant
	}
	for range maxCASAttempts {
		rec, rev, err := s.readFailure(ctx, id)
		if err != nil {
			return false, fmt.Errorf("save gate: %w", err)
		}
		if rec.Status != at {
			return false, fmt.Errorf("save gate %s: status is %s, not %s: %w", id, rec.Status, at, ErrConflict)
		}
		if skip != nil && skip(rec) {
			return false, nil
		}
		next := rec
		gc := g
		next.Gate, next.Shadow = &gc, g.Mode == "shadow"
		next.UpdatedAt = s.now()
		js, aargs, err := s.encodeChange("save gate", next, ev)
		if err != nil {
			return false, err
		}
		keys := append([]string{s.k.failure(id)}, s.k.auditKeys()...)
		args := append([]any{rev, string(at), string(at), js, categoryOf(next)}, aargs...)
		res, err := transitionScript.Run(ctx, s.rdb, keys, args...).Result()
		if err != nil {
			return false, fmt.Errorf("save gate %s: %w", id, err)
		}
		switch v := res.(type) {
		case string:
			return true, nil
		case int64:
			if v < 0 {
				return false, fmt.Errorf("save gate: failure %s: %w", id, ErrNotFound)
			}
			continue // changed under us: re-read, ask skip again
		}
		return false, fmt.Errorf("save gate %s: unexpected script reply %T", id, res)
	}
	return false, fmt.Errorf("save gate %s: record kept changing: %w", id, ErrConflict)
}
