package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/state"
)

// Follow-ups: `@ccm analyze` promises an answer in the mention's thread.
// The promise is kept in Redis (state.SlackFollowUp) as well as watched
// here, so that a restart, or the bot moving to another replica, still
// answers: Run resumes every pending follow-up this bot does not watch, at
// start and every FollowUpSweep. Several bots may watch one follow-up; the
// one whose claim removes it from Redis posts, the others stay silent.

// maxFollowUps bounds the follow-ups one bot watches at once; a request
// beyond it is told to ask later, and pending ones beyond it wait in Redis
// for a free slot.
const maxFollowUps = 100

// followUpStale is how long past its deadline a follow-up is still
// answered when a bot finds it (no bot ran at the deadline): later than
// that the answer would be noise in an old thread, so it is dropped.
const followUpStale = time.Hour

// watchSet is what this bot watches, by follow-up key, and the context
// the watchers run under (Run's: they stop with it, to be resumed by the
// next bot).
type watchSet struct {
	mu   sync.Mutex
	keys map[string]bool
	stop context.Context
}

// take marks key watched. fresh is false when it already was; ok is false
// when the bound is reached.
func (w *watchSet) take(key string) (fresh, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keys[key] {
		return false, true
	}
	if len(w.keys) >= maxFollowUps {
		return false, false
	}
	if w.keys == nil {
		w.keys = make(map[string]bool)
	}
	w.keys[key] = true
	return true, true
}

func (w *watchSet) done(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.keys, key)
}

func (w *watchSet) context() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop == nil {
		return context.Background()
	}
	return w.stop
}

