package githubsim

import (
	"net/http"
	"strings"
)

type commitFileJSON struct {
	Filename  string `json:"filename"`
	Status    string `json:"status"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
	Changes   int    `json:"changes"`
}

type repoCommitJSON struct {
	SHA     string           `json:"sha"`
	NodeID  string           `json:"node_id"`
	HTMLURL string           `json:"html_url"`
	Files   []commitFileJSON `json:"files"`
}

// handleGetCommit serves a run's head commit with the files it changed,
// found by SHA among the repository's runs.
func (s *Server) handleGetCommit(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	var files []string
	found := false
	if rs != nil {
		for _, attempts := range rs.runs {
			for _, a := range attempts {
				if a.HeadSHA == ref {
					files, found = a.ChangedFiles, true
				}
			}
		}
	}
	name := ""
	if rs != nil {
		name = rs.name
	}
	s.mu.Unlock()
	if !found {
		s.fail(w, r, http.StatusUnprocessableEntity, "No commit found for SHA: "+ref)
		return
	}
	c := repoCommitJSON{SHA: ref, NodeID: "C_" + ref[:min(len(ref), 10)], HTMLURL: "https://github.com/" + name + "/commit/" + ref,
		Files: []commitFileJSON{}}
	for _, f := range files {
		c.Files = append(c.Files, commitFileJSON{Filename: f, Status: "modified", Additions: 1, Deletions: 1, Changes: 2})
	}
	s.writeJSON(w, r, http.StatusOK, c)
}

type compareJSON struct {
	URL          string           `json:"url"`
	HTMLURL      string           `json:"html_url"`
	Status       string           `json:"status"`
	AheadBy      int              `json:"ahead_by"`
	BehindBy     int              `json:"behind_by"`
	TotalCommits int              `json:"total_commits"`
	BaseCommit   map[string]any   `json:"base_commit"`
	Files        []commitFileJSON `json:"files"`
}

// handleCompare serves base...head between two runs' head commits. The
// fake's history of a branch is its runs: the commits after base up to
// head are the head commits of the runs on head's branch created after
// base's run and no later than head's, and the files are those they
// changed, each once.
func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok || base == "" || head == "" {
		s.notFound(w, r)
		return
	}
	s.mu.Lock()
	rs := s.repos[strings.ToLower(fullName(r))]
	var baseRun, headRun *Run
	var all []Run
	if rs != nil {
		for _, attempts := range rs.runs {
			for i := range attempts {
				a := attempts[i]
				all = append(all, a)
				if a.HeadSHA == base && baseRun == nil {
					baseRun = &a
				}
				if a.HeadSHA == head && headRun == nil {
					headRun = &a
				}
			}
		}
	}
	s.mu.Unlock()
	if baseRun == nil || headRun == nil {
		s.notFound(w, r)
		return
	}
	sortRuns(all)
	commits := map[string]bool{}
	var files []commitFileJSON
	seen := map[string]bool{}
	for i := len(all) - 1; i >= 0; i-- { // oldest first
		a := all[i]
		if a.HeadBranch != headRun.HeadBranch || !a.CreatedAt.After(baseRun.CreatedAt) || a.CreatedAt.After(headRun.CreatedAt) ||
			a.HeadSHA == base || commits[a.HeadSHA] {
			continue
		}
		commits[a.HeadSHA] = true
		for _, f := range a.ChangedFiles {
			if !seen[f] {
				seen[f] = true
				files = append(files, commitFileJSON{Filename: f, Status: "modified", Additions: 1, Deletions: 1, Changes: 2})
			}
		}
	}
	status := "ahead"
	if len(commits) == 0 {
		status = "identical"
	}
	s.writeJSON(w, r, http.StatusOK, compareJSON{
		URL: s.URL + r.URL.Path, HTMLURL: "https://github.com/" + rs.name + "/compare/" + base + "..." + head,
		Status: status, AheadBy: len(commits), TotalCommits: len(commits),
		BaseCommit: map[string]any{"sha": base}, Files: append([]commitFileJSON{}, files...),
	})
}
