package githubsim

import (
	"encoding/base64"
	"net/http"
	"sort"
	"time"
)

// Handlers for git objects: blobs, trees (flat, content inline or by blob
// SHA) and commits.

type blobReq struct {
	Content  *string `json:"content"`
	Encoding string  `json:"encoding"`
}

func (s *Server) handleCreateBlob(w http.ResponseWriter, r *http.Request) {
	var req blobReq
	if !s.readJSON(w, r, &req) {
		return
	}
	if req.Content == nil {
		s.fail(w, r, http.StatusUnprocessableEntity, "Invalid request.\n\n\"content\" wasn't supplied.")
		return
	}
	content := *req.Content
	if req.Encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(content)
		if err != nil {
			s.fail(w, r, http.StatusUnprocessableEntity, "Invalid request.\n\ncontent is not valid Base64.")
			return
		}
		content = string(b)
	}
	s.locked(w, r, func(rs *repoState) (int, any) {
		sha := rs.gitLocked().putBlob(content)
		return http.StatusCreated, map[string]string{"sha": sha, "url": s.api + "/repos/" + rs.name + "/git/blobs/" + sha}
	})
}

type treeEntryReq struct {
	Path    string  `json:"path"`
	Mode    string  `json:"mode"`
	Type    string  `json:"type"`
	SHA     *string `json:"sha"`
	Content *string `json:"content"`
}

type treeEntryJSON struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
	Type string `json:"type"`
	SHA  string `json:"sha"`
	Size int    `json:"size"`
	URL  string `json:"url"`
}

// handleCreateTree writes a tree: base_tree's files with the entries
// applied (content or an existing blob's sha; sha null deletes the path).
func (s *Server) handleCreateTree(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseTree string         `json:"base_tree"`
		Tree     []treeEntryReq `json:"tree"`
	}
	if !s.readJSON(w, r, &req) {
		return
	}
	s.locked(w, r, func(rs *repoState) (int, any) { return s.createTreeLocked(rs, req.BaseTree, req.Tree) })
}

func (s *Server) createTreeLocked(rs *repoState, baseTree string, entries []treeEntryReq) (int, any) {
	const invalid = http.StatusUnprocessableEntity
	g := rs.gitLocked()
	files := map[string]string{}
	if baseTree != "" {
		base, ok := g.trees[baseTree]
		if !ok {
			return invalid, apiErr("Invalid tree info: base_tree " + baseTree + " does not exist")
		}
		for p, b := range base {
			files[p] = b
		}
	}
	for _, e := range entries {
		if !validGitPath(e.Path) {
			return invalid, apiErr("tree.path contains a malformed path component")
		}
		if e.Type != "" && e.Type != "blob" || e.Mode != "" && e.Mode != "100644" && e.Mode != "100755" {
			return invalid, apiErr("Invalid tree info: only blobs with mode 100644 or 100755 are supported by the fake")
		}
		switch {
		case e.Content != nil:
			files[e.Path] = g.putBlob(*e.Content)
		case e.SHA != nil:
			if _, ok := g.blobs[*e.SHA]; !ok {
				return invalid, apiErr("Invalid tree info: blob " + *e.SHA + " does not exist")
			}
			files[e.Path] = *e.SHA
		default:
			delete(files, e.Path)
		}
	}
	sha := g.putTree(files)
	out := struct {
		SHA       string          `json:"sha"`
		URL       string          `json:"url"`
		Tree      []treeEntryJSON `json:"tree"`
		Truncated bool            `json:"truncated"`
	}{SHA: sha, URL: s.api + "/repos/" + rs.name + "/git/trees/" + sha, Tree: []treeEntryJSON{}}
	for p, b := range files {
		out.Tree = append(out.Tree, treeEntryJSON{Path: p, Mode: "100644", Type: "blob", SHA: b, Size: len(g.blobs[b]),
			URL: s.api + "/repos/" + rs.name + "/git/blobs/" + b})
	}
	sort.Slice(out.Tree, func(i, j int) bool { return out.Tree[i].Path < out.Tree[j].Path })
	return http.StatusCreated, out
}

type gitCommitJSON struct {
	SHA       string       `json:"sha"`
	NodeID    string       `json:"node_id"`
	URL       string       `json:"url"`
	HTMLURL   string       `json:"html_url"`
	Author    gitPerson    `json:"author"`
	Committer gitPerson    `json:"committer"`
	Message   string       `json:"message"`
	Tree      shaURL       `json:"tree"`
	Parents   []parentJSON `json:"parents"`
}

type gitPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  ts     `json:"date"`
}

type shaURL struct {
	SHA string `json:"sha"`
	URL string `json:"url"`
}

type parentJSON struct {
	SHA     string `json:"sha"`
	URL     string `json:"url"`
	HTMLURL string `json:"html_url"`
}

func (s *Server) gitCommitJSON(repo string, c gitCommit) gitCommitJSON {
	api := s.api + "/repos/" + repo + "/git/"
	who := gitPerson{Name: "ccm[bot]", Email: "ccm[bot]@users.noreply.github.com", Date: ts(c.Date)}
	out := gitCommitJSON{
		SHA: c.SHA, NodeID: "C_" + c.SHA[:min(10, len(c.SHA))], URL: api + "commits/" + c.SHA,
		HTMLURL: htmlBase + "/" + repo + "/commit/" + c.SHA, Author: who, Committer: who,
		Message: c.Message, Tree: shaURL{SHA: c.Tree, URL: api + "trees/" + c.Tree}, Parents: []parentJSON{},
	}
	for _, p := range c.Parents {
		out.Parents = append(out.Parents, parentJSON{SHA: p, URL: api + "commits/" + p, HTMLURL: htmlBase + "/" + repo + "/commit/" + p})
	}
	return out
}

func (s *Server) handleGetGitCommit(w http.ResponseWriter, r *http.Request) {
	s.locked(w, r, func(rs *repoState) (int, any) {
		c, ok := rs.commitLocked(r.PathValue("sha"))
		if !ok {
			return http.StatusNotFound, apiErr("Not Found")
		}
		return http.StatusOK, s.gitCommitJSON(rs.name, c)
	})
}

func (s *Server) handleCreateGitCommit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Message string   `json:"message"`
		Tree    string   `json:"tree"`
		Parents []string `json:"parents"`
		Author  *struct {
			Date *time.Time `json:"date"`
		} `json:"author"`
	}
	if !s.readJSON(w, r, &req) {
		return
	}
	s.locked(w, r, func(rs *repoState) (int, any) {
		const invalid = http.StatusUnprocessableEntity
		g := rs.gitLocked()
		if req.Message == "" {
			return invalid, apiErr("Invalid request.\n\n\"message\" wasn't supplied.")
		}
		if _, ok := g.trees[req.Tree]; !ok {
			return invalid, apiErr("Tree SHA does not exist")
		}
		for _, p := range req.Parents {
			if _, ok := rs.commitLocked(p); !ok {
				return invalid, apiErr("Parent SHA does not exist or is not a commit object")
			}
		}
		date := s.now().Truncate(time.Second)
		if req.Author != nil && req.Author.Date != nil {
			date = *req.Author.Date
		}
		c := g.putCommit(gitCommit{Tree: req.Tree, Parents: req.Parents, Message: req.Message, Date: date})
		return http.StatusCreated, s.gitCommitJSON(rs.name, c)
	})
}
