package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack/slackevents"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

func (b *Bot) onEvent(ctx context.Context, e slackevents.EventsAPIEvent) error {
	if err := b.ours(e.TeamID, e.APIAppID); err != nil {
		b.log.Warn("Slack event refused", "team_id", e.TeamID, "api_app_id", e.APIAppID, "err", err)
		return nil
	}
	switch ev := e.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		_, me, _ := b.who.get()
		if ev.BotID != "" || ev.User == me {
			return nil // a bot's words (ours included) never start work
		}
		thread := ev.ThreadTimeStamp
		if thread == "" {
			thread = ev.TimeStamp
		}
		text := b.mention(ctx, ev.User, ev.Text, ev.Channel, thread)
		return b.say(ctx, ev.Channel, thread, text)
	case *slackevents.AppHomeOpenedEvent:
		if ev.Tab != "home" {
			return nil
		}
		return b.publishHome(ctx, ev.User)
	}
	return nil
}

// mention answers one @ccm request with the text to post in its thread;
// work that takes longer is queued and answered there later.
func (b *Bot) mention(ctx context.Context, user, text, channel, thread string) string {
	m, err := ParseMention(text)
	if err != nil {
		return slackmsg.Escape(err.Error()) + "\n\n" + mentionHelp
	}
	out, err := b.runMention(ctx, m, user, channel, thread)
	if err != nil {
		b.log.Error("Slack mention failed", "verb", m.Verb, "user", user, "err", err)
		return "ccm could not do that: " + slackmsg.Escape(err.Error())
	}
	return out
}

func (b *Bot) runMention(ctx context.Context, m Mention, user, channel, thread string) (string, error) {
	switch m.Verb {
	case "failures":
		return b.failures(ctx, m)
	case "show", "why":
		rec, err := b.opt.Store.GetFailure(ctx, m.FailureID)
		if errors.Is(err, state.ErrNotFound) {
			return fmt.Sprintf("ccm has no failure `%s`.", slackmsg.Escape(m.FailureID)), nil
		}
		if err != nil {
			return "", err
		}
		if m.Verb == "why" {
			return whyText(rec), nil
		}
		var ap *state.Approval
		if a, err := b.opt.Store.ApprovalForFailure(ctx, rec.ID); err == nil {
			ap = &a
		}
		return showText(rec, ap), nil
	case "status":
		return b.status(ctx)
	case "analyze":
		return b.analyze(ctx, m, user, channel, thread)
	case "poll":
		return b.poll(ctx, m.Repo)
	case "fix":
		return b.fix(ctx, m.FailureID, user)
	}
	if m.Unknown != "" {
		return fmt.Sprintf("I don't know %q.\n\n%s", slackmsg.Escape(m.Unknown), mentionHelp), nil
	}
	return mentionHelp, nil
}

var mentionHelp = helpText("*Ask me* (in a channel, mention me):", "Also `/ccm help`: thresholds, audit, approvals, stats, mode.",
	FormFailures, "recent failures",
	FormShow, "a failure, its analysis, the gate's decision",
	FormWhy, "the reasoning, evidence and log excerpt",
	FormStatus, "queues, pending approvals, open incidents",
	FormAnalyze, "ingest and analyse a run of a watched repository; I answer here",
	FormPoll, "poll GitHub now",
	FormFix, "send a failure through the safety gate again (approvers only)")

// helpText lists forms and what each does between a title and a footer.
func helpText(title, footer string, formAndWhat ...string) string {
	lines := []string{title}
	for i := 0; i+1 < len(formAndWhat); i += 2 {
		// Slack reads "<failure id>" as a link or mention even in a code
		// span, and drops it: the form must be escaped to show.
		lines = append(lines, "• `"+slackmsg.Escape(formAndWhat[i])+"` — "+formAndWhat[i+1])
	}
	return strings.Join(append(lines, footer), "\n")
}

func (b *Bot) failures(ctx context.Context, m Mention) (string, error) {
	recs, err := b.opt.Store.ListFailures(ctx, state.FailureQuery{Repo: m.Repo, Since: b.opt.Now().Add(-m.Since), Limit: 20})
	if err != nil {
		return "", err
	}
	where := "any watched repository"
	if m.Repo != "" {
		where = slackmsg.Escape(m.Repo)
	}
	if len(recs) == 0 {
		return fmt.Sprintf("No failures in %s in the last %s.", where, m.Since), nil
	}
	lines := []string{fmt.Sprintf("*Failures in %s in the last %s* (newest first, at most 20):", where, m.Since)}
	for _, r := range recs {
		lines = append(lines, failureLine(r))
	}
	return strings.Join(lines, "\n"), nil
}

