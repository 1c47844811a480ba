package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/state"
)

// failureMsgs is one sync of one failure's messages.
type failureMsgs struct {
	n    *notifier
	rec  state.FailureRecord
	ch   config.Channels
	refs map[string]state.SlackRef
	appr *state.Approval
	log  *slog.Logger
	// the failure's thread: its root, and whether this failure owns it
	root  slack.Ref
	owner bool
}

func (f *failureMsgs) load(ctx context.Context) error {
	f.ch = f.n.h.d.Config().For(f.rec.Repo).Channels
	var err error
	if f.refs, err = f.n.st.SlackRefs(ctx, f.rec.ID); err != nil {
		return fmt.Errorf("notify %s: %w", f.rec.ID, err)
	}
	a, err := f.n.st.ApprovalForFailure(ctx, f.rec.ID)
	switch {
	case errors.Is(err, state.ErrNotFound):
	case err != nil:
		return fmt.Errorf("notify %s: %w", f.rec.ID, err)
	default:
		f.appr = &a
	}
	return nil
}

// sync posts what is missing and updates what changed, in the order a
// reader expects the thread: the alert (or "seen again"), the analysis,
// the gate's decision, the approval, the remediation. A message Slack
// refuses for good (a wrong approvals channel, a deleted thread) does not
// hold back the others: the refusals are returned together at the end.
// Any other error stops the sync, to be retried whole.
func (f *failureMsgs) sync(ctx context.Context) error {
	if err := f.thread(ctx); err != nil {
		return err
	}
	status := slack.Status(f.rec, f.appr)
	id := f.rec.ID
	var refused []error
	step := func(err error) error {
		if errors.Is(err, slack.ErrRejected) {
			refused = append(refused, err)
			return nil
		}
		return err
	}
	if f.owner {
		times, repos, err := f.n.st.SlackThreadCounts(ctx, f.refs[msgThread].Thread)
		if err != nil {
			return fmt.Errorf("notify %s: %w", id, err)
		}
		if _, err := f.n.put(ctx, id, msgRoot, f.refs, f.ch.Alerts, "", slack.AlertRoot(f.rec, status, slack.Seen{Times: times, Repos: repos})); step(err) != nil {
			return err
		}
		if f.rec.Analysis != nil {
			if _, err := f.reply(ctx, msgAnalysis, slack.AnalysisReply(f.rec)); step(err) != nil {
				return err
			}
		}
		if f.rec.Gate != nil {
			if _, err := f.reply(ctx, msgGate, slack.GateReply(f.rec)); step(err) != nil {
				return err
			}
		}
	} else {
		var seen slack.Seen
		// The counts at joining, kept on the membership (see thread); a
		// membership without them shows no count.
		_, _ = fmt.Sscanf(f.refs[msgThread].Sum, "%d/%d", &seen.Times, &seen.Repos)
		if _, err := f.reply(ctx, msgSeen, slack.SeenAgain(f.rec, status, seen)); step(err) != nil {
			return err
		}
	}
	if f.appr != nil {
		if err := f.approval(ctx, *f.appr); step(err) != nil {
			return err
		}
	}
	if f.rec.Remediation != nil {
		if _, err := f.reply(ctx, msgRemedy, slack.RemediationReply(f.rec)); step(err) != nil {
			return err
		}
	}
	if err := errors.Join(refused...); err != nil {
		return fmt.Errorf("notify %s: %w", id, err)
	}
	f.log.Debug("slack messages up to date", "status", f.rec.Status)
	return nil
}

// reply puts a message of kind in the failure's thread.
func (f *failureMsgs) reply(ctx context.Context, kind string, m slack.Message) (slack.Ref, error) {
	return f.n.put(ctx, f.rec.ID, kind, f.refs, f.root.Channel, f.root.TS, m)
}

