package sandbox

import (
	"context"
	"fmt"

	"github.com/ccm-ci/ccm/state"
)

// collect reads back what ccm recorded: each seeded failure, the audit
// stream by action type, and how many records exist in all.
func collect(ctx context.Context, store *state.Store, runs []seeded) (Result, error) {
	entries, err := store.QueryAudit(ctx, state.AuditQuery{Limit: state.MaxLimit})
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: audit: %w", err)
	}
	res := Result{Audit: map[string]int{}}
	fallback := map[string]string{}
	trail := map[string][]string{}
	// QueryAudit answers newest first; a trail reads oldest first.
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		res.Audit[e.ActionType]++
		if e.FailureID != "" {
			trail[e.FailureID] = append(trail[e.FailureID], e.ActionType)
		}
		if e.ActionType == state.ActionAnalysis {
			if s, ok := e.Details["fallback_reason"].(string); ok {
				fallback[e.FailureID] = s
			}
		}
	}
	for _, r := range runs {
		rec, err := store.GetFailure(ctx, r.id)
		if err != nil {
			return Result{}, fmt.Errorf("sandbox: %w", err)
		}
		res.Failures = append(res.Failures, Failure{
			FailureRecord: rec, LogID: r.log.ID, LogSource: r.log.Source, Label: r.log.Category,
			RerunPassed: r.rerunPassed, FallbackReason: fallback[r.id], AuditTrail: trail[r.id],
		})
	}
	all, err := store.ListFailures(ctx, state.FailureQuery{Repo: Repo, Limit: state.MaxLimit})
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: %w", err)
	}
	res.Recorded = len(all)
	return res, nil
}
