package state

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// What happened after a shadow decision, as the follow-up (ccm:shadow-check)
// found it. Values of ShadowOutcome.Outcome; part of the record's contract.
const (
	// ShadowRerunPassed: the next attempt of the same run, started by a
	// person, concluded success.
	ShadowRerunPassed = "rerun_passed"
	// ShadowRerunFailed: the next attempt concluded otherwise, so one
	// re-run, what ccm would have done, would not have fixed it.
	ShadowRerunFailed = "rerun_failed"
	// ShadowFixLanded: a later run of the workflow on the branch passed and
	// the commits since the failure touched a file the analysis named.
	ShadowFixLanded = "fix_landed"
	// ShadowPassedLater: a later run of the workflow on the branch passed,
	// with no change to a file the analysis named.
	ShadowPassedLater = "passed_later"
	// ShadowNothingHelped: the horizon passed with no passing attempt or run.
	ShadowNothingHelped = "nothing_helped"
	// ShadowUnknown: GitHub no longer has the run (deleted), so nothing can
	// be learnt from it.
	ShadowUnknown = "unknown"
)

// ShadowOutcomes lists the outcomes.
var ShadowOutcomes = []string{ShadowRerunPassed, ShadowRerunFailed, ShadowFixLanded, ShadowPassedLater,
	ShadowNothingHelped, ShadowUnknown}

// ShadowOutcome is what became of a failure ccm decided on in shadow mode,
// and the verdict on ccm's would-be decision.
type ShadowOutcome struct {
	Outcome string `json:"outcome"`
	// At is when ccm found it out; ResolvedAt when the passing attempt or
	// run completed (zero when nothing passed).
	At         time.Time `json:"at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// WouldHaveFixed: the decision's actions match what fixed it (a re-run
	// and a passing re-run, a fix PR and a fix on the files it named).
	WouldHaveFixed bool `json:"would_have_fixed,omitempty"`
	// TouchedCode: ccm would have acted alone on application code.
	TouchedCode bool `json:"touched_code,omitempty"`
	// Evidence says in words what ccm saw, e.g. "attempt 2 concluded success".
	Evidence string `json:"evidence,omitempty"`
}

// Scorecard is one repository's tally of judged shadow decisions: how a
// team decides to leave shadow mode.
type Scorecard struct {
	Repo string `json:"repo"`
	// Judged counts shadow decisions whose outcome is known; Auto,
	// Approval and None split them by decision.
	Judged   int `json:"judged"`
	Auto     int `json:"auto"`
	Approval int `json:"approval"`
	None     int `json:"none"`
	// WouldHaveFixed counts auto and approval decisions that would have
	// fixed the failure; TouchedCode auto decisions on application code.
	WouldHaveFixed int `json:"would_have_fixed"`
	TouchedCode    int `json:"touched_code"`
	// Outcomes counts judged decisions by outcome.
	Outcomes map[string]int `json:"outcomes"`
	// Resolved counts failures that passed again (a re-run or a later run);
	// MeanTimeToResolution is the mean time from the failed run to that
	// pass: what people took without ccm.
	Resolved             int           `json:"resolved"`
	MeanTimeToResolution time.Duration `json:"-"`
}

// WouldAct counts the judged decisions where ccm would have acted, alone
// or after asking.
func (c Scorecard) WouldAct() int { return c.Auto + c.Approval }

// Sentence is the scorecard in one line, as `ccm stats` and Slack show it:
// "acme/web (shadow): would have fixed 14 of 17, asked for 6, left 5 alone,
// never touched code".
func (c Scorecard) Sentence() string {
	code := "never touched code"
	if c.TouchedCode > 0 {
		code = fmt.Sprintf("would have touched code %d %s", c.TouchedCode, plural(c.TouchedCode, "time", "times"))
	}
	return fmt.Sprintf("%s (shadow): would have fixed %d of %d, asked for %d, left %d alone, %s",
		c.Repo, c.WouldHaveFixed, c.WouldAct(), c.Approval, c.None, code)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Tally field names in ccm:scorecard:<repo>.
const (
	tallyJudged     = "judged"
	tallyFixed      = "would_have_fixed"
	tallyTouched    = "touched_code"
	tallyResolved   = "resolved"
	tallyResolvedMS = "resolved_ms"
	tallyOutcome    = "outcome:"
	tallyDecision   = "decision:"
)

// shadowOutcomeScript writes the outcome on the record, adds it to the
// repository's tally, notes a passing re-run (or later run) in the
// fingerprint's history and appends the audit entry, all or nothing: a
// retried task finds the outcome on the record and counts nothing twice.
//
// KEYS[1] failure hash, KEYS[2] the repository's tally hash, KEYS[3] the
// set of repositories with a tally, KEYS[4..6] audit keys, KEYS[7] the
// history passes set.
// ARGV[1] expected rev, ARGV[2] new record JSON, ARGV[3] repo,
// ARGV[4] n, ARGV[5..4+2n] tally field/increment pairs, then the 22 audit
// args, then the pass member ("" when none), its time (ms), the history
// keep ms and cap.
// Returns -1 when the record is gone, 0 when it changed since it was read
// (the caller re-reads), else the audit entry ID.
var shadowOutcomeScript = redis.NewScript(auditLua + historyLua + `
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'rev', string.format('%.0f', tonumber(rev) + 1))
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  redis.call('HINCRBY', KEYS[2], ARGV[5 + 2*i], ARGV[6 + 2*i])
end
redis.call('SADD', KEYS[3], ARGV[3])
local h = 5 + 2*n + 22
if ARGV[h] ~= '' then
  history_add(KEYS[7], ARGV[h], tonumber(ARGV[h+1]), tonumber(ARGV[h+2]), tonumber(ARGV[h+3]))
