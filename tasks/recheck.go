package tasks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/state"
)

// BranchReader reads a branch's head: what the early expiry of approval
// requests compares with the commit a request was about.
type BranchReader interface {
	GetBranch(ctx context.Context, repo, branch string) (github.Branch, error)
}

var _ BranchReader = (*github.Client)(nil)

// maxRechecks bounds the pending requests one sweep re-checks (each may
// cost a run read); the rest wait for the next sweep, which starts after
// them (recheckStart). Requests skipped without a read do not count.
const maxRechecks = 50

// world is what one recheck has learnt from GitHub, so it asks about each
// run and each (repository, branch) once, however many requests share it.
type world struct {
	gh    GitHub
	runs  map[int64]github.Run // latest attempts
	heads map[string]string    // branch → head SHA; "" when GitHub has none (404)
}

func (h *Handlers) newWorld(known ...github.Run) *world {
	w := &world{gh: h.d.GitHub, runs: map[int64]github.Run{}, heads: map[string]string{}}
	for _, r := range known {
		w.runs[r.ID] = r
	}
	return w
}

func (w *world) latest(ctx context.Context, repo string, runID int64) (github.Run, error) {
	if r, ok := w.runs[runID]; ok {
		return r, nil
	}
	r, err := w.gh.GetRun(ctx, repo, runID, 0)
	if err != nil {
		return github.Run{}, err
	}
	w.runs[runID] = r
	return r, nil
}

func (w *world) head(ctx context.Context, repo, branch string) (string, error) {
	key := strings.ToLower(repo) + "\x00" + branch
	if sha, ok := w.heads[key]; ok {
		return sha, nil
	}
	br, ok := w.gh.(BranchReader)
	if !ok {
		return "", fmt.Errorf("tasks: the GitHub client (%T) cannot read branches: %w", w.gh, errFinal)
	}
	b, err := br.GetBranch(ctx, repo, branch)
	switch {
	case errors.Is(err, github.ErrNotFound):
		b.SHA = ""
	case err != nil:
		return "", err
	}
	w.heads[key] = b.SHA
	return b.SHA, nil
}

// outdated says why a request's decision no longer fits the world ("" when
// it still does): the run has a newer attempt ccm did not start, or the
// branch has another head than the commit the request is about.
func (h *Handlers) outdated(ctx context.Context, w *world, rec state.FailureRecord, checkRun, checkBranch bool) (string, error) {
	if checkRun {
		run, err := w.latest(ctx, rec.Repo, rec.RunID)
		switch {
		case errors.Is(err, github.ErrNotFound):
			// A deleted run: nothing can be done either way, and the
			// expiry at its time says so.
		case err != nil:
			return "", fmt.Errorf("run %d: %w", rec.RunID, err)
		case run.Attempt > rec.RunAttempt:
			earlier, err := h.earlierAttempts(ctx, rec.Repo, rec.RunID, run.Attempt)
			if err != nil {
				return "", err
			}
			if startedBy(earlier, run.Attempt) == nil {
				return "re-run by hand by " + cmp.Or(run.TriggeringActor, run.Actor, "someone"), nil
			}
		}
	}
	// A fork's branch lives in the fork, which the token may not see; a
	// fork's run is never re-run unattended, and remediation re-checks the
	// branch before any write anyway.
	if checkBranch && rec.Branch != "" && rec.CommitSHA != "" && !rec.FromFork {
		sha, err := w.head(ctx, rec.Repo, rec.Branch)
		switch {
		case err != nil:
			return "", fmt.Errorf("branch %s: %w", rec.Branch, err)
		case sha == "":
			// Deleted, or not visible to the token: which one is not
			// known, so the request waits for its time (remediation
			// stops on a deleted branch before any write).
		case sha != rec.CommitSHA:
			return fmt.Sprintf("branch %s has a new commit %s", rec.Branch, sha[:min(7, len(sha))]), nil
		}
	}
	return "", nil
}

