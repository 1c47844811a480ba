package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The run index and the comparison cache spare GitHub calls at ingest
// (issue 10: GitHub's 5,000 calls an hour are what a mass failure runs
// into). Both only ever answer "this is what GitHub said" or "don't know";
// a "don't know" costs the ingest the call it would have made anyway.
const (
	// RunIndexSize bounds one (workflow, branch, event) index: a failure is
	// ingested seconds after its run, long before 50 newer runs start.
	RunIndexSize = 50
	// RunIndexTTL: an index no webhook delivery refreshed for a day is
	// dropped. Only deliveries refresh it (NoteRuns with fromWebhook), so
	// an installation whose webhook stops falls back to GitHub's list
	// within a day rather than keep an index only the poll feeds.
	RunIndexTTL = 24 * time.Hour
	// CompareTTL keeps a comparison for the other workflows of the same
	// push, which fail within the hour.
	CompareTTL = time.Hour
)

// RunRef is what the run index keeps of one run: enough to find the run
// of the same workflow, branch and event created just before another.
type RunRef struct {
	RunID      int64
	WorkflowID int64
	Branch     string
	Event      string
	HeadSHA    string
	CreatedAt  time.Time
}

func (r RunRef) indexable() bool {
	return r.RunID > 0 && r.WorkflowID > 0 && r.Branch != "" && r.Event != "" && r.HeadSHA != "" && !r.CreatedAt.IsZero()
}

// member sorts as the run ID within one second (zero-padded), so the
// newest of two runs created in the same second comes first in reverse.
func (r RunRef) member() string { return fmt.Sprintf("%020d %s", r.RunID, r.HeadSHA) }

// noteIfKnownScript adds a run to an index that exists (one a webhook
// delivery created) and trims it; it never creates one.
var noteIfKnownScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
return 1`)

// NoteRuns writes runs to the index of their workflow, branch and event.
// fromWebhook: a workflow_run delivery, which sees every run (requested,
// in progress, completed, whatever its conclusion) and creates and
// refreshes the index. Otherwise (the poll's list, which names failed runs
// only) a run is added only to an index a delivery created: fed by the
// poll alone an index would hold failures only, and the "previous run"
// would be the previous failure, spanning needlessly many commits.
func (s *Store) NoteRuns(ctx context.Context, repo string, runs []RunRef, fromWebhook bool) error {
	pipe := s.rdb.Pipeline()
	n := 0
	for _, r := range runs {
		if !r.indexable() {
			continue
		}
		key := s.k.runIndex(repo, r.WorkflowID, r.Branch, r.Event)
		score := float64(r.CreatedAt.Unix())
		n++
		if !fromWebhook {
			// Eval, not Run: a pipeline cannot fall back from EVALSHA.
			noteIfKnownScript.Eval(ctx, pipe, []string{key}, score, r.member(), RunIndexSize)
			continue
		}
		pipe.ZAdd(ctx, key, redis.Z{Score: score, Member: r.member()})
		pipe.ZRemRangeByRank(ctx, key, 0, -RunIndexSize-1)
		pipe.Expire(ctx, key, RunIndexTTL)
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("note %d runs of %s: %w", n, repo, err)
	}
	return nil
}

// PreviousRun is the head commit of the run the index holds of run's
// workflow, branch and event created before it (in whole seconds, as
// GitHub's created:<T filter) — the one GitHub's list would name, unless
// a delivery was lost. ok is false when the index holds none: the caller
// then asks GitHub, never concludes there is no previous run.
func (s *Store) PreviousRun(ctx context.Context, repo string, run RunRef) (sha string, ok bool, err error) {
	if !run.indexable() {
		return "", false, nil
	}
	key := s.k.runIndex(repo, run.WorkflowID, run.Branch, run.Event)
	got, err := s.rdb.ZRevRangeByScore(ctx, key, &redis.ZRangeBy{
		Max: "(" + strconv.FormatInt(run.CreatedAt.Unix(), 10), Min: "-inf", Count: 2,
	}).Result()
	if err != nil {
		return "", false, fmt.Errorf("previous run of %s#%d: %w", repo, run.RunID, err)
	}
	for _, m := range got {
		id, head, found := strings.Cut(m, " ")
		if n, _ := strconv.ParseInt(id, 10, 64); found && n != run.RunID && head != "" {
			return head, true, nil
		}
	}
	return "", false, nil
}

// CachedCompare is the file list GitHub gave for base...head in the last
// hour: every workflow failing on one push compares the same pair.
func (s *Store) CachedCompare(ctx context.Context, repo, base, head string) ([]string, bool, error) {
	files, err := s.rdb.LRange(ctx, s.k.compare(repo, base, head), 0, -1).Result()
	if err != nil {
		return nil, false, fmt.Errorf("cached compare %s %.12s...%.12s: %w", repo, base, head, err)
	}
	if len(files) == 0 {
		// An empty comparison is not cached (see CacheCompare), so none
		// listed means none cached.
		return nil, false, nil
	}
	return files, true, nil
}

// CacheCompare keeps base...head's files for CompareTTL. Commits are
// immutable, so the pair's files cannot change; an empty list is not kept
// (GitHub's answer is then not believed anyway, and re-asking is cheap).
func (s *Store) CacheCompare(ctx context.Context, repo, base, head string, files []string) error {
	if len(files) == 0 {
		return nil
	}
	key := s.k.compare(repo, base, head)
	vals := make([]any, len(files))
	for i, f := range files {
		vals[i] = f
	}
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, key)
	pipe.RPush(ctx, key, vals...)
	pipe.Expire(ctx, key, CompareTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("cache compare %s %.12s...%.12s: %w", repo, base, head, err)
	}
	return nil
}

func (k keys) runIndex(repo string, workflowID int64, branch, event string) string {
	return k.p + "runs:" + repo + ":" + strconv.FormatInt(workflowID, 10) + ":" + event + ":" + branch
}

func (k keys) compare(repo, base, head string) string {
	return k.p + "cache:compare:" + repo + ":" + base + "..." + head
}
