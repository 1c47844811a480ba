package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/config"
	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

func (b *Bot) onSlash(ctx context.Context, sc slack.SlashCommand) error {
	if err := b.ours(sc.TeamID, sc.APIAppID); err != nil {
		b.log.Warn("Slack command refused", "team_id", sc.TeamID, "api_app_id", sc.APIAppID, "user", sc.UserID, "err", err)
		return nil
	}
	text := b.slash(ctx, sc.UserID, sc.Text)
	return b.respond(ctx, sc.ResponseURL, sc.ChannelID, sc.UserID, text)
}

// slash answers one /ccm command with the text only its author sees.
func (b *Bot) slash(ctx context.Context, user, text string) string {
	c, err := ParseSlash(text)
	if err != nil {
		return slackmsg.Escape(err.Error())
	}
	out, err := b.runSlash(ctx, c, user)
	if err != nil {
		b.log.Error("Slack command failed", "verb", c.Verb, "user", user, "err", err)
		return "ccm could not do that: " + slackmsg.Escape(err.Error())
	}
	return out
}

func (b *Bot) runSlash(ctx context.Context, c SlashCommand, user string) (string, error) {
	switch c.Verb {
	case "threshold":
		if c.Set {
			return b.setThreshold(ctx, c, user)
		}
		return b.thresholds(ctx)
	case "audit":
		return b.audit(ctx, c.Audit)
	case "approvals":
		pending, err := b.opt.Store.PendingApprovals(ctx)
		if err != nil {
			return "", err
		}
		if len(pending) == 0 {
			return "No approval is pending.", nil
		}
		lines := []string{fmt.Sprintf("*%d pending approval(s)*, soonest to expire first:", len(pending))}
		for _, a := range pending[:min(len(pending), 40)] {
			lines = append(lines, approvalLine(a))
		}
		return strings.Join(lines, "\n"), nil
	case "stats":
		s, err := b.summarize(ctx, b.opt.Now().Add(-c.Since))
		if err != nil {
			return "", err
		}
		return s.statsText(), nil
	case "mode":
		return b.modes(), nil
	}
	return slashHelp, nil
}

var slashHelp = helpText("*`/ccm` commands* (answers only you see):", "Mention me for failures, show, why, status, analyze, poll, fix.",
	FormThreshold, "show the risk thresholds in force, or set one (admins)",
	FormAudit, "the audit trail, newest first",
	FormApprovals, "pending approval requests",
	FormStats, "success rate, mean time to resolution, top fingerprints",
	FormMode, "each repository's mode (shadow, approve, auto)")

func sourceName(src policy.ThresholdSource) string {
	switch src {
	case policy.ThresholdRepository:
		return "the repository's own risk_threshold in the config file"
	case policy.ThresholdSlack:
		return "set from Slack"
	}
	return "the global risk_threshold in the config file"
}

func (b *Bot) thresholds(ctx context.Context) (string, error) {
	cfg := b.opt.Config()
	var sb strings.Builder
	sb.WriteString("*Risk thresholds* (ccm acts alone only below the threshold; a repository's own value in the file wins, then Slack's, then the global one)\n")
	fmt.Fprintf(&sb, "• global, config file: %d\n", cfg.RiskThreshold)
	v, ok, err := b.opt.Store.Setting(ctx, tasks.SettingRiskThreshold)
	if err != nil {
		return "", err
	}
	if ok {
		fmt.Fprintf(&sb, "• set from Slack for every repository: %s\n", slackmsg.Escape(v))
	} else {
		sb.WriteString("• set from Slack for every repository: none\n")
	}
	for _, repo := range cfg.Watched() {
		t, src, _, err := b.opt.Pipeline.ThresholdInForce(ctx, repo)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&sb, "• %s: *%d* — %s\n", slackmsg.Escape(repo), t, sourceName(src))
	}
	return sb.String(), nil
}

