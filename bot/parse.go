package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// The forms people type, shown back with every malformed command so the
// error says what would have worked.
const (
	FormThreshold = "/ccm threshold [0-10 [owner/repo]]"
	FormAudit     = "/ccm audit [repo=owner/repo] [action=TYPE] [failure=ID] [since=24h] [until=TIME] [limit=20]"
	FormApprovals = "/ccm approvals"
	FormStats     = "/ccm stats [since=168h]"
	FormMode      = "/ccm mode"
	FormHelp      = "/ccm help"

	FormFailures = "@ccm failures [owner/repo] [since 24h]"
	FormShow     = "@ccm show <failure id>"
	FormWhy      = "@ccm why <failure id>"
	FormStatus   = "@ccm status"
	FormAnalyze  = "@ccm analyze <run URL>"
	FormPoll     = "@ccm poll [owner/repo]"
	FormFix      = "@ccm fix <failure id>"
	FormMHelp    = "@ccm help"
)

// UsageError is a command that does not parse: Form is the right shape of
// what was typed, Problem says what was wrong with it.
type UsageError struct {
	Form, Problem string
}

func (e *UsageError) Error() string { return e.Problem + "; the form is `" + e.Form + "`" }

func usage(form, format string, a ...any) error {
	return &UsageError{Form: form, Problem: fmt.Sprintf(format, a...)}
}

// SlashCommand is one parsed /ccm command; Verb says which, and only the
// fields that verb uses are set.
type SlashCommand struct {
	Verb string // threshold, audit, approvals, stats, mode, help
	// threshold: Set is false to show them.
	Set       bool
	Threshold int
	Repo      string
	// audit
	Audit AuditArgs
	// stats
	Since time.Duration
}

// AuditArgs are /ccm audit's filters as typed; times stay relative (a
// duration ago) or absolute until the handler knows "now".
type AuditArgs struct {
	Repo, Action, Failure string
	Since, Until          When
	Limit                 int
	// Before is the audit stream ID a page starts below: the cursor the
	// previous page prints (stream IDs, not times, so that entries of the
	// same millisecond are neither lost nor shown twice at a page edge).
	Before string
}

// When is a point in time as typed: Ago before now, or At.
type When struct {
	Ago time.Duration
	At  time.Time
}

// IsZero reports whether nothing was typed.
func (w When) IsZero() bool { return w.Ago == 0 && w.At.IsZero() }

// Time resolves w against now; zero stays zero (unbounded).
func (w When) Time(now time.Time) time.Time {
	if !w.At.IsZero() {
		return w.At
	}
	if w.Ago > 0 {
		return now.Add(-w.Ago)
	}
	return time.Time{}
}

// Limits of /ccm audit pages: a Slack message holds 50 blocks.
const (
	DefaultAuditLimit = 20
	MaxAuditLimit     = 40
)

