package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// audit prints the audit stream of a running ccm, filtered, newest first:
// the terminal's view of what `/ccm audit` will show in Slack.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var q state.AuditQuery
	var since, until string
	var asJSON bool
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&q.Repo, "repo", "", "only this repository (OWNER/NAME)")
	fs.StringVar(&q.FailureID, "failure", "", "only this failure (OWNER/NAME#RUN.ATTEMPT)")
	fs.StringVar(&q.ActionType, "action", "", "only this action type: detection, analysis, config, error, alert, retention…")
	fs.StringVar(&q.Category, "category", "", "only failures of this category: dependency, timeout, config, flaky_test, infrastructure, code")
	fs.StringVar(&since, "since", "24h", "entries at or after this time: a duration ago (90m, 24h) or an RFC 3339 time; \"\" for all")
	fs.StringVar(&until, "until", "", "entries at or before this time: a duration ago or an RFC 3339 time")
	fs.IntVar(&q.Limit, "limit", 50, fmt.Sprintf("at most this many entries (1-%d)", state.MaxLimit))
	fs.BoolVar(&asJSON, "json", false, "one JSON object per line (the stream's fields)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return flagErr("audit", err)
	}
	now := time.Now()
	var err error
	if q.Since, err = parseWhen(since, now); err != nil {
		return usageErr("audit: --since: %v", err)
	}
	if q.Until, err = parseWhen(until, now); err != nil {
		return usageErr("audit: --until: %v", err)
	}
	if q.Limit < 1 || q.Limit > state.MaxLimit {
		return usageErr("audit: --limit %d is outside 1-%d", q.Limit, state.MaxLimit)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Since.After(q.Until) {
		return usageErr("audit: --since is after --until")
	}
	if q.ActionType != "" && !slices.Contains(state.ActionTypes, q.ActionType) {
		return usageErr("audit: --action %q: want one of %s", q.ActionType, strings.Join(state.ActionTypes, ", "))
	}
	env, err := config.LoadEnv()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if env.RedisURL == "" {
		return usageErr("audit: REDIS_URL is not set: ccm audit reads the Redis of a running ccm (an embedded one lives only inside its process)")
	}
	store, _, closeStore, err := state.Open(ctx, env.RedisURL, state.Options{Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer func() { _ = closeStore() }()
	entries, err := store.QueryAudit(ctx, q)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range entries {
			if err := enc.Encode(streamEntry(e)); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	}
	printAudit(stdout, entries)
	return nil
}

// streamEntry is an audit entry with exactly the stream's documented
// fields (every one present, empty when unset) plus its stream ID, so a
// script reads `ccm audit --json` and XRANGE output alike.
func streamEntry(e state.AuditEntry) map[string]any {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	return map[string]any{
		"id": e.ID, "ts": e.Timestamp.UTC().Format(time.RFC3339Nano), "action_type": e.ActionType,
		"actor": e.Actor, "failure_id": e.FailureID, "repo": e.Repo, "category": e.Category,
		"request_id": e.RequestID, "outcome": e.Outcome, "details": details, "error": e.Error,
	}
}

// parseWhen reads "" (unset), a duration ago, or an RFC 3339 time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration ago must be positive", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (24h) nor an RFC 3339 time", s)
	}
	return t, nil
}

func printAudit(w io.Writer, entries []state.AuditEntry) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "no audit entries match")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tOUTCOME\tACTOR\tFAILURE / REPO\tSUMMARY")
	for _, e := range entries {
		subject := e.FailureID
		if subject == "" {
			subject = e.Repo
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Timestamp.UTC().Format(time.RFC3339), e.ActionType,
			e.Outcome, e.Actor, subject, summarize(e))
	}
	_ = tw.Flush()
}

// summarize is one line a person can scan: the error, else the details
// that say most for the action.
func summarize(e state.AuditEntry) string {
	if e.Error != "" {
		return oneLineCut("error: "+e.Error, 160)
	}
	var parts []string
	for _, k := range []string{"summary", "reason", "category", "risk_score", "source", "fallback_reason", "changed", "severity"} {
		if v, ok := e.Details[k]; ok && v != nil && fmt.Sprint(v) != "" {
			parts = append(parts, k+"="+fmt.Sprint(v))
		}
	}
	return oneLineCut(strings.Join(parts, " "), 160)
}

func oneLineCut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
