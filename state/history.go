package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/history"
)

// The fingerprint history (ccm:history:<repo>|<fingerprint>) is kept per
// repository: a flaky test in one repository says nothing about the same
// normalized error in another (a different codebase, different tests, its
// own CI), and the analysis cache is per repository for the same reason.
// A fingerprint failing across repositories at once is an incident, which
// the incident guard watches (ccm:incident:<fingerprint>).
const (
	// historyKeep is how long a sighting or a pass stays: the window the
	// facts look at (history.Window) and a day of slack, so a late
	// analysis still sees the whole week.
	historyKeep = history.Window + 24*time.Hour
	// DefaultHistoryCap bounds each of the two sets per fingerprint: a
	// fingerprint failing more often than that in a week is no longer a
	// question of evidence, and the counts say they are lower bounds.
	DefaultHistoryCap = 200
)

// How a re-run of a failure became known to have passed: values of
// RerunPass.How.
const (
	// PassVerified: ccm re-ran the failure and ccm:verify saw the attempt
	// conclude success (the record moved to remediated).
	PassVerified = "verified"
	// PassRerun: a person re-ran it and the next attempt passed (the shadow
	// follow-up's rerun_passed).
	PassRerun = ShadowRerunPassed
	// PassLater: a later run of the workflow on the branch passed without a
	// change to a file the analysis named (shadow passed_later).
	PassLater = ShadowPassedLater
)

func (k keys) history(repo, fp string) string       { return k.p + "history:" + repo + "|" + fp }
func (k keys) historyPassed(repo, fp string) string { return k.history(repo, fp) + ":passed" }

// historyLua defines history_add(key, member, at, keep, cap), prepended to
// the scripts that note a sighting or a pass in the same step as the state
// change it belongs to. It adds member at `at` (unix ms), drops what is
// older than keep before the newest entry and all but the newest cap
// entries, and lets the key expire keep after its last write.
const historyLua = `
local function history_add(key, member, at, keep, cap)
  redis.call('ZADD', key, at, member)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%.0f', tonumber(top[2]) - keep))
  redis.call('ZREMRANGEBYRANK', key, 0, -(cap + 1))
  redis.call('PEXPIRE', key, keep)
end
`

// Sighting is one recorded failure of a fingerprint.
type Sighting struct {
	FailureID string
	Attempt   int
	Commit    string
	Branch    string
	At        time.Time // detection time
}

// RerunPass is a failure of the fingerprint that passed afterwards.
type RerunPass struct {
	FailureID string
	How       string // PassVerified, PassRerun or PassLater
	At        time.Time
}

// FingerprintHistory is what ccm:history holds for a repository and
// fingerprint within history.Window before a time.
type FingerprintHistory struct {
	Repo, Fingerprint string
	Since             time.Time
	Sightings         []Sighting  // oldest first
	Passes            []RerunPass // oldest first
	// Partial: a set hit its cap, so older entries were dropped.
	Partial bool
}

// historyMember is the sighting a record adds, or "" when it adds none: a
// failure without a fingerprint, or without a log, whose generic reason
// ("logs unavailable") would match unrelated failures (the analysis cache
// skips them for the same reason).
func historyMember(rec FailureRecord) string {
	if rec.Fingerprint == "" || rec.LogUnavailable || rec.LogExcerpt == "" {
		return ""
	}
	return strings.Join([]string{rec.ID, strconv.Itoa(max(rec.RunAttempt, 1)), rec.CommitSHA, rec.Branch}, "\n")
}

// passMember is the pass a change records, or "": a record that moved to
// remediated after ccm:verify saw its re-run pass.
func passMember(prev, next FailureRecord) string {
	if next.Fingerprint == "" || prev.Status == StatusRemediated || next.Status != StatusRemediated ||
		next.Remediation == nil || next.Remediation.VerifyAttempt == 0 {
		return ""
	}
	return next.ID + "\n" + PassVerified
}

