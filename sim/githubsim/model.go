package githubsim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// Run is one attempt of a workflow run as a test describes it. Zero fields
// get realistic defaults when the run is added (see [Server.AddRun]).
type Run struct {
	ID         int64
	Attempt    int // 0 = 1
	WorkflowID int64
	Name       string // workflow name; "" = "CI"
	Event      string // "" = "push"
	Status     string // "" = "completed"
	Conclusion string // "" while not completed
	HeadBranch string // "" = "main"
	HeadSHA    string // "" = derived from the run ID
	Actor      string // "" = "octocat"
	// TriggeringActor differs from Actor on re-runs; "" = Actor.
	TriggeringActor string
	// HeadRepo is the full name of the repository the commit came from;
	// "" = the run's own repository, or a fork named after the actor when
	// FromFork is set.
	HeadRepo string
	FromFork bool

	CreatedAt, UpdatedAt, RunStartedAt time.Time
	Jobs                               []Job
	// ChangedFiles are the paths the head commit changed, served by the
	// commit endpoint.
	ChangedFiles []string
	// PullRequests are the numbers of the repository's pull requests the
	// run belongs to (its pull_requests field); see [Server.AddPull].
	PullRequests []int
}

// Job is one job of a run attempt. Log is served by the log download
// endpoint; [Server.SetLog] and [Server.SetLogFunc] replace it later.
type Job struct {
	ID          int64 // 0 = assigned
	Name        string
	Status      string // "" = the run's status
	Conclusion  string // "" = the run's conclusion when the run completed
	RunnerName  string
	StartedAt   time.Time
	CompletedAt time.Time
	Steps       []Step
	Log         string
}

// Step is one step of a job.
type Step struct {
	Number     int64
	Name       string
	Status     string
	Conclusion string
}

// Cache is one Actions cache entry of a repository.
type Cache struct {
	ID             int64 // 0 = assigned
	Key            string
	Ref            string // e.g. "refs/heads/main"
	Version        string
	SizeInBytes    int64
	CreatedAt      time.Time
	LastAccessedAt time.Time
}

// ts marshals like GitHub: RFC 3339 in UTC with second precision, null
// when unset.
type ts time.Time

func (t ts) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

// optional renders "" as JSON null, as GitHub does for a missing conclusion.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// stableID derives a positive, repeatable numeric ID from a name so users
// and repositories get the same id in every response.
func stableID(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(name)))
	return int64(h.Sum64()>>34) + 1
}

func fakeSHA(seed string) string {
	sum := sha1.Sum([]byte(seed))
	return hex.EncodeToString(sum[:])
}

// withDefaults fills the zero fields of a run the way GitHub would have.
func (r Run) withDefaults(repo string, now time.Time) Run {
	if r.Attempt <= 0 {
		r.Attempt = 1
	}
	if r.Name == "" {
		r.Name = "CI"
	}
	if r.WorkflowID == 0 {
		r.WorkflowID = stableID(repo + "/" + r.Name)
	}
	if r.Event == "" {
		r.Event = "push"
	}
	if r.Status == "" {
		r.Status = "completed"
	}
	if r.HeadBranch == "" {
		r.HeadBranch = "main"
	}
	if r.HeadSHA == "" {
		r.HeadSHA = fakeSHA(fmt.Sprintf("%s#%d", repo, r.ID))
	}
	if r.Actor == "" {
		r.Actor = "octocat"
	}
	if r.TriggeringActor == "" {
		r.TriggeringActor = r.Actor
	}
	if r.HeadRepo == "" {
		r.HeadRepo = repo
		if r.FromFork {
			r.HeadRepo = r.Actor + "/" + repoName(repo)
		}
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.RunStartedAt.IsZero() {
		r.RunStartedAt = r.CreatedAt
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.RunStartedAt
	}
	jobs := make([]Job, len(r.Jobs))
	for i, j := range r.Jobs {
		if j.Status == "" {
			j.Status = r.Status
		}
		if j.Conclusion == "" && j.Status == "completed" {
			j.Conclusion = r.Conclusion
		}
		if j.Name == "" {
			j.Name = fmt.Sprintf("job-%d", i+1)
		}
		if j.RunnerName == "" {
			j.RunnerName = "GitHub Actions " + fmt.Sprint(i+1)
		}
		jobs[i] = j
	}
	r.Jobs = jobs
	return r
}

func repoName(full string) string {
	_, name, _ := strings.Cut(full, "/")
	return name
}

func repoOwner(full string) string {
	owner, _, _ := strings.Cut(full, "/")
	return owner
}

func failedConclusion(c string) bool {
	switch c {
	case "failure", "timed_out", "cancelled", "startup_failure":
		return true
	}
	return false
}
