package sandbox

import (
	"slices"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/tasks"
)

// DefaultLogs is how many real logs a sandbox replays unless told otherwise.
const DefaultLogs = 8

// categoryOrder puts first what teams see most and where ccm acts
// (re-runs), so the default set shows both sides of the safety line.
var categoryOrder = []analysis.Category{
	analysis.CategoryInfrastructure, analysis.CategoryFlakyTest, analysis.CategoryCode,
	analysis.CategoryConfig, analysis.CategoryDependency, analysis.CategoryTimeout,
}

// Select picks n real logs (0 = DefaultLogs, capped at how many there are),
// round-robin over the categories so every kind of failure shows, GitHub
// Actions logs first within a category. The choice is deterministic.
func Select(n int) []cilogs.Log {
	all := cilogs.All()
	if n <= 0 {
		n = DefaultLogs
	}
	n = min(n, len(all))
	slices.SortStableFunc(all, func(a, b cilogs.Log) int {
		return rank(a) - rank(b)
	})
	buckets := map[analysis.Category][]cilogs.Log{}
	order := slices.Clone(categoryOrder)
	for _, l := range all {
		c := analysis.Category(l.Category)
		if !slices.Contains(order, c) {
			order = append(order, c) // a category added to the fixtures later
		}
		buckets[c] = append(buckets[c], l)
	}
	out := make([]cilogs.Log, 0, n)
	for len(out) < n {
		for _, c := range order {
			if len(out) < n && len(buckets[c]) > 0 {
				out = append(out, buckets[c][0])
				buckets[c] = buckets[c][1:]
			}
		}
	}
	return out
}

func rank(l cilogs.Log) int {
	if l.CI == "github-actions" {
		return 0
	}
	return 1
}

// seeded is one failed run put into the GitHub fake.
type seeded struct {
	id          string // the failure ID ccm should record
	log         cilogs.Log
	rerunPassed bool
}

// seed adds one failed run per log. The first log a re-run would most
// likely fix becomes a run whose attempt 2 passed before ccm polled: ccm
// must still record attempt 1 (docs/ARCHITECTURE.md §3.5: nothing is lost).
func seed(gh *githubsim.Server, repo string, logs []cilogs.Log) []seeded {
	gh.AddRepo(repo)
	// The workflow passed on main an hour earlier, and each failure
	// follows a documentation change since: the changes are known (ccm
	// compares with that run), so the gate decides on the logs alone.
	base := gh.AddRun(repo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: "main",
		CreatedAt: time.Now().Add(-time.Hour), Jobs: []githubsim.Job{job("success", "All tests passed.\n")}})
	rerunDone := false
	out := make([]seeded, 0, len(logs))
	for _, l := range logs {
		run := gh.AddRun(repo, githubsim.Run{
			Conclusion: "failure", Name: "CI", HeadBranch: "main", ChangedFiles: []string{"README.md"},
			Jobs: []githubsim.Job{job("failure", l.Log)},
		})
		gh.SetCompare(repo, base.HeadSHA, run.HeadSHA, []string{"README.md"})
		s := seeded{id: tasks.FailureID(repo, run.ID, 1), log: l}
		if l.Transient && !rerunDone {
			gh.AddRun(repo, githubsim.Run{
				ID: run.ID, Attempt: 2, Conclusion: "success", Name: "CI", HeadBranch: "main",
				Jobs: []githubsim.Job{job("success", "All tests passed.\n")},
			})
			s.rerunPassed, rerunDone = true, true
		}
		out = append(out, s)
	}
	return out
}

func job(conclusion, log string) githubsim.Job {
	return githubsim.Job{
		Name: "build", Conclusion: conclusion, Log: log,
		Steps: []githubsim.Step{
			{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
			{Number: 2, Name: "Run build", Status: "completed", Conclusion: conclusion},
		},
	}
}