// expireOutdated expires, ahead of time, the pending requests of repo whose
// decision the world has moved past. check says what to look at for each
// failure: its run, its branch, both or neither.
//
// An early expiry is not an escalation and raises no alert, unlike one at
// approval_timeout: nobody left a failure undecided — someone pushed or
// re-ran it by hand, so people are already acting on it, and the request
// only stops a person approving a decision about a world that is gone (as
// remediation's re-check stops, without an alert, for the same reasons).
func (h *Handlers) expireOutdated(ctx context.Context, repo string, w *world,
	check func(state.FailureRecord) (run, branch bool)) (int, error) {
	st := h.d.Store
	pending, err := st.PendingApprovals(ctx)
	if err != nil {
		return 0, fmt.Errorf("recheck approvals %s: %w", repo, err)
	}
	var mine []state.Approval
	for _, a := range pending {
		if strings.EqualFold(a.Repo, repo) {
			mine = append(mine, a)
		}
	}
	start, err := h.recheckStart(ctx, repo, len(mine))
	if err != nil {
		return 0, err
	}
	n, checked := 0, 0
	var errs []error
	for k := range mine {
		a := mine[(start+k)%len(mine)]
		log := h.d.log().With("failure_id", a.FailureID, "repo", a.Repo, "request_id", a.ID)
		rec, err := st.GetFailure(ctx, a.FailureID)
		if errors.Is(err, state.ErrNotFound) || err == nil && rec.Status != state.StatusAwaitingApproval {
			// The due expiry closes such a request; it costs no GitHub
			// read, so it does not count against the cap.
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("recheck %s: %w", a.FailureID, err))
			continue
		}
		run, branch := check(rec)
		if !run && !branch {
			continue
		}
		// Only a request actually re-checked (GitHub reads) counts.
		if checked++; checked > maxRechecks {
			break
		}
		why, err := h.outdated(ctx, w, rec, run, branch)
		if err != nil {
			errs = append(errs, fmt.Errorf("recheck %s: %w", a.FailureID, err))
			continue
		}
		if why == "" {
			continue
		}
		ok, err := h.decideExpired(ctx, st, a, why, map[string]any{"early": true}, log)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			n++
			log.Info("approval expired early: the decision no longer fits", "reason", why)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("recheck approvals %s: %w", repo, err)
	}
	return n, nil
}

// recheckStart is where in the repository's pending requests (soonest to
// expire first) this sweep starts. With more than maxRechecks of them each
// sweep starts maxRechecks further on than the one before (a counter in
// Redis, shared by replicas), so every request is re-checked in turn
// rather than the same soonest ones each time.
func (h *Handlers) recheckStart(ctx context.Context, repo string, pending int) (int, error) {
	if pending <= maxRechecks {
		return 0, nil
	}
	turn, err := h.d.Store.Count(ctx, "recheck-turn:"+strings.ToLower(repo), recheckTurnWindow)
	if err != nil {
		return 0, fmt.Errorf("recheck approvals %s: %w", repo, err)
	}
	return int((turn-1)*maxRechecks) % pending, nil
}

// recheckTurnWindow is how long the rotation counter lives; when it
// lapses the rotation starts again from the soonest request.
const recheckTurnWindow = 24 * time.Hour

// HandleRecheck expires the pending requests a run attempt a webhook
// announced has made obsolete: a re-run of their run by someone else, or a
// run of another commit on their branch (confirmed by one read of the
// branch's head). With no pending request on that run or branch it costs
// one Redis read and no GitHub call.
func (h *Handlers) HandleRecheck(ctx context.Context, t *asynq.Task) error {
	var p RecheckPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	seen := github.Run{ID: p.RunID, Attempt: max(p.Attempt, 1), HeadBranch: p.Branch, HeadSHA: p.HeadSHA, TriggeringActor: p.Actor}
	n, err := h.expireOutdated(ctx, p.Repo, h.newWorld(seen), func(rec state.FailureRecord) (bool, bool) {
		return rec.RunID == p.RunID, rec.Branch == p.Branch && p.HeadSHA != "" && p.HeadSHA != rec.CommitSHA
	})
	if n > 0 {
		h.d.log().Info("approvals expired early after a webhook", "failure_id", FailureID(p.Repo, p.RunID, seen.Attempt),
			"repo", p.Repo, "run_id", p.RunID, "task_type", TypeRecheck, "count", n)
	}
	return err
}
