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

// runHistoryCompareLocked is the comparison of base...head when neither
// was set with [Server.SetCompare] nor made with [Server.PushCommit]: the
// fake's history of a branch is then its runs, so the commits after base
// up to head are the head commits of the runs on head's branch created
// after base's run and no later than head's, and the files are those they
// changed, each once. It reports false when either commit is no run's.
func (rs *repoState) runHistoryCompareLocked(base, head string) ([]string, bool) {
	var baseRun, headRun *Run
	var all []Run
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
	if baseRun == nil || headRun == nil {
		return nil, false
	}
	sortRuns(all)
	commits := map[string]bool{}
	seen := map[string]bool{}
	files := []string{}
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
				files = append(files, f)
			}
		}
	}
	return files, true
}
