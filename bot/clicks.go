package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/state"
)

// The Reject modal: its callback ID, and the input holding the reason.
const (
	rejectCallback = "ccm_reject_reason"
	reasonBlock    = "reason"
	reasonAction   = "reason_input"
	maxReason      = 500
)

// rejectMeta rides on the modal (private_metadata) to its submission.
type rejectMeta struct {
	RequestID string `json:"r"`
	Channel   string `json:"c,omitempty"`
}

func (b *Bot) onInteraction(ctx context.Context, ic slack.InteractionCallback) error {
	if err := b.ours(ic.Team.ID, ic.APIAppID); err != nil {
		b.refuseForeign(ctx, ic, err)
		return nil
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		var errs []error
		for _, act := range ic.ActionCallback.BlockActions {
			if act.ActionID == slackmsg.ActionApprove || act.ActionID == slackmsg.ActionReject {
				errs = append(errs, b.onDecisionClick(ctx, ic, act))
			}
		}
		return errors.Join(errs...)
	case slack.InteractionTypeViewSubmission:
		if ic.View.CallbackID == rejectCallback {
			return b.onRejectSubmit(ctx, ic)
		}
	}
	return nil
}

// refuseForeign audits a click from another workspace or app; nothing is
// answered there (our token speaks only to our workspace).
func (b *Bot) refuseForeign(ctx context.Context, ic slack.InteractionCallback, why error) {
	b.log.Warn("Slack interaction refused", "team_id", ic.Team.ID, "api_app_id", ic.APIAppID, "user", ic.User.ID, "err", why)
	for _, act := range ic.ActionCallback.BlockActions {
		if act.ActionID != slackmsg.ActionApprove && act.ActionID != slackmsg.ActionReject {
			continue
		}
		// The audit names the request only when it exists: a forged value
		// is not written into the stream.
		a, err := b.opt.Store.GetApproval(ctx, act.Value)
		if err != nil {
			a = state.Approval{}
		}
		b.auditRefusal(ctx, a, ic.User.ID, act.ActionID, why.Error())
	}
}

func (b *Bot) onDecisionClick(ctx context.Context, ic slack.InteractionCallback, act *slack.BlockAction) error {
	user, channel := ic.User.ID, ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	answer := func(text string) error { return b.respond(ctx, ic.ResponseURL, channel, user, text) }
	a, err := b.opt.Store.GetApproval(ctx, act.Value)
	if errors.Is(err, state.ErrNotFound) {
		return answer("This approval request no longer exists (it may have been removed by retention).")
	}
	if err != nil {
		return errors.Join(fmt.Errorf("read approval %q: %w", act.Value, err), answer("ccm could not read this request just now; try again in a moment."))
	}
	if ok, why := b.mayDecide(ctx, a, user); !ok {
		b.auditRefusal(ctx, a, user, act.ActionID, why)
		return answer(fmt.Sprintf("You cannot decide this request: %s. Ask one of its approvers.", why))
	}
	if a.Status != state.ApprovalPending {
		return answer(stale(a))
	}
	if act.ActionID == slackmsg.ActionReject {
		return b.openRejectModal(ctx, ic.TriggerID, a, channel)
	}
	got, err := b.opt.Pipeline.Approve(ctx, a.ID, user)
	if err != nil && got.Status == state.ApprovalApproved && got.DecidedBy == user {
		// Our approval won but ccm:remediate was not enqueued; Approve
		// will not run again (already decided), so retry the enqueue.
		err = b.retryRemediate(ctx, got.FailureID, err)
	}
	if err != nil {
		return b.decisionFailed(got, err, answer)
	}
	return answer(fmt.Sprintf("Approved: ccm is remediating `%s` (%s).", slackmsg.Escape(got.FailureID), actionNames(got)))
}

// decisionFailed answers a decision that did not go through, saying why.
func (b *Bot) decisionFailed(a state.Approval, err error, answer func(string) error) error {
	switch {
	case errors.Is(err, state.ErrAlreadyDecided):
		return answer(stale(a))
	case errors.Is(err, state.ErrExpired):
		return answer(fmt.Sprintf("Too late: this request expired at %s.", stamp(a.ExpiresAt)))
	case errors.Is(err, state.ErrConflict):
		return answer("This failure has moved on since the request was made; nothing was done.")
	case a.Status == state.ApprovalApproved:
		// Approved, but ccm:remediate could not be enqueued even after
		// retries: say it plainly.
		return errors.Join(err, answer("Approved, but ccm could not queue the remediation: "+slackmsg.Escape(err.Error())+
			". An operator must look (the request is recorded as approved)."))
	}
	return errors.Join(err, answer("ccm could not record the decision: "+slackmsg.Escape(err.Error())))
}

// retryRemediate enqueues the remediation of an approved failure again,
// a few times a second apart; first is the error of the first try.
func (b *Bot) retryRemediate(ctx context.Context, failureID string, first error) error {
	err := first
	for range 3 {
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Second):
		}
		if err = b.opt.Pipeline.EnqueueRemediate(ctx, failureID); err == nil {
			b.log.Info("remediation enqueued on retry after the approval", "failure_id", failureID)
			return nil
		}
	}
	return err
}

