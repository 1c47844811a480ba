package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/analysis"
)

// ValidationError lists every problem of a configuration, each as
// "path: problem" (repositories[1].risk_threshold: 11 is outside 0-10), so
// one edit can fix them all. Unknown keys and values of the wrong type read
// "path: line N: problem" and are also in Located.
type ValidationError struct {
	Problems []string
	// Located are the problems found while reading the file, in file
	// order, with their position.
	Located []*ParseError
}

func (e *ValidationError) Error() string {
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("invalid config (%d %s): %s", len(e.Problems), noun, strings.Join(e.Problems, "; "))
}

// Unwrap makes errors.Is(err, ErrInvalid) true and lets errors.As reach
// the first located problem (*ParseError) for callers that show one line.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.Located))
	errs = append(errs, ErrInvalid)
	for _, pe := range e.Located {
		errs = append(errs, pe)
	}
	return errs
}

// Limits that are part of the contract (documented in ccm.example.yaml).
const (
	MaxRiskThreshold = 10
	// MaxReruns is GitHub's own limit on re-runs of one workflow run.
	MaxReruns         = 50
	MinPollInterval   = 10 * time.Second
	MaxRetryAttempts  = 10
	maxDuration       = 10 * 365 * 24 * time.Hour
	maxBackoffCeiling = time.Hour
)

var (
	// GitHub: owner up to 39 alphanumerics, '-' or '_' (Enterprise managed
	// users); repository up to 100 of alphanumerics, '.', '-', '_'.
	repoNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	// Users are U… or W… (Enterprise Grid), user groups S….
	slackPrincipalRE = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)
	// Slack channel names are lowercase (any script), digits, '-' and '_'.
	channelNameRE = regexp.MustCompile(`^#[\p{Ll}\p{Lo}\p{N}_-]{1,80}$`)
	channelIDRE   = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
)

// Validate names every bad value of c. Parse already calls it; it is
// exported for configurations built in code.
func (c *Config) Validate() error {
	p := newProblems()
	p.check(c)
	return p.err()
}

type problems struct {
	list    []string
	bad     map[string]bool
	located []*ParseError
}

func newProblems() *problems { return &problems{bad: map[string]bool{}} }

// add records one problem, unless path already has one (a duration that
// did not parse should not also be reported as "zero") or lies under a
// value that could not be read (its fields are defaults, not the user's).
func (p *problems) add(path, format string, args ...any) {
	if p.bad[path] || p.underUnreadable(path) {
		return
	}
	p.bad[path] = true
	p.list = append(p.list, path+": "+fmt.Sprintf(format, args...))
}

// decodeFailed records an unknown key or a value of the wrong type. The
// field keeps its default, which is then not checked.
func (p *problems) decodeFailed(pe *ParseError) {
	if pe.Path != "" && (p.bad[pe.Path] || p.underUnreadable(pe.Path)) {
		return
	}
	p.bad[pe.Path] = true
	p.located = append(p.located, pe)
	p.list = append(p.list, pe.problem())
}