// thread finds (or opens) the failure's thread. A failure whose
// fingerprint has an open thread in its alerts channel within the dedup
// window joins it: one "seen again" reply instead of a new alert, and the
// root's count goes up. The first failure of a fingerprint owns the thread
// and posts its root. Membership is kept on the failure, so a later sync
// (or a config reload that moves the channel) keeps the failure where it
// started.
func (f *failureMsgs) thread(ctx context.Context) error {
	id := f.rec.ID
	mem, known := f.refs[msgThread]
	if known && mem.Channel != "" && mem.TS != "" {
		f.root, f.owner = slack.Ref{Channel: mem.Channel, TS: mem.TS}, mem.Sum == "owner"
		return nil
	}
	name := mem.Thread
	if name == "" {
		fp := f.rec.Fingerprint
		if fp == "" {
			fp = "failure:" + id // nothing to group by: a thread of its own
		}
		name = f.ch.Alerts + "|" + fp
	}
	incident := false
	if f.rec.Fingerprint != "" {
		var err error
		if incident, err = f.n.st.IncidentOpen(ctx, f.rec.Fingerprint); err != nil {
			return fmt.Errorf("notify %s: %w", id, err)
		}
	}
	cfg := f.n.h.d.Config()
	th, err := f.n.st.JoinSlackThread(ctx, name, id, f.rec.Repo, max(cfg.DedupWindow, threadStale), threadStale, incident)
	if err != nil {
		return fmt.Errorf("notify %s: %w", id, err)
	}
	if th.Owner == id {
		return f.openThread(ctx, name)
	}
	if th.Root.TS == "" {
		return retryAfter(rootWait, fmt.Errorf("notify %s: the thread of %s (owned by %s) has no root yet", id, name, th.Owner))
	}
	f.root = slack.Ref{Channel: th.Root.Channel, TS: th.Root.TS}
	// Sum carries the counts at joining, for the "seen again" reply.
	mem = state.SlackRef{Thread: name, Channel: th.Root.Channel, TS: th.Root.TS, Sum: fmt.Sprintf("%d/%d", th.Times, th.Repos)}
	if err := f.n.st.SetSlackRef(ctx, id, msgThread, mem); err != nil {
		return fmt.Errorf("notify %s: %w", id, err)
	}
	f.refs[msgThread] = mem
	f.log.Info("failure added to an open thread", "thread", name, "owner", th.Owner, "times", th.Times, "repos", th.Repos)
	// The owner's root shows the count: bring it up to date once per
	// count (the task ID), whoever joins.
	task, err := NewNotifyTask(NotifyPayload{FailureID: th.Owner}, fmt.Sprintf("notify:%s:seen:%d", th.Owner, th.Times))
	if err != nil {
		return err
	}
	if _, err := f.n.h.d.Queue.EnqueueContext(ctx, task); err != nil {
		if ierr := ignoreConflict(nil, err); ierr != nil {
			f.log.Warn("could not refresh the thread's count", "owner", th.Owner, "err", ierr)
		}
	}
	return nil
}

// openThread posts this failure's alert as the thread's root.
func (f *failureMsgs) openThread(ctx context.Context, name string) error {
	id := f.rec.ID
	f.owner = true
	f.refs[msgThread] = state.SlackRef{Thread: name, Sum: "owner"}
	status := slack.Status(f.rec, f.appr)
	root, err := f.n.put(ctx, id, msgRoot, f.refs, f.ch.Alerts, "", slack.AlertRoot(f.rec, status, slack.Seen{}))
	if err != nil {
		return err
	}
	f.root = root
	kept, err := f.n.st.SetSlackThreadRoot(ctx, name, id, state.SlackRef{Channel: root.Channel, TS: root.TS})
	if err != nil {
		return fmt.Errorf("notify %s: %w", id, err)
	}
	if !kept {
		// Another failure took the thread while this one was held back
		// past the stale time: this root stands alone, still complete.
		f.n.log.Warn("the fingerprint's thread went to another failure; this alert has its own root", "failure_id", id, "thread", name)
	}
	mem := state.SlackRef{Thread: name, Channel: root.Channel, TS: root.TS, Sum: "owner"}
	if err := f.n.st.SetSlackRef(ctx, id, msgThread, mem); err != nil {
		return fmt.Errorf("notify %s: %w", id, err)
	}
	f.refs[msgThread] = mem
	return nil
}

// approval puts the request in the approvals channel (buttons while it
// is pending; who decided and when afterwards, in place) and a reply in
// the failure's thread linking to it. The request's message is recorded
// on the request too, where the bot finds it.
func (f *failureMsgs) approval(ctx context.Context, a state.Approval) error {
	thread := slack.Permalink(f.n.url, f.root)
	ref, err := f.n.put(ctx, f.rec.ID, msgApproval+a.ID, f.refs, f.ch.Approvals, "", slack.ApprovalRequest(f.rec, a, thread))
	if err != nil {
		return err
	}
	if a.SlackTS != ref.TS || a.SlackChannel != ref.Channel {
		if err := f.n.st.SetApprovalMessage(ctx, a.ID, ref.Channel, ref.TS); err != nil {
			return fmt.Errorf("notify %s: %w", f.rec.ID, err)
		}
	}
	_, err = f.reply(ctx, msgApprLink+a.ID, slack.ApprovalLink(a, ref, slack.Permalink(f.n.url, ref)))
	return err
}
