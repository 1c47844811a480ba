package githubsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AddRepo makes a repository known; requests for unknown repositories get
// GitHub's 404.
func (s *Server) AddRepo(fullName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(fullName)
}

func (s *Server) repoLocked(fullName string) *repoState {
	key := strings.ToLower(fullName)
	rs := s.repos[key]
	if rs == nil {
		rs = &repoState{name: fullName, runs: map[int64][]Run{}}
		s.repos[key] = rs
	}
	return rs
}

// AddRun stores one attempt of a run (adding the repository if needed) and
// returns it with its defaults filled in and IDs assigned. Adding the same
// run ID with a higher Attempt records a re-run; the run endpoints then
// show the latest attempt, /attempts/{n} the older ones. A job's Log, when
// set, is what its log download serves.
func (s *Server) AddRun(repo string, r Run) Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(repo)
	if r.ID == 0 {
		r.ID = s.newIDLocked()
	}
	r = r.withDefaults(rs.name, s.now())
	for i := range r.Jobs {
		if r.Jobs[i].ID == 0 {
			r.Jobs[i].ID = s.newIDLocked()
		}
		if l := r.Jobs[i].Log; l != "" {
			s.logs[r.Jobs[i].ID] = stringLog(l)
		}
	}
	attempts := rs.runs[r.ID]
	replaced := false
	for i, a := range attempts {
		if a.Attempt == r.Attempt {
			attempts[i], replaced = r, true
		}
	}
	if !replaced {
		attempts = append(attempts, r)
		for i := len(attempts) - 1; i > 0 && attempts[i].Attempt < attempts[i-1].Attempt; i-- {
			attempts[i], attempts[i-1] = attempts[i-1], attempts[i]
		}
	}
	rs.runs[r.ID] = attempts
	return r
}

func (s *Server) newIDLocked() int64 {
	s.nextID++
	return 9_000_000_000 + s.nextID
}

// FinishRun completes the latest attempt of a run with conclusion, and its
// unfinished jobs with it, as when a re-run ends.
func (s *Server) FinishRun(repo string, runID int64, conclusion string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(repo)]
	if rs == nil || len(rs.runs[runID]) == 0 {
		return fmt.Errorf("githubsim: no run %s#%d", repo, runID)
	}
	attempts := rs.runs[runID]
	last := &attempts[len(attempts)-1]
	now := s.now()
	last.Status, last.Conclusion, last.UpdatedAt = "completed", conclusion, now
	for i := range last.Jobs {
		if last.Jobs[i].Status != "completed" {
			last.Jobs[i].Status, last.Jobs[i].Conclusion, last.Jobs[i].CompletedAt = "completed", conclusion, now
		}
	}
	return nil
}

// LatestRun returns the latest attempt of a run as the fake holds it.
func (s *Server) LatestRun(repo string, runID int64) (Run, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(repo)]
	if rs == nil || len(rs.runs[runID]) == 0 {
		return Run{}, false
	}
	s.settleLocked(rs)
	a := rs.runs[runID]
	return a[len(a)-1], true
}

// lookupRun finds the run of the request's path; attempt 0 is the latest.
func (s *Server) lookupRun(r *http.Request) (repo string, run Run, ok bool) {
	id, okID := pathInt(r, "run_id")
	attempt := int64(0)
	if r.PathValue("attempt_number") != "" {
		n, okN := pathInt(r, "attempt_number")
		if !okN {
			return "", Run{}, false
		}
		attempt = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(fullName(r))]
	if rs == nil || !okID {
		return "", Run{}, false
	}
	s.settleLocked(rs)
	attempts := rs.runs[id]
	if len(attempts) == 0 {
		return "", Run{}, false
	}
	if attempt == 0 {
		return rs.name, attempts[len(attempts)-1], true
	}
	for _, a := range attempts {
		if int64(a.Attempt) == attempt {
			return rs.name, a, true
		}
	}
	return "", Run{}, false
}

func (s *Server) handleListRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	match, err := runFilter(q)
	if err != nil {
		s.fail(w, r, http.StatusUnprocessableEntity, "Validation Failed: "+err.Error())
		return
	}
	// The workflow's own list (RouteListWorkflowRuns) is the repository's
	// narrowed to one workflow ID.
	workflow := int64(0)
	if r.PathValue("workflow_id") != "" {
		id, ok := pathInt(r, "workflow_id")
		if !ok {
			s.notFound(w, r)
			return
		}
		workflow = id
	}
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	var runs []Run
	if rs != nil {
		s.settleLocked(rs)
		for _, attempts := range rs.runs {
			latest := attempts[len(attempts)-1]
			if workflow != 0 && latest.WorkflowID != workflow {
				continue
			}
			if s.ignoreFilt || match(latest) {
				runs = append(runs, latest)
			}
		}
	}
	s.mu.Unlock()
	if rs == nil {
		s.notFound(w, r)
		return
	}
	sortRuns(runs)
	total := len(runs)
	page := paginate(w, r, runs)
	out := make([]runJSON, 0, len(page))
	for _, run := range page {
		out = append(out, s.runJSON(rs.name, run))
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"total_count": total, "workflow_runs": out})
}