// startFollowUps runs the watchers under ctx and resumes the pending
// follow-ups now and every FollowUpSweep until ctx ends. Run calls it
// before any envelope is handled.
func (b *Bot) startFollowUps(ctx context.Context) {
	b.follow.mu.Lock()
	b.follow.stop = ctx
	b.follow.mu.Unlock()
	b.wg.Go(func() {
		tick := time.NewTicker(b.opt.FollowUpSweep)
		defer tick.Stop()
		for {
			b.resumeFollowUps(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}

// resumeFollowUps watches every pending follow-up this bot does not watch
// yet, earliest deadline first, as far as the bound allows.
func (b *Bot) resumeFollowUps(ctx context.Context) {
	if n, err := b.opt.Store.DropSlackFollowUps(ctx, b.opt.Now().Add(-followUpStale)); err != nil {
		b.log.Warn("cannot drop stale Slack follow-ups", "err", err)
	} else if n > 0 {
		b.log.Info("Slack follow-ups dropped unanswered: no bot ran for long after their deadline", "count", n)
	}
	fs, err := b.opt.Store.SlackFollowUps(ctx)
	if err != nil {
		b.log.Warn("cannot read the pending Slack follow-ups; trying again later", "err", err)
		return
	}
	for _, f := range fs {
		fresh, ok := b.follow.take(f.Key())
		if !ok {
			b.log.Warn("too many Slack follow-ups watched at once; the rest wait in Redis", "max", maxFollowUps, "pending", len(fs))
			return
		}
		if fresh {
			b.log.Info("Slack follow-up resumed", "failure_id", f.FailureID, "channel", f.Channel, "thread", f.Thread,
				"deadline", f.Deadline)
			b.watch(f, true)
		}
	}
}

// acceptFollowUp records and watches a new follow-up; false when the bound
// is reached. When Redis cannot record it, it is still watched here (the
// answer is lost only if this bot stops first).
func (b *Bot) acceptFollowUp(ctx context.Context, f state.SlackFollowUp) bool {
	fresh, ok := b.follow.take(f.Key())
	if !ok || !fresh {
		return ok // already watched: asked again in the same thread
	}
	durable := true
	if err := b.opt.Store.AddSlackFollowUp(ctx, f); err != nil {
		durable = false
		b.log.Warn("Slack follow-up kept in memory only: a restart loses its answer", "failure_id", f.FailureID, "err", err)
	}
	b.watch(f, durable)
	return true
}

// watch waits for f's answer on a goroutine. A durable follow-up is
// claimed in Redis before posting; one only in memory is posted directly.
func (b *Bot) watch(f state.SlackFollowUp, durable bool) {
	ctx := b.follow.context()
	b.wg.Go(func() {
		defer b.follow.done(f.Key())
		if err := b.followUp(ctx, f, durable); err != nil {
			b.log.Error("Slack follow-up failed", "failure_id", f.FailureID, "err", err)
		}
	})
}

// followUp looks at the failure every FollowUpEvery until it is analyzed
// and gated, or the deadline passes, then answers once. It returns
// quietly when ctx ends: the follow-up stays in Redis for the next bot.
func (b *Bot) followUp(ctx context.Context, f state.SlackFollowUp, durable bool) error {
	tick := time.NewTicker(b.opt.FollowUpEvery)
	defer tick.Stop()
	for {
		if text := b.followUpText(ctx, f); text != "" {
			posted, err := b.answerFollowUp(f, durable, text)
			if posted || err != nil {
				return err
			}
		}
		if b.opt.Now().After(f.Deadline.Add(followUpStale)) {
			return errors.New("no claim succeeded within " + followUpStale.String() + " of the deadline")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// followUpText is the answer f is owed now: the failure once the gate has
// decided (or it went further), what ccm has at the deadline, else "".
func (b *Bot) followUpText(ctx context.Context, f state.SlackFollowUp) string {
	rec, err := b.opt.Store.GetFailure(ctx, f.FailureID)
	found := err == nil
	if err != nil && !errors.Is(err, state.ErrNotFound) && ctx.Err() == nil {
		b.log.Warn("follow-up: cannot read the failure yet", "failure_id", f.FailureID, "err", err)
	}
	switch {
	case found && settled(rec):
		return showText(rec, nil)
	case b.opt.Now().Before(f.Deadline):
		return ""
	case found:
		return "Still working on it after " + f.Deadline.Sub(f.AskedAt).String() + "; here is what ccm has:\n" + showText(rec, nil)
	}
	id := slackmsg.Escape(f.FailureID)
	return fmt.Sprintf("No failure was recorded for `%s` within %s: the run may not have failed "+
		"(ccm records failed runs only) or is still running. Ask `@ccm show %s` later.", id, f.Deadline.Sub(f.AskedAt), id)
}

// settled: the gate has decided and the record shows where that leads. The
// gate saves its decision before the request or the remediation moves the
// record on, so an analyzed record whose decision acts (auto or approval,
// not in shadow mode) is about to move: answering then would say
// "analyzed" a moment before it is "awaiting_approval".
func settled(rec state.FailureRecord) bool {
	switch rec.Status {
	case state.StatusDetected:
		return false
	case state.StatusAnalyzed:
		return rec.Gate != nil && (rec.Shadow || rec.Gate.Decision == "none")
	}
	return true
}

// answerFollowUp posts text in f's thread if this bot's claim wins. done
// is true when the follow-up needs nothing more from this watcher: posted
// here, answered by another bot, or put back after a failed post (for the
// next sweep to try again). A claim Redis could not answer is tried again
// on the next look.
func (b *Bot) answerFollowUp(f state.SlackFollowUp, durable bool, text string) (done bool, err error) {
	// Claim and post under the workers' context, which outlives Run's by
	// the drain: an answer claimed during a shutdown is still posted.
	ctx := b.runCtx
	if ctx == nil {
		ctx = context.Background()
	}
	if durable {
		won, err := b.opt.Store.ClaimSlackFollowUp(ctx, f.Key())
		if err != nil {
			b.log.Warn("follow-up: cannot claim the answer; trying again", "failure_id", f.FailureID, "err", err)
			return false, nil
		}
		if !won {
			b.log.Debug("follow-up answered by another bot", "failure_id", f.FailureID, "thread", f.Thread)
			return true, nil
		}
	}
	if err := b.say(ctx, f.Channel, f.Thread, text); err != nil {
		if durable {
			if perr := b.opt.Store.AddSlackFollowUp(ctx, f); perr != nil {
				err = errors.Join(err, fmt.Errorf("put the follow-up back: %w", perr))
			}
		}
		return true, fmt.Errorf("answer in thread %s of %s: %w", f.Thread, f.Channel, err)
	}
	return true, nil
}
