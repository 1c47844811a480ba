package tasks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
)

// What the Slack bot asks of the pipeline beyond Approve and Reject: the
// threshold in force, a poll now, and a failure sent through the gate
// again. Each goes through the same tasks and checks as the pipeline's
// own path; none bypasses the gate.

// ThresholdInForce is the risk threshold the gate applies to repo now
// (every repository's when repo is ""), where it comes from, and the value
// set from Slack that applies to it (nil when none).
func (h *Handlers) ThresholdInForce(ctx context.Context, repo string) (int, policy.ThresholdSource, *int, error) {
	st := h.d.Store
	slack, err := slackThreshold(ctx, st, repo, h.d.log())
	if err != nil {
		return 0, "", nil, err
	}
	t, src := policy.ThresholdInForce(h.d.Config().For(repo), slack)
	return t, src, slack, nil
}

// PollNow enqueues a poll of repo at once (the /ccm or @ccm poll). Its
// task ID names the minute, so a burst of requests polls once; a poll
// that is already queued for this minute is ErrPollQueued.
func (h *Handlers) PollNow(ctx context.Context, repo string) error {
	task, err := NewPollTask(repo)
	if err != nil {
		return err
	}
	minute := h.d.now().Truncate(time.Minute).Unix()
	id := "poll:" + repo + ":slack:" + strconv.FormatInt(minute, 10)
	_, err = h.d.Queue.EnqueueContext(ctx, task, asynq.TaskID(id), asynq.Retention(time.Minute))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return ErrPollQueued
	}
	if err != nil {
		return fmt.Errorf("enqueue poll of %s: %w", repo, err)
	}
	return nil
}

// ErrPollQueued: a poll asked for from Slack in this minute is queued or
// ran already.
var ErrPollQueued = errors.New("a poll of this repository was asked for this minute already")

// ErrNotGateable means a failure is not where the gate may decide it
// again; the error says where it is and what a person can do.
var ErrNotGateable = errors.New("not at a status the gate decides")

// Regate sends one failure through the safety gate again at a person's
// request (@ccm fix): the gate decides afresh under the config, thresholds
// and incidents in force now, and ccm:gate carries the decision out as it
// would have the first time — a shadow decision does nothing, an approval
// asks a person, auto enqueues a remediation that re-checks the world. It
// never acts itself. Only an analyzed failure can be gated again: statuses
// move only forward, so one a person is asked about, or that was decided,
// remediated or failed, gets ErrNotGateable saying so. It returns the
// decision now on the record ("" when ccm:gate is still to decide).
func (h *Handlers) Regate(ctx context.Context, failureID, actor string) (string, error) {
	st := h.d.Store
	rec, err := st.GetFailure(ctx, failureID)
	if err != nil {
		return "", fmt.Errorf("re-gate %s: %w", failureID, err)
	}
	log := h.d.log().With("failure_id", rec.ID, "repo", rec.Repo, "actor", actor)
	switch rec.Status {
	case state.StatusAnalyzed:
	case state.StatusDetected:
		return "", fmt.Errorf("re-gate %s: %w: it is not analyzed yet (the gate runs after the analysis)", failureID, ErrNotGateable)
	case state.StatusAwaitingApproval:
		return "", fmt.Errorf("re-gate %s: %w: a person is already asked (approve or reject the request)", failureID, ErrNotGateable)
	default:
		return "", fmt.Errorf("re-gate %s: %w: it is %s, and a failure's status only moves forward "+
			"(re-run it on GitHub; a new failed attempt is a new failure)", failureID, ErrNotGateable, rec.Status)
	}
	decision := ""
	if rec.Gate != nil {
		d, err := h.decide(ctx, st, rec, log)
		if err != nil {
			return "", fmt.Errorf("re-gate %s: %w", failureID, err)
		}
		g := GateRecord(d, h.d.now())
		ev := validationEvent(rec, g)
		ev.Details["previous_decision"] = rec.Gate.Decision
		ev.Details["regated"] = "requested from Slack"
		ev.Details["requested_by"] = actor
		if _, err := st.SaveGate(ctx, rec.ID, state.StatusAnalyzed, g, ev, nil); err != nil {
			return "", fmt.Errorf("re-gate %s: %w", failureID, err)
		}
		decision = g.Decision
		log.Info("re-gated at a person's request", "previous_decision", rec.Gate.Decision, "decision", g.Decision, "mode", g.Mode)
	}
	// Not GateTaskID: that ID keeps the first gate for the dedup window
	// and would swallow this one. One per request, named after its time.
	task, err := NewGateTask(rec.ID)
	if err != nil {
		return decision, err
	}
	id := "fix:" + rec.ID + ":" + strconv.FormatInt(h.d.now().UnixMilli(), 10)
	if _, err := h.d.Queue.EnqueueContext(ctx, task, asynq.TaskID(id), asynq.Retention(DedupRetention(h.d.Config()))); err != nil &&
		!errors.Is(err, asynq.ErrTaskIDConflict) {
		return decision, fmt.Errorf("re-gate %s: %w", failureID, err)
	}
	return decision, nil
}

// IngestRun enqueues the ingest of one run attempt asked for from Slack
// (@ccm analyze). already is true when that attempt is queued or was
// ingested before (its task ID is the failure's, as for the poll).
func (h *Handlers) IngestRun(ctx context.Context, repo string, runID int64, attempt int) (already bool, _ error) {
	err := EnqueueIngest(ctx, h.d.Queue, h.d.Config(), IngestPayload{Repo: repo, RunID: runID, Attempt: attempt, Source: "slack"})
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return true, nil
	}
	return false, err
}
