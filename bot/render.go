package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/state"
)

// Text for people. Everything that came from a log, the model, GitHub or
// a user is escaped here, once, before it reaches Slack.

func failureLine(rec state.FailureRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "• `%s` %s", slackmsg.Escape(rec.ID), rec.Status)
	if rec.Analysis != nil {
		fmt.Fprintf(&b, " · %s · risk %d", slackmsg.Escape(string(rec.Analysis.Category)), rec.Analysis.RiskScore)
	}
	if rec.Gate != nil {
		fmt.Fprintf(&b, " · gate %s", slackmsg.Escape(rec.Gate.Decision))
		if rec.Shadow {
			b.WriteString(" (shadow)")
		}
	}
	if r := oneLine(rec.FailureReason, 120); r != "" {
		b.WriteString(" — " + slackmsg.Escape(r))
	}
	return b.String()
}

// oneLine is s on one line, cut to n runes (and the ellipsis).
func oneLine(s string, n int) string {
	return slackmsg.Truncate(strings.Join(strings.Fields(s), " "), n+1)
}

func showText(rec state.FailureRecord, a *state.Approval) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* — %s\n", slackmsg.Escape(rec.ID), rec.Status)
	fmt.Fprintf(&b, "workflow %s on %s (commit %s) by %s, detected %s\n", slackmsg.Escape(rec.Workflow), slackmsg.Escape(rec.Branch),
		slackmsg.Escape(short(rec.CommitSHA)), slackmsg.Escape(rec.Actor), stamp(rec.DetectedAt))
	if rec.RunURL != "" {
		fmt.Fprintf(&b, "run: %s\n", slackmsg.Escape(rec.RunURL))
	}
	if r := oneLine(rec.FailureReason, 300); r != "" {
		fmt.Fprintf(&b, "reason: %s\n", slackmsg.Escape(r))
	}
	if an := rec.Analysis; an != nil {
		fmt.Fprintf(&b, "analysis (%s): %s, risk %d, confidence %d, effort %s\n", slackmsg.Escape(string(an.Source)),
			slackmsg.Escape(string(an.Category)), an.RiskScore, an.Confidence, slackmsg.Escape(string(an.Effort)))
		if f := oneLine(an.ProposedFix, 500); f != "" {
			fmt.Fprintf(&b, "proposed fix: %s\n", slackmsg.Escape(f))
		}
	}
	if g := rec.Gate; g != nil {
		shadow := ""
		if rec.Shadow {
			shadow = " (shadow: what ccm would do; nothing is done)"
		}
		fmt.Fprintf(&b, "gate: %s%s, mode %s, risk %d vs threshold %d (%s)\n", slackmsg.Escape(g.Decision), shadow, slackmsg.Escape(g.Mode),
			g.EffectiveRisk, g.Threshold, slackmsg.Escape(g.ThresholdSource))
		for _, r := range g.Reasons {
			fmt.Fprintf(&b, "   – %s\n", slackmsg.Escape(r))
		}
	}
	if a != nil {
		fmt.Fprintf(&b, "approval request `%s`: %s", a.ID, a.Status)
		if a.DecidedBy != "" {
			fmt.Fprintf(&b, " by <@%s> at %s", a.DecidedBy, stamp(a.DecidedAt))
		} else if a.Status == state.ApprovalPending {
			fmt.Fprintf(&b, ", expires %s", stamp(a.ExpiresAt))
		}
		b.WriteString("\n")
	}
	if m := rec.Remediation; m != nil {
		fmt.Fprintf(&b, "remediation: %d step(s), outcome %s %s\n", len(m.Steps), orDash(m.Outcome), slackmsg.Escape(m.Reason))
	}
	return b.String()
}

