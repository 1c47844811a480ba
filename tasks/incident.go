package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/state"
)

// incidentQuietWindows is how many incident windows without a new
// occurrence close an incident. ccm sees failures, not passes: a passing
// run it can see (a re-run of a run that failed with the fingerprint)
// closes the incident at once; when nobody re-runs anything, the failures
// stopping is the only sign the outage is over. Two windows: one quiet
// window could be a lull in pushes, not a recovery.
const incidentQuietWindows = 2

func thresholds(cfg *config.Config) state.IncidentThresholds {
	return state.IncidentThresholds{Repositories: cfg.Incident.Repositories, Runs: cfg.Incident.Runs, Window: cfg.Incident.Window}
}

// noteIncident counts a newly recorded failure towards its fingerprint's
// incident, with the thresholds in force now (a reload applies). Ingest
// calls it, because ingest sees every failure exactly once, as soon as it
// is recorded and before the analysis: the gate sees only analyzed
// failures, and again on every re-evaluation. Noting the same failure
// twice (a retried ingest) counts it once.
//
// When this occurrence opens the incident, the store has already written
// the one critical alert entry in the same step; here only the Prometheus
// alert counter and the log follow, so nothing is audited twice.
func (h *Handlers) noteIncident(ctx context.Context, rec state.FailureRecord) error {
	if rec.Fingerprint == "" {
		return nil
	}
	st := h.d.Store
	at := rec.RunUpdatedAt // when GitHub saw it fail: a backlog ingested late is not a burst
	if at.IsZero() {
		at = rec.DetectedAt
	}
	inc, opened, err := st.NoteOccurrence(ctx, rec.Fingerprint, rec.ID, rec.Repo, at, thresholds(h.d.Config()))
	if err != nil {
		return fmt.Errorf("incident guard %s: %w", rec.ID, err)
	}
	if opened {
		if h.d.Metrics != nil {
			h.d.Metrics.Alerts.WithLabelValues(SeverityCritical).Inc()
		}
		h.d.log().Error("alert", "severity", SeverityCritical, "summary", "incident opened: unattended actions on this failure are paused",
			"fingerprint", rec.Fingerprint, "repos", inc.Repos, "runs", inc.Runs, "failure_id", rec.ID, "reason", rec.FailureReason)
	}
	return nil
}

// incidentOpen is the gate's question "is an incident open for this
// failure's fingerprint?". When it is, the failure is listed as paused in
// the same step, so the close re-gates it.
func (h *Handlers) incidentOpen(ctx context.Context, rec state.FailureRecord) (bool, error) {
	if rec.Fingerprint == "" {
		return false, nil
	}
	st := h.d.Store
	open, err := st.PauseIfOpen(ctx, rec.Fingerprint, rec.ID)
	if err != nil {
		return false, fmt.Errorf("incident guard: %w", err)
	}
	return open, nil
}

// sweepIncidents closes incidents the poll can tell are over: a re-run
// of a run that failed with an open incident's fingerprint passed, or no
// occurrence came for incidentQuietWindows windows. The failures a closed
// incident paused get a ccm:regate each. Errors are logged: the next poll
// sweeps again, and the repository's poll must not fail for it.
func (h *Handlers) sweepIncidents(ctx context.Context, repo string, reruns []github.Run) {
	log := h.d.log().With("repo", repo, "task_type", TypePoll)
	if err := h.closeOnPass(ctx, repo, reruns, log); err != nil {
		log.Error("incident guard: close on a passing run", "err", err)
	}
	if err := h.closeQuiet(ctx); err != nil {
		log.Error("incident guard: close quiet incidents", "err", err)
	}
	// The closes above handed their paused failures over as pending
	// re-gates; so did any close whose enqueue failed (Redis trouble, a
	// crash), which this poll therefore repairs.
	if err := h.queueRegates(ctx, log); err != nil {
		log.Error("incident guard: enqueue the re-gates of paused failures; the next poll tries again", "err", err)
	}
}

// closeOnPass closes the incident of each open fingerprint that a run in
// reruns had failed with on an earlier attempt, when its latest attempt
// passed. It reads records only while some incident is open.
func (h *Handlers) closeOnPass(ctx context.Context, repo string, reruns []github.Run, log *slog.Logger) error {
	st := h.d.Store
	fps, err := st.OpenIncidents(ctx)
	if err != nil || len(fps) == 0 {
		return err
	}
	open := map[string]bool{}
	for _, fp := range fps {
		open[fp] = true
	}
	var errs []error
	for _, r := range reruns {
		if r.Conclusion != "success" {
			continue
		}
		for a := r.Attempt - 1; a >= 1 && a >= r.Attempt-maxEarlierAttempts; a-- {
			rec, err := st.GetFailure(ctx, FailureID(repo, r.ID, a))
			if errors.Is(err, state.ErrNotFound) {
				continue
			}
			if err != nil {
				errs = append(errs, err)
				break
			}
			if !open[rec.Fingerprint] {
				continue
			}
			delete(open, rec.Fingerprint)
			reason := fmt.Sprintf("run %s passed on attempt %d after failing with this fingerprint (%s)",
				FailureID(repo, r.ID, r.Attempt), r.Attempt, rec.ID)
			ev := state.AuditEntry{FailureID: rec.ID, Repo: repo, Details: map[string]any{
				"closed_by": "pass", "passing_run": r.HTMLURL, "passing_attempt": r.Attempt}}
			if err := h.closeIncident(ctx, st, rec.Fingerprint, reason, ev, log); err != nil {
				errs = append(errs, err)
			}
			break
		}
	}
	return errors.Join(errs...)
}

// closeQuiet closes every open incident with no occurrence for
// incidentQuietWindows windows (the window in force now).
func (h *Handlers) closeQuiet(ctx context.Context) error {
	st := h.d.Store
	quiet := incidentQuietWindows * h.d.Config().Incident.Window
	fps, err := st.QuietIncidents(ctx, h.d.now().Add(-quiet))
	if err != nil {
		return err
	}
	var errs []error
	for _, fp := range fps {
		reason := fmt.Sprintf("no new failure with this fingerprint for %s", quiet)
		ev := state.AuditEntry{Details: map[string]any{"closed_by": "quiet", "quiet_for": quiet.String()}}
		if err := h.closeIncident(ctx, st, fp, reason, ev, h.d.log()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// closeIncident closes the incident once (of concurrent closers only the
// winner logs it); the close lists what it paused as pending re-gates.
func (h *Handlers) closeIncident(ctx context.Context, st Store, fp, reason string, ev state.AuditEntry, log *slog.Logger) error {
	inc, closed, err := st.CloseIncident(ctx, fp, reason, ev)
	if err != nil {
		return err
	}
	if !closed {
		return nil
	}
	log.Info("incident closed: its paused failures are re-gated", "fingerprint", fp, "reason", reason, "opened_at", inc.OpenedAt)
	return nil
}

// noteRecorded notes a failure found already recorded but not yet
// analyzed: a worker may have died (or Redis failed) between recording
// it and noting it. Noting twice counts once, so this is safe.
func (h *Handlers) noteRecorded(ctx context.Context, id string) error {
	rec, err := h.d.Store.GetFailure(ctx, id)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", id, err)
	}
	if rec.Status != state.StatusDetected {
		return nil
	}
	return h.noteIncident(ctx, rec)
}
