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