func whyText(rec state.FailureRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Why %s failed*\n", slackmsg.Escape(rec.ID))
	if an := rec.Analysis; an != nil {
		fmt.Fprintf(&b, "*Reasoning* (%s, %s, confidence %d): %s\n", slackmsg.Escape(string(an.Source)), slackmsg.Escape(string(an.Category)),
			an.Confidence, slackmsg.Escape(oneLine(an.Reasoning, 1500)))
		if len(an.Evidence) > 0 {
			b.WriteString("*Evidence*\n")
			for _, e := range an.Evidence[:min(len(an.Evidence), 8)] {
				fmt.Fprintf(&b, "> %s\n", slackmsg.Escape(oneLine(e, 300)))
			}
		}
	} else {
		b.WriteString("Not analyzed yet.\n")
	}
	if rec.SuspiciousLog != "" {
		fmt.Fprintf(&b, ":warning: the log holds text addressed to an AI model: %s\n", slackmsg.Escape(oneLine(rec.SuspiciousLog, 200)))
	}
	switch {
	case rec.LogExcerpt != "":
		b.WriteString("*Log excerpt* (redacted)\n" + slackmsg.Code(rec.LogExcerpt, 2500))
	case rec.LogUnavailable:
		b.WriteString("The log was not available.")
	}
	return b.String()
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// summary is what /ccm stats and App Home show.
type summary struct {
	agg          state.Aggregate
	top          []fingerprintCount
	open         []state.FailureRecord
	pending      []state.Approval
	incidents    []string
	since        time.Time
	scorecard    string
	scorecardErr error
}

type fingerprintCount struct {
	fingerprint, example, repo string
	n                          int
}

// finalStatuses are where a failure rests; the others are open.
var finalStatuses = []state.Status{state.StatusRejected, state.StatusExpired, state.StatusRemediated, state.StatusFailed}

// maxScan bounds how many recent failures a summary reads.
const maxScan = 2000

func (b *Bot) summarize(ctx context.Context, since time.Time) (summary, error) {
	s := summary{since: since}
	var err error
	if s.agg, err = b.opt.Store.Aggregate(ctx, state.MetricsQuery{Since: since}); err != nil {
		return s, err
	}
	recs, err := b.opt.Store.ListFailures(ctx, state.FailureQuery{Since: since, Limit: maxScan})
	if err != nil {
		return s, err
	}
	byFP := map[string]*fingerprintCount{}
	for _, r := range recs {
		if !slices.Contains(finalStatuses, r.Status) {
			s.open = append(s.open, r)
		}
		if r.Fingerprint == "" {
			continue
		}
		fc := byFP[r.Fingerprint]
		if fc == nil {
			fc = &fingerprintCount{fingerprint: r.Fingerprint, example: r.FailureReason, repo: r.Repo}
			byFP[r.Fingerprint] = fc
		}
		fc.n++
	}
	for _, fc := range byFP {
		s.top = append(s.top, *fc)
	}
	slices.SortFunc(s.top, func(x, y fingerprintCount) int {
		if x.n != y.n {
			return y.n - x.n
		}
		return strings.Compare(x.fingerprint, y.fingerprint)
	})
	s.top = s.top[:min(len(s.top), 5)]
	if s.pending, err = b.opt.Store.PendingApprovals(ctx); err != nil {
		return s, err
	}
	if s.incidents, err = b.opt.Store.OpenIncidents(ctx); err != nil {
		return s, err
	}
	// The scorecard is a running total since shadow mode began, not a
	// window: a team reads it to decide to leave shadow mode.
	cards, err := b.opt.Store.Scorecards(ctx)
	if err != nil {
		s.scorecardErr = err
	}
	for _, c := range cards {
		s.scorecard += "• " + slackmsg.Escape(c.Sentence()) + "\n"
	}
	return s, nil
}

// statsText is the numbers part of a summary.
func (s summary) statsText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Since %s*: %d failure(s) measured, %d remediation(s)", stamp(s.since), s.agg.Count, s.agg.Remediations)
	if s.agg.Remediations > 0 {
		fmt.Fprintf(&b, ", success rate %.0f%%", 100*s.agg.SuccessRate)
	}
	if s.agg.AvgResolutionMS > 0 {
		fmt.Fprintf(&b, ", mean time to resolution %s", (time.Duration(s.agg.AvgResolutionMS) * time.Millisecond).Round(time.Second))
	}
	b.WriteString("\n")
	if len(s.top) > 0 {
		b.WriteString("*Top fingerprints*\n")
		for _, fc := range s.top {
			fmt.Fprintf(&b, "• `%s` ×%d (%s) — %s\n", slackmsg.Escape(fc.fingerprint), fc.n, slackmsg.Escape(fc.repo), slackmsg.Escape(oneLine(fc.example, 100)))
		}
	}
	switch {
	case s.scorecardErr != nil:
		fmt.Fprintf(&b, "Shadow scorecard unavailable: %s\n", slackmsg.Escape(s.scorecardErr.Error()))
	case s.scorecard != "":
		b.WriteString("*Shadow scorecard* (since shadow mode began)\n" + s.scorecard)
	}
	return b.String()
}

func approvalLine(a state.Approval) string {
	return fmt.Sprintf("• `%s` %s — %s, risk %d, expires %s (request `%s`)", slackmsg.Escape(a.FailureID), slackmsg.Escape(a.Repo),
		actionNames(a), a.Risk, stamp(a.ExpiresAt), a.ID)
}