// stale says who decided a request that is no longer pending, and when.
func stale(a state.Approval) string {
	switch a.Status {
	case state.ApprovalExpired:
		return fmt.Sprintf("This request expired at %s; nothing was done.", stamp(a.DecidedAt))
	case state.ApprovalRejected:
		s := fmt.Sprintf("Already rejected by <@%s> at %s.", a.DecidedBy, stamp(a.DecidedAt))
		if a.Reason != "" {
			s += " Reason: " + slackmsg.Escape(a.Reason)
		}
		return s
	}
	return fmt.Sprintf("Already %s by <@%s> at %s.", a.Status, a.DecidedBy, stamp(a.DecidedAt))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func actionNames(a state.Approval) string {
	names := make([]string, len(a.Actions))
	for i, act := range a.Actions {
		names[i] = string(act.Type)
	}
	return strings.Join(names, ", ")
}

// mayDecide reports whether user is an approver of the request's
// repository (config resolved per repository, user groups expanded), and
// why not when they are not.
func (b *Bot) mayDecide(ctx context.Context, a state.Approval, user string) (bool, string) {
	approvers := b.opt.Config().For(a.Repo).Approvers
	d := b.auth.allowed(ctx, approvers, user)
	if d.allowed {
		return true, ""
	}
	why := fmt.Sprintf("you are not an approver of %s", a.Repo)
	if len(d.unknown) > 0 {
		why += fmt.Sprintf(" (the members of %s could not be read from Slack; nobody may decide through them until they can)",
			strings.Join(d.unknown, ", "))
	}
	return false, why
}

// auditRefusal writes the approval entry of a refused decision: outcome
// failure, details decision refused, the clicker as actor.
func (b *Bot) auditRefusal(ctx context.Context, a state.Approval, user, action, why string) {
	if user == "" {
		user = "unknown"
	}
	ev := state.AuditEntry{
		Actor: user, ActionType: state.ActionApproval, FailureID: a.FailureID, RequestID: a.ID, Repo: a.Repo,
		Outcome: state.OutcomeFailure,
		Details: map[string]any{"decision": "refused", "button": action, "reason": why},
	}
	if _, err := b.opt.Store.Audit(ctx, ev); err != nil {
		b.log.Error("could not audit a refused decision", "request_id", a.ID, "user", user, "err", err)
	}
}

// openRejectModal asks for an optional reason before rejecting.
func (b *Bot) openRejectModal(ctx context.Context, triggerID string, a state.Approval, channel string) error {
	meta, err := json.Marshal(rejectMeta{RequestID: a.ID, Channel: channel})
	if err != nil {
		return fmt.Errorf("reject modal: %w", err)
	}
	input := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Why? (optional)", false, false), reasonAction)
	input.Multiline = true
	input.MaxLength = maxReason
	block := slack.NewInputBlock(reasonBlock, slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil, input)
	block.Optional = true
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      rejectCallback,
		PrivateMetadata: string(meta),
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Reject remediation", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
				fmt.Sprintf("Reject %s on `%s`?", actionNames(a), slackmsg.Escape(a.FailureID)), false, false), nil, nil),
			block,
		}},
	}
	if _, err := b.api.OpenViewContext(ctx, triggerID, view); err != nil {
		return fmt.Errorf("views.open for request %s: %w", a.ID, err)
	}
	return nil
}

// onRejectSubmit rejects the request with the reason typed, checking the
// approver again: the config may have changed while the modal was open.
func (b *Bot) onRejectSubmit(ctx context.Context, ic slack.InteractionCallback) error {
	var meta rejectMeta
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta); err != nil {
		return fmt.Errorf("reject modal: private_metadata: %w", err)
	}
	user := ic.User.ID
	answer := func(text string) error {
		if meta.Channel == "" {
			return nil // nowhere to answer; the decision is audited either way
		}
		return b.whisper(ctx, meta.Channel, user, "", text)
	}
	reason := ""
	if ic.View.State != nil {
		reason = strings.TrimSpace(ic.View.State.Values[reasonBlock][reasonAction].Value)
	}
	if r := []rune(reason); len(r) > maxReason {
		reason = string(r[:maxReason])
	}
	a, err := b.opt.Store.GetApproval(ctx, meta.RequestID)
	if err != nil {
		return errors.Join(fmt.Errorf("reject %q: %w", meta.RequestID, err), answer("ccm could not find this request any more."))
	}
	if ok, why := b.mayDecide(ctx, a, user); !ok {
		b.auditRefusal(ctx, a, user, slackmsg.ActionReject, why)
		return answer(fmt.Sprintf("You cannot decide this request: %s.", why))
	}
	got, err := b.opt.Pipeline.Reject(ctx, a.ID, user, reason)
	if err != nil {
		return b.decisionFailed(got, err, answer)
	}
	return answer(fmt.Sprintf("Rejected: ccm will not act on `%s`.", slackmsg.Escape(got.FailureID)))
}
