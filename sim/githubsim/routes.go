package githubsim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Routes the fake serves, as recorded in [Request.Route] and accepted by
// [Server.FailNext]. Paths are relative to the API base (/api/v3).
const (
	RouteRateLimit        = "GET /rate_limit"
	RouteUser             = "GET /user"
	RouteRepo             = "GET /repos/{owner}/{repo}"
	RouteListRuns         = "GET /repos/{owner}/{repo}/actions/runs"
	RouteListWorkflowRuns = "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"
	RouteGetRun           = "GET /repos/{owner}/{repo}/actions/runs/{run_id}"
	RouteGetAttempt       = "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}"
	RouteListJobs         = "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs"
	RouteListAttemptJobs  = "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs"
	RouteGetJob           = "GET /repos/{owner}/{repo}/actions/jobs/{job_id}"
	RouteJobLogs          = "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs"
	RouteRerun            = "POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun"
	RouteRerunFailedJobs  = "POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs"
	RouteCancel           = "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel"
	RouteListCaches       = "GET /repos/{owner}/{repo}/actions/caches"
	RouteDeleteCachesKey  = "DELETE /repos/{owner}/{repo}/actions/caches"
	RouteDeleteCacheID    = "DELETE /repos/{owner}/{repo}/actions/caches/{cache_id}"
	RouteGetCommit        = "GET /repos/{owner}/{repo}/commits/{ref}"
	RouteCompare          = "GET /repos/{owner}/{repo}/compare/{basehead}"
	RoutePullFiles        = "GET /repos/{owner}/{repo}/pulls/{pull_number}/files"
	RouteGetBranch        = "GET /repos/{owner}/{repo}/branches/{branch...}"
	RouteGetRef           = "GET /repos/{owner}/{repo}/git/ref/{ref...}"
	RouteCreateRef        = "POST /repos/{owner}/{repo}/git/refs"
	RouteUpdateRef        = "PATCH /repos/{owner}/{repo}/git/refs/{ref...}"
	RouteDeleteRef        = "DELETE /repos/{owner}/{repo}/git/refs/{ref...}"
	RouteCreateBlob       = "POST /repos/{owner}/{repo}/git/blobs"
	RouteCreateTree       = "POST /repos/{owner}/{repo}/git/trees"
	RouteGetGitCommit     = "GET /repos/{owner}/{repo}/git/commits/{sha}"
	RouteCreateGitCommit  = "POST /repos/{owner}/{repo}/git/commits"
	RouteCreatePull       = "POST /repos/{owner}/{repo}/pulls"
	RouteListPulls        = "GET /repos/{owner}/{repo}/pulls"
	RouteGetPull          = "GET /repos/{owner}/{repo}/pulls/{pull_number}"
	RouteUpdatePull       = "PATCH /repos/{owner}/{repo}/pulls/{pull_number}"
	// RouteLogBlob is the signed download URL the log endpoint redirects
	// to; it lives outside the API and refuses an Authorization header.
	RouteLogBlob = "GET /_blobs/job-logs/{job_id}"
)

func (s *Server) routes() {
	api := map[string]http.HandlerFunc{
		RouteRateLimit:        s.handleRateLimit,
		RouteUser:             s.handleUser,
		RouteRepo:             s.handleRepo,
		RouteListRuns:         s.handleListRuns,
		RouteListWorkflowRuns: s.handleListRuns,
		RouteGetRun:           s.handleGetRun,
		RouteGetAttempt:       s.handleGetRun,
		RouteListJobs:         s.handleListJobs,
		RouteListAttemptJobs:  s.handleListJobs,
		RouteGetJob:           s.handleGetJob,
		RouteJobLogs:          s.handleJobLogs,
		RouteRerun:            s.handleRerun,
		RouteRerunFailedJobs:  s.handleRerun,
		RouteCancel:           s.handleCancel,
		RouteListCaches:       s.handleListCaches,
		RouteDeleteCachesKey:  s.handleDeleteCachesByKey,
		RouteDeleteCacheID:    s.handleDeleteCacheByID,
		RouteGetCommit:        s.handleGetCommit,
		RouteCompare:          s.handleCompare,
		RoutePullFiles:        s.handlePullFiles,
		RouteGetBranch:        s.handleGetBranch,
		RouteGetRef:           s.handleGetRef,
		RouteCreateRef:        s.handleCreateRef,
		RouteUpdateRef:        s.handleUpdateRef,
		RouteDeleteRef:        s.handleDeleteRef,
		RouteCreateBlob:       s.handleCreateBlob,
		RouteCreateTree:       s.handleCreateTree,
		RouteGetGitCommit:     s.handleGetGitCommit,
		RouteCreateGitCommit:  s.handleCreateGitCommit,
		RouteCreatePull:       s.handleCreatePull,
		RouteListPulls:        s.handleListPulls,
		RouteGetPull:          s.handleGetPull,
		RouteUpdatePull:       s.handleUpdatePull,
	}
	for route, h := range api {
		method, path, _ := strings.Cut(route, " ")
		s.mux.HandleFunc(method+" /api/v3"+path, h)
	}
	s.mux.HandleFunc(RouteLogBlob, s.handleBlob)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusNotFound, errorJSON{Message: "Not Found", DocumentationURL: docsURL, Status: "404"})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.writeJSON(w, r, status, errorJSON{Message: msg, DocumentationURL: docsURL, Status: strconv.Itoa(status)})
}

func fullName(r *http.Request) string {
	return r.PathValue("owner") + "/" + r.PathValue("repo")
}

func pathInt(r *http.Request, name string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) handleRepo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	s.mu.Unlock()
	if rs == nil {
		s.notFound(w, r)
		return
	}
	s.writeJSON(w, r, http.StatusOK, s.repo(rs.name, false))
}

// paginate cuts items to the page asked for with per_page (default 30, at
// most 100) and page, and writes GitHub's Link header.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((len(items)+per-1)/per, 1)
	link := func(p int, rel string) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		v := r.URL.Query()
		v.Set("per_page", strconv.Itoa(per))
		v.Set("page", strconv.Itoa(p))
		u.RawQuery = v.Encode()
		return "<" + u.String() + `>; rel="` + rel + `"`
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"), link(1, "first"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start := min((page-1)*per, len(items))
	end := min(start+per, len(items))
	return items[start:end]
}

// sortRuns orders runs as GitHub lists them: newest first.
func sortRuns(runs []Run) {
	sort.SliceStable(runs, func(i, j int) bool {
		if !runs[i].CreatedAt.Equal(runs[j].CreatedAt) {
			return runs[i].CreatedAt.After(runs[j].CreatedAt)
		}
		return runs[i].ID > runs[j].ID
	})
}
