package githubsim

import (
	"net/http"
	"strings"
	"time"
)

// maxAttempts is GitHub's cap on attempts of one run.
const maxAttempts = 50

// handleRerun re-runs a completed run: all jobs (rerun) or only the failed
// ones (rerun-failed-jobs), as a new attempt that is queued. Re-run jobs
// get new IDs; jobs that passed carry over unchanged. The new attempt's
// triggering actor is the token's user (SetLogin), as on GitHub.
func (s *Server) handleRerun(w http.ResponseWriter, r *http.Request) {
	onlyFailed := strings.HasSuffix(r.URL.Path, "/rerun-failed-jobs")
	id, okID := pathInt(r, "run_id")
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	if rs == nil || !okID || len(rs.runs[id]) == 0 {
		s.mu.Unlock()
		s.notFound(w, r)
		return
	}
	attempts := rs.runs[id]
	last := attempts[len(attempts)-1]
	switch {
	case last.Status != "completed":
		s.mu.Unlock()
		s.fail(w, r, http.StatusForbidden, "This workflow is already running")
		return
	case last.Attempt >= maxAttempts:
		s.mu.Unlock()
		s.fail(w, r, http.StatusForbidden, "This workflow run cannot be retried: it has reached the maximum number of attempts")
		return
	case onlyFailed && !failedConclusion(last.Conclusion):
		s.mu.Unlock()
		s.fail(w, r, http.StatusForbidden, "This workflow run has no failed jobs to re-run")
		return
	}
	next := last
	now := s.now()
	next.Attempt++
	next.TriggeringActor = s.loginLocked() // whoever sent the re-run
	next.Status, next.Conclusion = "queued", ""
	next.RunStartedAt, next.UpdatedAt = now, now
	next.Jobs = make([]Job, len(last.Jobs))
	for i, j := range last.Jobs {
		if !onlyFailed || failedConclusion(j.Conclusion) {
			j.ID = s.newIDLocked()
			j.Status, j.Conclusion = "queued", ""
			j.StartedAt, j.CompletedAt = time.Time{}, time.Time{}
			j.Log = ""
		}
		next.Jobs[i] = j
	}
	rs.runs[id] = append(attempts, next)
	s.mu.Unlock()
	s.writeJSON(w, r, http.StatusCreated, struct{}{})
}

// handleCancel cancels a run that is still going; GitHub refuses to cancel
// a completed one with 409.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	id, okID := pathInt(r, "run_id")
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	if rs == nil || !okID || len(rs.runs[id]) == 0 {
		s.mu.Unlock()
		s.notFound(w, r)
		return
	}
	attempts := rs.runs[id]
	last := &attempts[len(attempts)-1]
	if last.Status == "completed" {
		s.mu.Unlock()
		s.fail(w, r, http.StatusConflict, "Cannot cancel a workflow run that is completed.")
		return
	}
	now := s.now()
	last.Status, last.Conclusion, last.UpdatedAt = "completed", "cancelled", now
	for i := range last.Jobs {
		if last.Jobs[i].Status != "completed" {
			last.Jobs[i].Status, last.Jobs[i].Conclusion, last.Jobs[i].CompletedAt = "completed", "cancelled", now
		}
	}
	s.mu.Unlock()
	s.writeJSON(w, r, http.StatusAccepted, struct{}{})
}

// AddCache stores a cache entry (adding the repository if needed) and
// returns it with its ID assigned.
func (s *Server) AddCache(repo string, c Cache) Cache {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(repo)
	if c.ID == 0 {
		c.ID = s.newIDLocked()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	if c.LastAccessedAt.IsZero() {
		c.LastAccessedAt = c.CreatedAt
	}
	rs.caches = append(rs.caches, c)
	return c
}

// Caches returns the cache entries a repository still has.
func (s *Server) Caches(repo string) []Cache {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rs := s.repos[strings.ToLower(repo)]; rs != nil {
		return append([]Cache(nil), rs.caches...)
	}
	return nil
}

// cacheMatch is GitHub's cache filter: key is a prefix, ref exact.
func cacheMatch(c Cache, key, ref string) bool {
	return strings.HasPrefix(c.Key, key) && (ref == "" || c.Ref == ref)
}

func (s *Server) handleListCaches(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	var list []cacheJSON
	if rs != nil {
		for _, c := range rs.caches {
			if cacheMatch(c, q.Get("key"), q.Get("ref")) {
				list = append(list, cacheWire(c))
			}
		}
	}
	s.mu.Unlock()
	if rs == nil {
		s.notFound(w, r)
		return
	}
	total := len(list)
	page := paginate(w, r, list)
	s.writeJSON(w, r, http.StatusOK, map[string]any{"total_count": total, "actions_caches": append([]cacheJSON{}, page...)})
}

// handleDeleteCachesByKey deletes the caches whose key is exactly key (and
// ref, when given) and answers with what it deleted.
func (s *Server) handleDeleteCachesByKey(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	key, ref := q.Get("key"), q.Get("ref")
	if key == "" {
		s.fail(w, r, http.StatusUnprocessableEntity, "Validation Failed: key is required")
		return
	}
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	var deleted []cacheJSON
	if rs != nil {
		kept := rs.caches[:0]
		for _, c := range rs.caches {
			if c.Key == key && (ref == "" || c.Ref == ref) {
				deleted = append(deleted, cacheWire(c))
				continue
			}
			kept = append(kept, c)
		}
		rs.caches = kept
	}
	s.mu.Unlock()
	if len(deleted) == 0 {
		s.notFound(w, r)
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"total_count": len(deleted), "actions_caches": deleted})
}

func (s *Server) handleDeleteCacheByID(w http.ResponseWriter, r *http.Request) {
	id, okID := pathInt(r, "cache_id")
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	found := false
	if rs != nil && okID {
		for i, c := range rs.caches {
			if c.ID == id {
				rs.caches = append(rs.caches[:i], rs.caches[i+1:]...)
				found = true
				break
			}
		}
	}
	s.mu.Unlock()
	if !found {
		s.notFound(w, r)
		return
	}
	s.rateHeaders(w, true)
	w.WriteHeader(http.StatusNoContent)
}