func (b *Bot) status(ctx context.Context) (string, error) {
	var sb strings.Builder
	sb.WriteString("*ccm status*\n")
	if b.opt.Queues != nil {
		for _, q := range []string{tasks.QueueCritical, tasks.QueueDefault, tasks.QueueLow} {
			info, err := b.opt.Queues.GetQueueInfo(q)
			if err != nil {
				fmt.Fprintf(&sb, "• queue %s: empty\n", q) // a queue that never held a task does not exist yet
				continue
			}
			fmt.Fprintf(&sb, "• queue %s: %d pending, %d active, %d scheduled, %d retry, %d archived\n",
				q, info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived)
		}
	}
	pending, err := b.opt.Store.PendingApprovals(ctx)
	if err != nil {
		return "", err
	}
	incidents, err := b.opt.Store.OpenIncidents(ctx)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "• pending approvals: %d\n• open incidents: %d", len(pending), len(incidents))
	for _, fp := range incidents[:min(len(incidents), 5)] {
		fmt.Fprintf(&sb, "\n   – fingerprint `%s`", slackmsg.Escape(fp))
	}
	return sb.String(), nil
}

func (b *Bot) poll(ctx context.Context, repo string) (string, error) {
	cfg := b.opt.Config()
	repos := cfg.Watched()
	if repo != "" {
		e := cfg.For(repo)
		if !e.Watched {
			return fmt.Sprintf("`%s` is not a watched repository (the config lists %d).", slackmsg.Escape(repo), len(repos)), nil
		}
		repos = []string{e.Repo}
	}
	if len(repos) == 0 {
		return "The config lists no repositories: nothing to poll.", nil
	}
	var queued, already []string
	for _, r := range repos {
		err := b.opt.Pipeline.PollNow(ctx, r)
		switch {
		case errors.Is(err, tasks.ErrPollQueued):
			already = append(already, r)
		case err != nil:
			return "", err
		default:
			queued = append(queued, r)
		}
	}
	out := ""
	if len(queued) > 0 {
		out = "Polling now: " + slackmsg.Escape(strings.Join(queued, ", ")) + ". New failures show in `@ccm failures`."
	}
	if len(already) > 0 {
		out = strings.TrimSpace(out + "\nAlready polled this minute: " + slackmsg.Escape(strings.Join(already, ", ")) + ".")
	}
	return out, nil
}

// fix sends a failure through the gate again; only the repository's
// approvers may ask, as a fix may end in a remediation the gate allows.
func (b *Bot) fix(ctx context.Context, id, user string) (string, error) {
	rec, err := b.opt.Store.GetFailure(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Sprintf("ccm has no failure `%s`.", slackmsg.Escape(id)), nil
	}
	if err != nil {
		return "", err
	}
	if ok, why := b.mayDecide(ctx, state.Approval{Repo: rec.Repo}, user); !ok {
		return fmt.Sprintf("Only an approver may ask for a fix: %s.", why), nil
	}
	decision, err := b.opt.Pipeline.Regate(ctx, id, user)
	if errors.Is(err, tasks.ErrNotGateable) {
		return slackmsg.Escape(err.Error()), nil
	}
	if err != nil {
		return "", err
	}
	if decision == "" {
		return fmt.Sprintf("`%s` is going through the safety gate now.", slackmsg.Escape(id)), nil
	}
	return fmt.Sprintf("`%s` went through the safety gate again: *%s*. ccm carries that out now "+
		"(shadow does nothing; approval asks an approver; auto remediates after re-checking the run).",
		slackmsg.Escape(id), slackmsg.Escape(decision)), nil
}

// analyze ingests one run of a watched repository and answers in the
// thread once the analysis (and the gate) are done: the follow-up is kept
// in Redis, so the answer survives a restart (see followups.go).
func (b *Bot) analyze(ctx context.Context, m Mention, user, channel, thread string) (string, error) {
	ref := m.Run
	if err := ref.CheckServer(b.opt.GitHubAPIURL); err != nil {
		return slackmsg.Escape(err.Error()), nil
	}
	e := b.opt.Config().For(ref.Repo)
	if !e.Watched {
		return fmt.Sprintf("`%s` is not a watched repository: add it to the config first.", slackmsg.Escape(ref.Repo)), nil
	}
	attempt := ref.Attempt
	if attempt == 0 {
		attempt = 1
		if b.opt.Latest != nil {
			n, err := b.opt.Latest(ctx, e.Repo, ref.RunID)
			if err != nil {
				return "", fmt.Errorf("read run %d of %s: %w", ref.RunID, e.Repo, err)
			}
			attempt = max(n, 1)
		}
	}
	id := tasks.FailureID(e.Repo, ref.RunID, attempt)
	if _, err := b.opt.Pipeline.IngestRun(ctx, e.Repo, ref.RunID, attempt); err != nil {
		return "", err
	}
	now := b.opt.Now()
	f := state.SlackFollowUp{FailureID: id, Channel: channel, Thread: thread, AskedBy: user, AskedAt: now, Deadline: now.Add(b.opt.FollowUp)}
	if !b.acceptFollowUp(ctx, f) {
		return fmt.Sprintf("Queued `%s`; ask `@ccm show %s` in a few minutes.", slackmsg.Escape(id), slackmsg.Escape(id)), nil
	}
	return fmt.Sprintf("Looking at `%s`; I'll answer in this thread when the analysis is done.", slackmsg.Escape(id)), nil
}