// sortLocated puts the problems found while reading in file order. It runs
// before any other problem is added, so the list is exactly those.
func (p *problems) sortLocated() {
	slices.SortStableFunc(p.located, func(a, b *ParseError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	p.list = p.list[:0]
	for _, pe := range p.located {
		p.list = append(p.list, pe.problem())
	}
}

func (p *problems) underUnreadable(path string) bool {
	for _, pe := range p.located {
		if pe.Path != "" && (strings.HasPrefix(path, pe.Path+".") || strings.HasPrefix(path, pe.Path+"[")) {
			return true
		}
	}
	return false
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: slices.Clone(p.list), Located: slices.Clone(p.located)}
}

func (p *problems) check(c *Config) {
	p.duration("poll_interval", c.PollInterval, MinPollInterval, 24*time.Hour)
	p.intRange("risk_threshold", c.RiskThreshold, 0, MaxRiskThreshold)
	p.duration("approval_timeout", c.ApprovalTimeout, time.Minute, 30*24*time.Hour)
	p.duration("verify_timeout", c.VerifyTimeout, time.Minute, 48*time.Hour)
	p.duration("shadow_horizon", c.ShadowHorizon, time.Hour, 30*24*time.Hour)
	p.repoNames("protected_repositories", c.ProtectedRepositories)
	p.principals("approvers", c.Approvers)
	p.principals("admins", c.Admins)
	if !c.Mode.Valid() {
		p.add("mode", "%q is not one of %v", c.Mode, Modes)
	}
	p.intRange("max_reruns", c.MaxReruns, 0, MaxReruns)
	p.channels("channels", c.Channels, false)
	p.intRange("retry.max_attempts", c.Retry.MaxAttempts, 1, MaxRetryAttempts)
	p.duration("retry.initial_backoff", c.Retry.InitialBackoff, time.Millisecond, maxBackoffCeiling)
	p.duration("retry.max_backoff", c.Retry.MaxBackoff, time.Millisecond, maxBackoffCeiling)
	if p.ok("retry.initial_backoff", "retry.max_backoff") && c.Retry.InitialBackoff > c.Retry.MaxBackoff {
		p.add("retry.initial_backoff", "%s is longer than retry.max_backoff %s", fmtDur(c.Retry.InitialBackoff), fmtDur(c.Retry.MaxBackoff))
	}
	p.duration("retention", c.Retention, time.Hour, maxDuration)
	p.duration("dedup_window", c.DedupWindow, time.Minute, 30*24*time.Hour)
	// Records must outlive the approvals and dedup keys that refer to them.
	// Every conflict is named in the one problem, so raising retention past
	// the first does not reveal a second on the next start.
	var longer []string
	for _, other := range []struct {
		path string
		d    time.Duration
	}{{"approval_timeout", c.ApprovalTimeout}, {"dedup_window", c.DedupWindow}} {
		if p.ok("retention", other.path) && c.Retention < other.d {
			longer = append(longer, other.path+" "+fmtDur(other.d))
		}
	}
	if len(longer) > 0 {
		p.add("retention", "%s is shorter than %s", fmtDur(c.Retention), strings.Join(longer, " and "))
	}
	p.duration("llm.timeout", c.LLM.Timeout, time.Second, 10*time.Minute)
	p.intRange("llm.prompt_token_budget", c.LLM.PromptTokenBudget, 500, 1_000_000)
	p.duration("llm.cache_ttl", c.LLM.CacheTTL, time.Minute, maxDuration)
	p.intRange("llm.max_attempts", c.LLM.MaxAttempts, 1, MaxRetryAttempts)
	p.intRange("log.tail_lines", c.Log.TailLines, 1, 100_000)
	p.intRange("log.max_section_bytes", c.Log.MaxSectionBytes, 1<<10, 1<<20)
	p.intRange("log.max_download_bytes", c.Log.MaxDownloadBytes, 1<<10, 1<<30)
	if p.ok("log.max_section_bytes", "log.max_download_bytes") && c.Log.MaxDownloadBytes < c.Log.MaxSectionBytes {
		p.add("log.max_download_bytes", "%d is smaller than log.max_section_bytes %d", c.Log.MaxDownloadBytes, c.Log.MaxSectionBytes)
	}
	// An incident needs at least two repositories or two runs: one failure
	// alone is not an outage. The window is bounded so the per-fingerprint
	// occurrence sets stay small (they are trimmed to it).
	p.intRange("incident.repositories", c.Incident.Repositories, 2, 1000)
	p.intRange("incident.runs", c.Incident.Runs, 2, 100_000)
	p.duration("incident.window", c.Incident.Window, time.Minute, 24*time.Hour)
	if c.Mode.Valid() && c.Mode != ModeShadow && len(c.Approvers) == 0 {
		p.add("approvers", "mode %s needs at least one approver, or risky fixes would wait for nobody", c.Mode)
	}
	p.repositories(c)
}

func (p *problems) repositories(c *Config) {
	seen := map[string]int{}
	for i, r := range c.Repositories {
		path := fmt.Sprintf("repositories[%d]", i)
		if p.repoName(path+".name", r.Name) {
			key := strings.ToLower(r.Name)
			if j, dup := seen[key]; dup {
				p.add(path+".name", "%q is already listed at repositories[%d]", r.Name, j)
			} else {
				seen[key] = i
			}
		}
		if r.RiskThreshold != nil {
			p.intRange(path+".risk_threshold", *r.RiskThreshold, 0, MaxRiskThreshold)
		}
		p.principals(path+".approvers", r.Approvers)
		if r.Mode != "" && !r.Mode.Valid() {
			p.add(path+".mode", "%q is not one of %v", r.Mode, Modes)
		}
		for j, a := range r.AutoActions {
			ap := fmt.Sprintf("%s.auto_actions[%d]", path, j)
			switch {
			case a == analysis.ActionNone || !a.Valid():
				p.add(ap, "%q is not one of %v", a, autoActionTypes())
			case slices.Index(r.AutoActions, a) < j:
				p.add(ap, "%q is listed twice", a)
			}
		}
		p.channels(path+".channels", r.Channels, true)
		if r.MaxReruns != nil {
			p.intRange(path+".max_reruns", *r.MaxReruns, 0, MaxReruns)
		}
		// A repository that inherits its mode is covered by the global check.
		if r.Mode.Valid() && r.Mode != ModeShadow && len(r.Approvers) == 0 && len(c.Approvers) == 0 {
			p.add(path+".approvers", "mode %s needs at least one approver (here or in the global approvers)", r.Mode)
		}
	}
}

// autoActionTypes are the actions a repository may allow unattended.
func autoActionTypes() []analysis.ActionType {
	return slices.DeleteFunc(slices.Clone(analysis.ActionTypes), func(a analysis.ActionType) bool { return a == analysis.ActionNone })
}

func (p *problems) ok(paths ...string) bool {
	for _, path := range paths {
		if p.bad[path] {
			return false
		}
	}
	return true
}

func (p *problems) intRange(path string, v, lo, hi int) {
	if v < lo || v > hi {
		p.add(path, "%d is outside %d-%d", v, lo, hi)
	}
}

func (p *problems) duration(path string, d, lo, hi time.Duration) {
	switch {
	case d <= 0:
		p.add(path, "%s must be greater than zero", fmtDur(d))
	case d < lo:
		p.add(path, "%s is below the minimum %s", fmtDur(d), fmtDur(lo))
	case d > hi:
		p.add(path, "%s is above the maximum %s", fmtDur(d), fmtDur(hi))
	}
}

func (p *problems) repoNames(path string, names []string) {
	for i, n := range names {
		p.repoName(fmt.Sprintf("%s[%d]", path, i), n)
	}
}

// repoName reports whether name is a valid owner/name.
func (p *problems) repoName(path, name string) bool {
	_, repo, _ := strings.Cut(name, "/")
	switch {
	case name == "":
		p.add(path, "is missing (owner/name)")
	case !repoNameRE.MatchString(name):
		p.add(path, "%q is not owner/name (letters, digits, '-', '_' and '.' only)", name)
	case repo == "." || repo == "..":
		p.add(path, "%q is not a repository name", name)
	case strings.HasSuffix(strings.ToLower(repo), ".git"):
		p.add(path, "%q ends in .git; write the repository name without it", name)
	default:
		return true
	}
	return false
}

func (p *problems) principals(path string, ids []string) {
	for i, id := range ids {
		if !slackPrincipalRE.MatchString(id) {
			p.add(fmt.Sprintf("%s[%d]", path, i), "%q is not a Slack user ID (U…, W…) or user-group ID (S…); copy it from the profile, not the @name", id)
		}
	}
}

// channels checks each channel; in a repository empty means "inherit".
func (p *problems) channels(path string, ch Channels, emptyOK bool) {
	for _, f := range []struct{ key, v string }{{"alerts", ch.Alerts}, {"approvals", ch.Approvals}, {"critical", ch.Critical}} {
		switch {
		case f.v == "" && emptyOK:
		case f.v == "":
			p.add(path+"."+f.key, "is empty")
		case !channelNameRE.MatchString(f.v) && !channelIDRE.MatchString(f.v):
			p.add(path+"."+f.key, "%q is neither a #channel-name (lowercase) nor a channel ID (C…, G…)", f.v)
		}
	}
}

// fmtDur prints 24h rather than 24h0m0s.
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
