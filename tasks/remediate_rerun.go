package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ccm-ci/ccm/integrations/github"
)

// errOthersRerun says an attempt after the one ccm saw before sending its
// re-run is not ccm's: someone else re-ran the run, and ccm stops.
var errOthersRerun = errors.New("someone else re-ran the run")

// nextAttempt is what followed the attempt ccm saw before its re-run.
type nextAttempt struct {
	seen, latest int
	// actor triggered attempt seen+1 (when latest > seen); ours says it
	// is the login of ccm's token.
	actor, login string
	ours         bool
}

// made reports whether any attempt followed the one seen.
func (n nextAttempt) made() bool { return n.latest > n.seen }

// only reports whether the one attempt after seen is ccm's and the latest:
// the attempt ccm's re-run made, nobody else's after it.
func (n nextAttempt) only() bool { return n.ours && n.latest == n.seen+1 }

// why says whose the attempts after seen are, for a stop or a rollback note.
func (n nextAttempt) why() string {
	if !n.ours {
		return fmt.Sprintf("attempt %d was triggered by %s, not by ccm's token (%s)", n.seen+1, n.actor, n.login)
	}
	return fmt.Sprintf("attempt %d is ccm's re-run, but someone else re-ran the run again (attempt %d)", n.seen+1, n.latest)
}

// attemptAfter reads the run and, when an attempt follows seen, who
// triggered attempt seen+1: GitHub names the sender of a re-run as the new
// attempt's triggering actor, so only ccm's token makes one ccm's. mine
// says a done step already proved seen+1 ccm's (GitHub answered its
// re-run), so only what came after it is read.
func (r *remediation) attemptAfter(ctx context.Context, seen int, mine bool) (nextAttempt, error) {
	rec := r.rec
	run, err := r.gh.GetRun(ctx, rec.Repo, rec.RunID, 0)
	if err != nil {
		return nextAttempt{}, fmt.Errorf("read run %s#%d: %w", rec.Repo, rec.RunID, err)
	}
	n := nextAttempt{seen: seen, latest: run.Attempt}
	if !n.made() || mine {
		n.ours = mine
		return n, nil
	}
	next := run
	if run.Attempt != seen+1 {
		if next, err = r.gh.GetRun(ctx, rec.Repo, rec.RunID, seen+1); err != nil {
			return nextAttempt{}, fmt.Errorf("read attempt %d of %s#%d: %w", seen+1, rec.Repo, rec.RunID, err)
		}
	}
	if n.login, err = r.gh.Login(ctx); err != nil {
		return nextAttempt{}, fmt.Errorf("whose is attempt %d of %s#%d: %w", seen+1, rec.Repo, rec.RunID, err)
	}
	n.actor = next.TriggeringActor
	n.ours = n.actor != "" && strings.EqualFold(n.actor, n.login)
	return n, nil
}

// seenAttempt is the attempt a re-run step recorded before its write; a
// step started before ccm recorded it falls back on the failed attempt,
// which the world check proved the latest just before the first write.
func (r *remediation) seenAttempt(prep map[string]any) int {
	if n, ok := resultInt(prep, "seen_attempt"); ok {
		return n
	}
	return r.rec.RunAttempt
}

// resumeRerun settles a re-run step an earlier delivery started and may
// have sent. Only attempt seen+1, the latest, triggered by ccm's token is
// ccm's re-run; with no attempt after seen the re-run did not land and is
// sent (nil result); any other attempt is someone else's, and ccm stops
// rather than take it for its own.
func (r *remediation) resumeRerun(ctx context.Context, prep map[string]any) (map[string]any, error) {
	seen := r.seenAttempt(prep)
	n, err := r.attemptAfter(ctx, seen, false)
	switch {
	case err != nil:
		return nil, fmt.Errorf("re-check after a crash: %w", err)
	case !n.made():
		return nil, nil
	case !n.only():
		return nil, fmt.Errorf("%w while ccm's re-run was uncertain: %s", errOthersRerun, n.why())
	}
	return map[string]any{"run_id": r.rec.RunID, "previous_attempt": seen, "attempt": seen + 1,
		"recovered": true, "triggered_by": n.actor}, nil
}

// cancelOurRerun takes back the attempt a re-run after seen made, when it
// is ccm's and still the latest (cancelling the run cancels its latest
// attempt, so someone else's later attempt forbids it). It serves a done
// step (mine: GitHub answered ccm's re-run) and one whose request was
// uncertain alike: the latter finds no attempt when the request never
// landed.
func (r *remediation) cancelOurRerun(ctx context.Context, seen int, mine bool) (map[string]any, error) {
	n, err := r.attemptAfter(ctx, seen, mine)
	switch {
	case err != nil:
		return map[string]any{"cancelled": false, "undone": false, "note": fmt.Sprintf(
			"could not check whether ccm's re-run made attempt %d; cancel it by hand if GitHub shows it was triggered by ccm's token", seen+1)}, err
	case !n.made():
		return map[string]any{"cancelled": false, "note": fmt.Sprintf("no attempt after %d: the re-run never started, nothing to cancel", seen)}, nil
	case !n.only():
		return map[string]any{"cancelled": false, "undone": false, "note": n.why() + ": left as it is"}, nil
	}
	err = r.gh.CancelRun(ctx, r.rec.Repo, r.rec.RunID)
	switch {
	case errors.Is(err, github.ErrRunCompleted):
		return map[string]any{"cancelled": false, "attempt": seen + 1, "note": "the re-run had already completed"}, nil
	case err != nil:
		return map[string]any{"cancelled": false, "attempt": seen + 1}, err
	}
	return map[string]any{"cancelled": true, "attempt": seen + 1}, nil
}

// resultInt reads a number from a step's result, as stored (an int) or as
// read back from Redis (JSON numbers decode as float64).
func resultInt(m map[string]any, key string) (int, bool) {
	switch v := m[key].(type) {
	case int:
		return v, true
	case float64:
		return int(v), true
	}
	return 0, false
}
