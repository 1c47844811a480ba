package githubsim

import (
	"net/http"
	"strings"
)

type refJSON struct {
	Ref    string `json:"ref"`
	NodeID string `json:"node_id"`
	URL    string `json:"url"`
	Object struct {
		Type string `json:"type"`
		SHA  string `json:"sha"`
		URL  string `json:"url"`
	} `json:"object"`
}

func (s *Server) refJSON(repo, branch, sha string) refJSON {
	out := refJSON{Ref: "refs/heads/" + branch, NodeID: "REF_" + fakeSHA(repo + branch)[:12],
		URL: s.api + "/repos/" + repo + "/git/refs/heads/" + branch}
	out.Object.Type, out.Object.SHA = "commit", sha
	out.Object.URL = s.api + "/repos/" + repo + "/git/commits/" + sha
	return out
}

// branchOfRef is the branch a "heads/<name>" or "refs/heads/<name>" ref
// names; other refs (tags, pulls) are not served by the fake.
func branchOfRef(ref string) (string, bool) {
	ref = strings.TrimPrefix(ref, "refs/")
	b, ok := strings.CutPrefix(ref, "heads/")
	return b, ok && b != ""
}

// handleGetBranch serves GET /branches/{branch}: the head commit and
// whether the branch is protected (never, in the fake).
func (s *Server) handleGetBranch(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("branch")
	s.locked(w, r, func(rs *repoState) (int, any) {
		sha, ok := rs.branchLocked(name)
		if !ok {
			return http.StatusNotFound, apiErr("Branch not found")
		}
		c, _ := rs.commitLocked(sha)
		commit := struct {
			SHA    string        `json:"sha"`
			NodeID string        `json:"node_id"`
			URL    string        `json:"url"`
			Commit gitCommitJSON `json:"commit"`
		}{SHA: sha, NodeID: "C_" + sha[:min(10, len(sha))], URL: s.api + "/repos/" + rs.name + "/commits/" + sha,
			Commit: s.gitCommitJSON(rs.name, gitCommit{SHA: sha, Tree: c.Tree, Message: c.Message, Parents: c.Parents, Date: c.Date})}
		return http.StatusOK, map[string]any{
			"name": name, "commit": commit, "protected": false,
			"_links": map[string]string{"self": s.api + "/repos/" + rs.name + "/branches/" + name,
				"html": htmlBase + "/" + rs.name + "/tree/" + name},
		}
	})
}

// handleGetRef serves GET /git/ref/heads/{branch}: an exact match or 404.
func (s *Server) handleGetRef(w http.ResponseWriter, r *http.Request) {
	s.locked(w, r, func(rs *repoState) (int, any) {
		branch, ok := branchOfRef(r.PathValue("ref"))
		if !ok {
			return http.StatusNotFound, apiErr("Not Found")
		}
		sha, ok := rs.branchLocked(branch)
		if !ok {
			return http.StatusNotFound, apiErr("Not Found")
		}
		return http.StatusOK, s.refJSON(rs.name, branch, sha)
	})
}

// handleCreateRef creates a branch at a commit; GitHub answers 422
// "Reference already exists" when it does, which is how a client learns
// that a create whose answer it lost went through.
func (s *Server) handleCreateRef(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !s.readJSON(w, r, &req) {
		return
	}
	s.locked(w, r, func(rs *repoState) (int, any) {
		const invalid = http.StatusUnprocessableEntity
		branch, ok := branchOfRef(req.Ref)
		if !strings.HasPrefix(req.Ref, "refs/") || !ok || !validBranch(branch) {
			return invalid, apiErr("Reference name is invalid")
		}
		if _, ok := rs.commitLocked(req.SHA); !ok {
			return invalid, apiErr("Object does not exist")
		}
		if _, ok := rs.branchLocked(branch); ok {
			return invalid, apiErr("Reference already exists")
		}
		g := rs.gitLocked()
		g.branches[branch] = req.SHA
		delete(g.deleted, branch)
		return http.StatusCreated, s.refJSON(rs.name, branch, req.SHA)
	})
}

// handleUpdateRef moves a branch; without force only forward.
func (s *Server) handleUpdateRef(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !s.readJSON(w, r, &req) {
		return
	}
	s.locked(w, r, func(rs *repoState) (int, any) {
		const invalid = http.StatusUnprocessableEntity
		branch, ok := branchOfRef(r.PathValue("ref"))
		if !ok {
			return invalid, apiErr("Reference does not exist")
		}
		old, ok := rs.branchLocked(branch)
		if !ok {
			return invalid, apiErr("Reference does not exist")
		}
		if _, ok := rs.commitLocked(req.SHA); !ok {
			return invalid, apiErr("Object does not exist")
		}
		if !req.Force && !rs.descendsLocked(req.SHA, old) {
			return invalid, apiErr("Update is not a fast forward")
		}
		rs.gitLocked().branches[branch] = req.SHA
		return http.StatusOK, s.refJSON(rs.name, branch, req.SHA)
	})
}

// descendsLocked reports whether commit sha has ancestor among its
// history (or is it).
func (rs *repoState) descendsLocked(sha, ancestor string) bool {
	seen := map[string]bool{}
	for todo := []string{sha}; len(todo) > 0; {
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if c == ancestor {
			return true
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		if gc, ok := rs.commitLocked(c); ok {
			todo = append(todo, gc.Parents...)
		}
	}
	return false
}

// handleDeleteRef deletes a branch (422 "Reference does not exist" when it
// is gone) and, as GitHub does, closes the open pull requests from it.
func (s *Server) handleDeleteRef(w http.ResponseWriter, r *http.Request) {
	s.locked(w, r, func(rs *repoState) (int, any) {
		branch, ok := branchOfRef(r.PathValue("ref"))
		if ok {
			_, ok = rs.branchLocked(branch)
		}
		if !ok {
			return http.StatusUnprocessableEntity, apiErr("Reference does not exist")
		}
		g := rs.gitLocked()
		delete(g.branches, branch)
		g.deleted[branch] = true
		now := s.now()
		for _, p := range rs.pulls {
			if p.Head == branch && p.State == "open" {
				p.State, p.ClosedAt, p.UpdatedAt = "closed", now, now
			}
		}
		return http.StatusNoContent, nil
	})
}