// repoRE is owner/name as GitHub allows them (config validates the same).
var repoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// failureIDRE is a failure ID: owner/repo#run.attempt.
var failureIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]+\.[0-9]+$`)

// streamIDRE is an audit stream entry ID: <ms>-<seq>.
var streamIDRE = regexp.MustCompile(`^[0-9]{1,19}-[0-9]{1,20}$`)

// userIDRE is a Slack user ID (U…, W…).
var userIDRE = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// ParseSlash reads the text after /ccm. It never panics; anything it does
// not understand is a *UsageError naming the right form.
func ParseSlash(text string) (SlashCommand, error) {
	f := strings.Fields(text)
	if len(f) == 0 {
		return SlashCommand{Verb: "help"}, nil
	}
	verb, args := strings.ToLower(f[0]), f[1:]
	switch verb {
	case "help":
		return SlashCommand{Verb: "help"}, nil
	case "threshold":
		return parseThreshold(args)
	case "audit":
		a, err := parseAudit(args)
		return SlashCommand{Verb: "audit", Audit: a}, err
	case "approvals", "mode":
		if len(args) > 0 {
			form := map[string]string{"approvals": FormApprovals, "mode": FormMode}[verb]
			return SlashCommand{}, usage(form, "`%s` takes no arguments (got %q)", verb, strings.Join(args, " "))
		}
		return SlashCommand{Verb: verb}, nil
	case "stats":
		return parseStats(args)
	}
	return SlashCommand{}, usage(FormHelp, "unknown command %q (try threshold, audit, approvals, stats, mode)", clip(verb))
}

func parseThreshold(args []string) (SlashCommand, error) {
	c := SlashCommand{Verb: "threshold"}
	if len(args) == 0 {
		return c, nil
	}
	if len(args) > 2 {
		return SlashCommand{}, usage(FormThreshold, "too many arguments")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 || n > config.MaxRiskThreshold {
		return SlashCommand{}, usage(FormThreshold, "%q is not a threshold from 0 to %d", clip(args[0]), config.MaxRiskThreshold)
	}
	c.Set, c.Threshold = true, n
	if len(args) == 2 {
		if !repoRE.MatchString(args[1]) {
			return SlashCommand{}, usage(FormThreshold, "%q is not owner/repo", clip(args[1]))
		}
		c.Repo = args[1]
	}
	return c, nil
}

func parseAudit(args []string) (AuditArgs, error) {
	a := AuditArgs{Limit: DefaultAuditLimit}
	seen := map[string]bool{}
	for _, arg := range args {
		k, v, ok := strings.Cut(arg, "=")
		k = strings.ToLower(k)
		if !ok || v == "" {
			return AuditArgs{}, usage(FormAudit, "%q is not key=value", clip(arg))
		}
		if seen[k] {
			return AuditArgs{}, usage(FormAudit, "%s given twice", clip(k))
		}
		seen[k] = true
		var err error
		switch k {
		case "repo":
			if !repoRE.MatchString(v) {
				return AuditArgs{}, usage(FormAudit, "repo %q is not owner/repo", clip(v))
			}
			a.Repo = v
		case "action":
			if !slices.Contains(state.ActionTypes, v) {
				return AuditArgs{}, usage(FormAudit, "action %q is not one of %s", clip(v), strings.Join(state.ActionTypes, ", "))
			}
			a.Action = v
		case "failure":
			v = unwrapLink(v)
			if !failureIDRE.MatchString(v) {
				return AuditArgs{}, usage(FormAudit, "failure %q is not owner/repo#run.attempt", clip(v))
			}
			a.Failure = v
		case "since":
			a.Since, err = parseWhen(v)
		case "until":
			a.Until, err = parseWhen(v)
		case "before":
			if !streamIDRE.MatchString(v) {
				return AuditArgs{}, usage(FormAudit, "before %q is not an audit entry ID (the Older: line gives one)", clip(v))
			}
			a.Before = v
		case "limit":
			n, cerr := strconv.Atoi(v)
			if cerr != nil || n < 1 || n > MaxAuditLimit {
				return AuditArgs{}, usage(FormAudit, "limit %q is not a number from 1 to %d", clip(v), MaxAuditLimit)
			}
			a.Limit = n
		default:
			return AuditArgs{}, usage(FormAudit, "unknown filter %q", clip(k))
		}
		if err != nil {
			return AuditArgs{}, usage(FormAudit, "%s: %v", k, err)
		}
	}
	return a, nil
}

func parseStats(args []string) (SlashCommand, error) {
	c := SlashCommand{Verb: "stats", Since: 7 * 24 * time.Hour}
	for _, arg := range args {
		k, v, ok := strings.Cut(arg, "=")
		if !ok || strings.ToLower(k) != "since" {
			return SlashCommand{}, usage(FormStats, "%q is not since=DURATION", clip(arg))
		}
		d, err := parseDuration(v)
		if err != nil {
			return SlashCommand{}, usage(FormStats, "since: %v", err)
		}
		c.Since = d
	}
	return c, nil
}

// parseWhen reads a duration ago (24h, 7d) or an RFC 3339 time, as `ccm
// audit` does.
func parseWhen(s string) (When, error) {
	if d, err := parseDuration(s); err == nil {
		return When{Ago: d}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return When{}, fmt.Errorf("%q is neither a duration (24h, 7d) nor an RFC 3339 time", clip(s))
	}
	return When{At: t}, nil
}

// parseDuration is time.ParseDuration plus whole days ("7d"), positive only.
func parseDuration(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, aerr := strconv.Atoi(n)
		if aerr != nil || days < 1 || days > 3650 {
			return 0, fmt.Errorf("%q is not a number of days from 1 to 3650", clip(s))
		}
		d = time.Duration(days) * 24 * time.Hour
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%q is not a duration like 24h or 7d", clip(s))
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration", clip(s))
	}
	return d, nil
}

// clip keeps echoed input short: an error message is no place for a
// pasted log.
func clip(s string) string {
	const n = 60
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// unwrapLink undoes Slack's markup around a URL or name it linked:
// "<https://x|label>" → "https://x".
func unwrapLink(s string) string {
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[:i]
		}
	}
	return s
}