// setThreshold is /ccm threshold N [repo]: admins only; it re-evaluates
// pending approvals and is audited (config, the admin as actor).
func (b *Bot) setThreshold(ctx context.Context, c SlashCommand, user string) (string, error) {
	cfg := b.opt.Config()
	if d := b.auth.allowed(ctx, cfg.Admins, user); !d.allowed {
		why := "only the admins in the config may set a threshold"
		if len(d.unknown) > 0 {
			why += " (the members of " + strings.Join(d.unknown, ", ") + " could not be read from Slack)"
		}
		ev := state.AuditEntry{Actor: user, ActionType: state.ActionConfig, Repo: c.Repo, Outcome: state.OutcomeFailure,
			Details: map[string]any{"setting": tasks.RiskThresholdSetting(c.Repo), "value": c.Threshold, "refused": why}}
		if _, err := b.opt.Store.Audit(ctx, ev); err != nil {
			b.log.Error("could not audit a refused threshold change", "user", user, "err", err)
		}
		return "You cannot set a threshold: " + why + ".", nil
	}
	repo := c.Repo
	if repo != "" {
		e := cfg.For(repo)
		if !e.Watched {
			return fmt.Sprintf("`%s` is not a watched repository; the form is `%s`.", slackmsg.Escape(repo), FormThreshold), nil
		}
		repo = e.Repo
	}
	changes, err := b.opt.Pipeline.SetRiskThreshold(ctx, repo, c.Threshold, user)
	if err != nil && changes == nil {
		return "", err
	}
	where := "every repository"
	if repo != "" {
		where = repo
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Risk threshold for %s set to *%d*.", slackmsg.Escape(where), c.Threshold)
	for _, r := range overriddenBy(cfg.Repositories, repo) {
		fmt.Fprintf(&sb, "\nNote: %s sets its own risk_threshold in the config file, which still wins.", slackmsg.Escape(r))
	}
	fmt.Fprintf(&sb, "\nPending approvals re-evaluated: %d decision(s) changed.", len(changes))
	for _, ch := range changes[:min(len(changes), 20)] {
		fmt.Fprintf(&sb, "\n• `%s` %s → %s (still waits for a person)", slackmsg.Escape(ch.FailureID), ch.Old, ch.New)
	}
	if err != nil {
		fmt.Fprintf(&sb, "\nSome could not be re-evaluated: %s", slackmsg.Escape(err.Error()))
	}
	return sb.String(), nil
}

// overriddenBy lists the repositories whose own file threshold wins over
// a Slack value set for repo ("" for every repository).
func overriddenBy(repos []config.Repo, repo string) []string {
	var out []string
	for _, r := range repos {
		if r.RiskThreshold != nil && (repo == "" || strings.EqualFold(r.Name, repo)) {
			out = append(out, r.Name)
		}
	}
	return out
}

func (b *Bot) modes() string {
	cfg := b.opt.Config()
	var sb strings.Builder
	fmt.Fprintf(&sb, "*Modes* (shadow: decide and report, touch nothing; approve: ask before every fix; auto: fix below the threshold)\n• global: %s\n", cfg.Mode)
	for _, r := range cfg.Repositories {
		src := "its own"
		if r.Mode == "" {
			src = "the global one"
		}
		fmt.Fprintf(&sb, "• %s: *%s* (%s)\n", slackmsg.Escape(r.Name), cfg.For(r.Name).Mode, src)
	}
	if len(cfg.Repositories) == 0 {
		sb.WriteString("The config lists no repositories.")
	}
	return sb.String()
}

// audit is /ccm audit: newest first, one page; the next page is the same
// command with before= the oldest entry shown.
func (b *Bot) audit(ctx context.Context, a AuditArgs) (string, error) {
	now := b.opt.Now()
	q := state.AuditQuery{Repo: a.Repo, ActionType: a.Action, FailureID: a.Failure,
		Since: a.Since.Time(now), Until: a.Until.Time(now)}
	if q.Since.IsZero() && a.Failure == "" {
		q.Since = now.Add(-24 * time.Hour) // as `ccm audit`: the last day unless told
	}
	entries, more, err := b.auditPage(ctx, q, a.Before, a.Limit)
	if err != nil {
		return "", err
	}
	if len(entries) == 0 {
		return "No audit entries match.", nil
	}
	lines := []string{fmt.Sprintf("*Audit* (newest first, %d shown):", len(entries))}
	for _, e := range entries {
		lines = append(lines, auditLine(e))
	}
	if more {
		lines = append(lines, "Older: `"+slackmsg.Escape(auditCommand(a, entries[len(entries)-1].ID))+"`")
	}
	return strings.Join(lines, "\n"), nil
}

// maxAuditScan bounds how many entries one page may read (the store's cap).
const maxAuditScan = 10000

// auditPage is up to limit entries matching q with a stream ID below
// before ("" = no bound), and whether there are more. An entry's ID is
// never earlier than its ts, so every entry below before has a ts at or
// before before's millisecond: that bounds the query, and the entries
// above before it still returns (written late, or shown already) are
// dropped, reading more until the page is full.
func (b *Bot) auditPage(ctx context.Context, q state.AuditQuery, before string, limit int) ([]state.AuditEntry, bool, error) {
	bound, hasBound := streamID(before)
	if hasBound {
		edge := time.UnixMilli(int64(bound[0])).UTC()
		if q.Until.IsZero() || q.Until.After(edge) {
			q.Until = edge
		}
	}
	for n := limit + 1; ; {
		q.Limit = n
		es, err := b.opt.Store.QueryAudit(ctx, q)
		if err != nil {
			return nil, false, err
		}
		kept := es[:0:0]
		for _, e := range es {
			if id, ok := streamID(e.ID); !hasBound || (ok && less(id, bound)) {
				kept = append(kept, e)
			}
		}
		if len(kept) > limit || len(es) < n || n >= maxAuditScan {
			return kept[:min(limit, len(kept))], len(kept) > limit, nil
		}
		n = min(2*n+len(es)-len(kept), maxAuditScan)
	}
}

// streamID reads "<ms>-<seq>".
func streamID(s string) ([2]uint64, bool) {
	ms, seq, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	return [2]uint64{a, b}, ok && err1 == nil && err2 == nil
}

func less(a, b [2]uint64) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

func auditCommand(a AuditArgs, before string) string {
	parts := []string{"/ccm audit"}
	for _, kv := range [][2]string{{"repo", a.Repo}, {"action", a.Action}, {"failure", a.Failure}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if s := whenText(a.Since); s != "" {
		parts = append(parts, "since="+s)
	}
	if s := whenText(a.Until); s != "" {
		parts = append(parts, "until="+s)
	}
	return strings.Join(append(parts, "before="+before, "limit="+strconv.Itoa(a.Limit)), " ")
}

func whenText(w When) string {
	switch {
	case !w.At.IsZero():
		return w.At.UTC().Format(time.RFC3339)
	case w.Ago > 0:
		return w.Ago.String()
	}
	return ""
}

func auditLine(e state.AuditEntry) string {
	subject := e.FailureID
	if subject == "" {
		subject = e.Repo
	}
	var details []string
	for _, k := range []string{"decision", "phase", "action", "setting", "value", "severity", "reason", "refused"} {
		if v, ok := e.Details[k]; ok {
			details = append(details, fmt.Sprintf("%s=%v", k, v))
		}
	}
	s := fmt.Sprintf("`%s` %s %s by %s %s", e.Timestamp.UTC().Format("2006-01-02 15:04:05"), e.ActionType, e.Outcome,
		actorText(e.Actor), slackmsg.Escape(subject))
	if len(details) > 0 {
		s += " — " + slackmsg.Escape(oneLine(strings.Join(details, " "), 200))
	}
	if e.Error != "" {
		s += " — error: " + slackmsg.Escape(oneLine(e.Error, 150))
	}
	return s
}

// actorText shows a Slack user as a mention, anyone else as text.
func actorText(actor string) string {
	if userIDRE.MatchString(actor) {
		return "<@" + actor + ">"
	}
	return slackmsg.Escape(actor)
}