// shadowPassMember is the pass a shadow outcome records, or "".
func shadowPassMember(rec FailureRecord, outcome string) string {
	if rec.Fingerprint == "" || (outcome != ShadowRerunPassed && outcome != ShadowPassedLater) {
		return ""
	}
	return rec.ID + "\n" + outcome
}

// historyArgs are the arguments history_add takes after the member.
func (s *Store) historyArgs() []any { return []any{historyKeep.Milliseconds(), s.historyCap} }

// History returns what ccm:history holds for repo and fingerprint from
// history.Window before now on: the failures recorded with it and the
// re-runs of them that passed. Facts says it relative to one failure.
func (s *Store) History(ctx context.Context, repo, fingerprint string, now time.Time) (FingerprintHistory, error) {
	h := FingerprintHistory{Repo: repo, Fingerprint: fingerprint, Since: now.Add(-history.Window).UTC()}
	if repo == "" || fingerprint == "" {
		return h, fmt.Errorf("%w: history needs a repo and a fingerprint", ErrInvalid)
	}
	var seen, passed *redis.ZSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		seen = p.ZRangeWithScores(ctx, s.k.history(repo, fingerprint), 0, -1)
		passed = p.ZRangeWithScores(ctx, s.k.historyPassed(repo, fingerprint), 0, -1)
		return nil
	})
	if err != nil {
		return h, fmt.Errorf("history of %s in %s: %w", fingerprint, repo, err)
	}
	since := h.Since.UnixMilli()
	for _, z := range seen.Val() {
		m, _ := z.Member.(string)
		f := strings.SplitN(m, "\n", 4)
		if len(f) != 4 || int64(z.Score) < since {
			continue
		}
		attempt, _ := strconv.Atoi(f[1])
		h.Sightings = append(h.Sightings, Sighting{FailureID: f[0], Attempt: attempt, Commit: f[2], Branch: f[3],
			At: time.UnixMilli(int64(z.Score)).UTC()})
	}
	for _, z := range passed.Val() {
		m, _ := z.Member.(string)
		f := strings.SplitN(m, "\n", 2)
		if len(f) != 2 || int64(z.Score) < since {
			continue
		}
		h.Passes = append(h.Passes, RerunPass{FailureID: f[0], How: f[1], At: time.UnixMilli(int64(z.Score)).UTC()})
	}
	h.Partial = len(seen.Val()) >= s.historyCap || len(passed.Val()) >= s.historyCap
	return h, nil
}

// Facts are the history relative to rec, one of the fingerprint's
// failures: what it failed on besides rec's commit and branch, which
// re-runs passed, and whether rec's commit is where it was first seen.
// rec counts as a sighting even when the index does not hold it.
func (h FingerprintHistory) Facts(rec FailureRecord) history.Facts {
	f := history.Facts{Partial: h.Partial, FirstSeenHere: rec.CommitSHA != ""}
	commits, branches := map[string]bool{}, map[string]bool{}
	self := false
	for _, s := range h.Sightings {
		f.Sightings++
		if s.Attempt > 1 {
			f.FailedOnRerun++
		}
		if s.FailureID == rec.ID {
			self = true
			continue
		}
		if s.Commit != "" && s.Commit != rec.CommitSHA {
			commits[s.Commit] = true
			if s.At.Before(rec.DetectedAt) {
				f.FirstSeenHere = false
			}
		}
		if s.Branch != "" && s.Branch != rec.Branch {
			branches[s.Branch] = true
		}
	}
	if !self {
		f.Sightings++
		if rec.RunAttempt > 1 {
			f.FailedOnRerun++
		}
	}
	f.OtherCommits, f.OtherBranches = len(commits), len(branches)
	for _, p := range h.Passes {
		switch {
		case p.FailureID == rec.ID:
		case p.How == PassLater:
			f.PassedLater++
		default:
			f.PassedOnRerun++
		}
	}
	return f
}
