package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/internal/redisurl"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

const auditHelp = `Usage: ccm audit [flags]

Prints the audit trail of a running ccm, newest first: every detection,
analysis, remediation, configuration change and error it recorded, with who
or what did it. Reads the Redis of that ccm (REDIS_URL, the same value
ccm serve uses); the filters combine.

Example:
  REDIS_URL=redis://localhost:6379/0 ccm audit --since 2h --category flaky_test

Flags:
`

// audit prints the audit stream of a running ccm, filtered, newest first:
// the terminal's view of what `/ccm audit` will show in Slack.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var q state.AuditQuery
	var since, until string
	var asJSON bool
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), auditHelp); fs.PrintDefaults() }
	fs.StringVar(&q.Repo, "repo", "", "only this repository (OWNER/NAME)")
	fs.StringVar(&q.FailureID, "failure", "", "only this failure (OWNER/NAME#RUN.ATTEMPT)")
	fs.StringVar(&q.ActionType, "action", "", "only this action type: detection, analysis, validation, approval, remediation, config, error, alert, retention, recovery")
	fs.StringVar(&q.Category, "category", "", "only failures of this category: "+categoryList())
	fs.StringVar(&since, "since", "24h", "entries at or after this time: a duration ago (90m, 24h) or an RFC 3339 time; \"\" for all")
	fs.StringVar(&until, "until", "", "entries at or before this time: a duration ago or an RFC 3339 time")
	fs.IntVar(&q.Limit, "limit", 50, fmt.Sprintf("at most this many entries (1-%d)", state.MaxLimit))
	fs.BoolVar(&asJSON, "json", false, "one JSON object per line (the stream's fields)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return flagErr("audit", err)
	}
	if len(rest) > 0 {
		// Silently ignored, `ccm audit acme/web` would print every
		// repository's entries and pass for an answer.
		return usageErr("audit: unexpected argument %q (filter with --repo, --failure, --action)", rest[0])
	}
	if err := checkRepoFlag("audit", q.Repo); err != nil {
		return err
	}
	if q.FailureID != "" {
		// A typo would match nothing and read as "nothing happened to it".
		repo, run, attempt, err := tasks.ParseFailureID(q.FailureID)
		if err != nil || checkRepoFlag("audit", repo) != nil || run < 1 || attempt < 1 || tasks.FailureID(repo, run, attempt) != q.FailureID {
			return usageErr("audit: --failure %q: want OWNER/NAME#RUN.ATTEMPT, like acme/web#123.1", q.FailureID)
		}
	}
	now := time.Now()
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
		sinceSet := false
		fs.Visit(func(f *flag.Flag) { sinceSet = sinceSet || f.Name == "since" })
		if !sinceSet {
			return usageErr("audit: --until is before the default --since (24h ago); add --since '' or an earlier --since")
		}
		return usageErr("audit: --since is after --until")
	}
	if q.ActionType != "" && !slices.Contains(state.ActionTypes, q.ActionType) {
		return usageErr("audit: --action %q: want one of %s", q.ActionType, strings.Join(state.ActionTypes, ", "))
	}
	if q.Category != "" && !analysis.Category(q.Category).Valid() {
		// Unchecked, a typo ("flaky") would print "no audit entries match"
		// and pass for an answer.
		return usageErr("audit: --category %q: want one of %s", q.Category, categoryList())
	}
	store, closeStore, err := openRunning(ctx, "audit", stderr)
	if err != nil {
		return err
	}
	defer func() { _ = closeStore() }()
	entries, err := store.QueryAudit(ctx, q)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false) // log lines as they are (see analyze)
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

// categoryList is the valid --category values, comma-separated.
func categoryList() string {
	names := make([]string, len(analysis.Categories))
	for i, c := range analysis.Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// openRunning opens the Redis of a running ccm (REDIS_URL) for command
// cmd, which only reads it: one error naming REDIS_URL when it is unset,
// malformed or unreachable.
func openRunning(ctx context.Context, cmd string, stderr io.Writer) (*state.Store, func() error, error) {
	env, err := config.LoadEnv()
	if err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	if env.RedisURL == "" {
		return nil, nil, usageErr("%s: REDIS_URL is not set: ccm %s reads the Redis of a running ccm (an embedded one lives only inside its process)", cmd, cmd)
	}
	// The error below says once what go-redis's pool would log per dial.
	redisurl.Quiet()
	if err := pingRedis(ctx, cmd, env.RedisURL); err != nil {
		return nil, nil, err
	}
	logger, err := newLogger(stderr, "warn")
	if err != nil {
		return nil, nil, err
	}
	store, _, closeStore, err := state.Open(ctx, env.RedisURL, state.Options{Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return store, closeStore, nil
}

// auditPingTimeout bounds the reachability check: a person at a terminal
// waits, so an unreachable Redis is reported at once, not after go-redis's
// retries (3 retries of 5 dials each).
const auditPingTimeout = 5 * time.Second

// pingRedis checks that the Redis REDIS_URL names answers, with one dial
// and no retries, and says what is wrong in one error naming REDIS_URL.
// The URL itself is never printed: it may hold a password.
func pingRedis(ctx context.Context, cmd, url string) error {
	target, err := redisurl.Parse(url)
	if err != nil {
		return usageErr("%s: REDIS_URL is not a valid redis://, rediss://, unix:// or redis+sentinel:// URL: %v", cmd, err)
	}
	target.DialOnce()
	rdb := target.NewClient()
	defer func() { _ = rdb.Close() }()
	ctx, cancel := context.WithTimeout(ctx, auditPingTimeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		if state.RefusedByServer(err) {
			// Reached, and it answered no: the database number or the
			// credentials in REDIS_URL are what to fix.
			return fmt.Errorf("%s: Redis at %s (REDIS_URL) refused: %v; check the database number, user and password in REDIS_URL", cmd, target, err)
		}
		return fmt.Errorf("%s: cannot reach Redis at %s (REDIS_URL): %v; "+
			"ccm %s reads the Redis of a running ccm: set REDIS_URL to the one ccm serve uses", cmd, target, err, cmd)
	}
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
	// The keys that say what happened, in the order a person reads them:
	// the gate's decision and mode, an approval's decision, a
	// remediation's phase, action and state, a shadow outcome.
	for _, k := range []string{"decision", "mode", "phase", "action", "state", "shadow_outcome", "noop", "stopped",
		"summary", "reason", "category", "risk_score", "source", "fallback_reason", "changed", "severity", "early", "refused"} {
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

// checkRepoFlag refuses a --repo that cannot name a repository: a typo
// would otherwise match nothing and read as "nothing happened there".
func checkRepoFlag(cmd, repo string) error {
	if repo == "" {
		return nil
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return usageErr("%s: --repo %q: want OWNER/NAME", cmd, repo)
	}
	return nil
}