end
return audit(4, 5 + 2*n)
`)

// RecordShadowOutcome writes o on shadow failure id, adds it to the
// repository's scorecard and appends ev (action validation, details
// shadow_outcome) in one atomic step. A failure that already has an outcome
// is left as it is (recorded false), so a retried or duplicated check never
// counts twice. The record's status does not change. It returns ErrInvalid
// for an unknown outcome, a failure that was not decided in shadow mode, or
// a "would have fixed" on a decision to leave it alone.
func (s *Store) RecordShadowOutcome(ctx context.Context, id string, o ShadowOutcome, ev AuditEntry) (recorded bool, _ error) {
	if !slices.Contains(ShadowOutcomes, o.Outcome) {
		return false, fmt.Errorf("%w: shadow outcome %s: unknown outcome %q", ErrInvalid, id, o.Outcome)
	}
	if ev.ActionType != "" && ev.ActionType != ActionValidation {
		return false, fmt.Errorf("%w: shadow outcome %s: event action %q", ErrInvalid, id, ev.ActionType)
	}
	ev.ActionType = ActionValidation
	if o.At.IsZero() {
		o.At = s.now()
	}
	o.At, o.ResolvedAt = o.At.UTC(), o.ResolvedAt.UTC()
	if ev.Timestamp.IsZero() {
		ev.Timestamp = o.At
	}
	details := map[string]any{}
	for k, v := range ev.Details {
		details[k] = v
	}
	details["shadow_outcome"] = o.Outcome
	ev.Details = details
	for range maxCASAttempts {
		rec, rev, err := s.readFailure(ctx, id)
		if err != nil {
			return false, fmt.Errorf("shadow outcome: %w", err)
		}
		if !rec.Shadow || rec.Gate == nil {
			return false, fmt.Errorf("%w: shadow outcome %s: not a shadow decision", ErrInvalid, id)
		}
		if rec.ShadowOutcome != nil {
			return false, nil
		}
		if o.WouldHaveFixed && rec.Gate.Decision == "none" {
			return false, fmt.Errorf("%w: shadow outcome %s: a decision to leave it alone fixes nothing", ErrInvalid, id)
		}
		next := rec
		oc := o
		next.ShadowOutcome = &oc
		next.UpdatedAt = s.now()
		js, aargs, err := s.encodeChange("shadow outcome", next, ev)
		if err != nil {
			return false, err
		}
		incr := tallyIncrements(rec, o)
		keys := append([]string{s.k.failure(id), s.k.scorecard(rec.Repo), s.k.scorecards()}, s.k.auditKeys()...)
		keys = append(keys, s.k.historyPassed(rec.Repo, rec.Fingerprint))
		args := append([]any{rev, js, rec.Repo, len(incr) / 2}, incr...)
		args = append(append(args, aargs...), shadowPassMember(rec, o.Outcome), o.At.UnixMilli())
		res, err := shadowOutcomeScript.Run(ctx, s.rdb, keys, append(args, s.historyArgs()...)...).Result()
		if err != nil {
			return false, fmt.Errorf("shadow outcome %s: %w", id, err)
		}
		switch v := res.(type) {
		case string:
			return true, nil
		case int64:
			if v < 0 {
				return false, fmt.Errorf("shadow outcome: failure %s: %w", id, ErrNotFound)
			}
			continue // changed under us: re-read, maybe someone recorded it first
		}
		return false, fmt.Errorf("shadow outcome %s: unexpected script reply %T", id, res)
	}
	return false, fmt.Errorf("shadow outcome %s: record kept changing: %w", id, ErrConflict)
}

// tallyIncrements are the field/increment pairs one judged decision adds.
func tallyIncrements(rec FailureRecord, o ShadowOutcome) []any {
	incr := []any{tallyJudged, 1, tallyDecision + rec.Gate.Decision, 1, tallyOutcome + o.Outcome, 1}
	if o.WouldHaveFixed {
		incr = append(incr, tallyFixed, 1)
	}
	if o.TouchedCode {
		incr = append(incr, tallyTouched, 1)
	}
	if !o.ResolvedAt.IsZero() {
		failed := rec.RunUpdatedAt
		if failed.IsZero() {
			failed = rec.DetectedAt
		}
		incr = append(incr, tallyResolved, 1, tallyResolvedMS, max(o.ResolvedAt.Sub(failed).Milliseconds(), 0))
	}
	return incr
}

// Scorecard returns repo's tally; a repository with no judged decision
// has a zero one.
func (s *Store) Scorecard(ctx context.Context, repo string) (Scorecard, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.scorecard(repo)).Result()
	if err != nil {
		return Scorecard{}, fmt.Errorf("scorecard %s: %w", repo, err)
	}
	return decodeScorecard(repo, h)
}

// Scorecards returns every repository's tally, by repository name: what
// `ccm stats` prints and the Slack bot shows.
func (s *Store) Scorecards(ctx context.Context) ([]Scorecard, error) {
	repos, err := s.rdb.SMembers(ctx, s.k.scorecards()).Result()
	if err != nil {
		return nil, fmt.Errorf("scorecards: %w", err)
	}
	slices.Sort(repos)
	out := make([]Scorecard, 0, len(repos))
	for _, repo := range repos {
		c, err := s.Scorecard(ctx, repo)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func decodeScorecard(repo string, h map[string]string) (Scorecard, error) {
	c := Scorecard{Repo: repo, Outcomes: map[string]int{}}
	var resolvedMS int64
	for field, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Scorecard{}, fmt.Errorf("scorecard %s: field %s is %q, not a number", repo, field, v)
		}
		switch field {
		case tallyJudged:
			c.Judged = int(n)
		case tallyDecision + "auto":
			c.Auto = int(n)
		case tallyDecision + "approval":
			c.Approval = int(n)
		case tallyDecision + "none":
			c.None = int(n)
		case tallyFixed:
			c.WouldHaveFixed = int(n)
		case tallyTouched:
			c.TouchedCode = int(n)
		case tallyResolved:
			c.Resolved = int(n)
		case tallyResolvedMS:
			resolvedMS = n
		default:
			if name, ok := strings.CutPrefix(field, tallyOutcome); ok {
				c.Outcomes[name] = int(n)
			}
		}
	}
	if c.Resolved > 0 {
		c.MeanTimeToResolution = time.Duration(resolvedMS/int64(c.Resolved)) * time.Millisecond
	}
	return c, nil
}