// statuses are the values of the status filter that name a run status; the
// others name a conclusion, as on GitHub.
var statuses = map[string]bool{
	"queued": true, "in_progress": true, "completed": true, "requested": true,
	"waiting": true, "pending": true, "action_required": true,
}

func runFilter(q map[string][]string) (func(Run) bool, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	created, err := createdFilter(get("created"))
	if err != nil {
		return nil, err
	}
	status, branch, event, actor, sha := get("status"), get("branch"), get("event"), get("actor"), get("head_sha")
	return func(r Run) bool {
		switch {
		case status != "" && statuses[status] && r.Status != status:
			return false
		case status != "" && !statuses[status] && r.Conclusion != status:
			return false
		case branch != "" && r.HeadBranch != branch,
			event != "" && r.Event != event,
			actor != "" && r.Actor != actor,
			sha != "" && r.HeadSHA != sha:
			return false
		}
		return created(r.CreatedAt)
	}, nil
}

// createdFilter parses GitHub's date search syntax: >=X, >X, <=X, <X, X..Y
// (either side may be *) or a single date.
func createdFilter(expr string) (func(time.Time) bool, error) {
	if expr == "" {
		return func(time.Time) bool { return true }, nil
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(expr, op); ok {
			t, err := parseDate(rest)
			if err != nil {
				return nil, err
			}
			return func(c time.Time) bool {
				switch op {
				case ">=":
					return !c.Before(t)
				case "<=":
					return !c.After(t)
				case ">":
					return c.After(t)
				}
				return c.Before(t)
			}, nil
		}
	}
	if from, to, ok := strings.Cut(expr, ".."); ok {
		lo, hi := time.Time{}, time.Unix(1<<40, 0)
		var err error
		if from != "*" {
			if lo, err = parseDate(from); err != nil {
				return nil, err
			}
		}
		if to != "*" {
			if hi, err = parseDate(to); err != nil {
				return nil, err
			}
		}
		return func(c time.Time) bool { return !c.Before(lo) && !c.After(hi) }, nil
	}
	day, err := time.Parse(time.DateOnly, expr)
	if err != nil {
		return nil, fmt.Errorf("created %q is not a date", expr)
	}
	return func(c time.Time) bool { return !c.Before(day) && c.Before(day.AddDate(0, 0, 1)) }, nil
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("created %q is not a date", s)
}

func (s *Server) handleGetRun(w http.ResponseWriter, r *http.Request) {
	repo, run, ok := s.lookupRun(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	s.writeJSON(w, r, http.StatusOK, s.runJSON(repo, run))
}

// handleListJobs serves the jobs of the latest attempt (or of every attempt
// with filter=all), or of the attempt in the path.
func (s *Server) handleListJobs(w http.ResponseWriter, r *http.Request) {
	repo, run, ok := s.lookupRun(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	runs := []Run{run}
	if r.PathValue("attempt_number") == "" && r.URL.Query().Get("filter") == "all" {
		s.mu.Lock()
		runs = append([]Run(nil), s.repos[strings.ToLower(repo)].runs[run.ID]...)
		s.mu.Unlock()
	}
	var jobs []jobJSON
	for _, a := range runs {
		for _, j := range a.Jobs {
			jobs = append(jobs, s.jobJSON(repo, a, j))
		}
	}
	total := len(jobs)
	page := paginate(w, r, jobs)
	s.writeJSON(w, r, http.StatusOK, map[string]any{"total_count": total, "jobs": append([]jobJSON{}, page...)})
}

// findJob looks a job up across the runs of the request's repository.
func (s *Server) findJob(r *http.Request) (repo string, run Run, job Job, ok bool) {
	id, okID := pathInt(r, "job_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(fullName(r))]
	if rs == nil || !okID {
		return "", Run{}, Job{}, false
	}
	for _, attempts := range rs.runs {
		for _, a := range attempts {
			for _, j := range a.Jobs {
				if j.ID == id {
					return rs.name, a, j, true
				}
			}
		}
	}
	return "", Run{}, Job{}, false
}

func (s *Server) handleGetJob(w http.ResponseWriter, r *http.Request) {
	repo, run, job, ok := s.findJob(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	s.writeJSON(w, r, http.StatusOK, s.jobJSON(repo, run, job))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
