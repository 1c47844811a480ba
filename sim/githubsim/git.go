package githubsim

import (
	"encoding/json"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// emptyTree is git's well-known SHA of the empty tree; commits the fake only
// knows as a run's head SHA have it.
const emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// gitRepo is a repository's git data: enough of git's object model for a
// client to branch, commit files and open a pull request. Trees are flat
// (full path → blob SHA); object SHAs are derived from their content, so
// the same tree written twice is the same object, as in git.
type gitRepo struct {
	branches map[string]string // name → commit SHA
	deleted  map[string]bool   // branches deleted through the API
	commits  map[string]gitCommit
	trees    map[string]map[string]string
	blobs    map[string]string
}

type gitCommit struct {
	SHA, Tree, Message string
	Parents            []string
	Date               time.Time
}

func (rs *repoState) gitLocked() *gitRepo {
	if rs.git == nil {
		rs.git = &gitRepo{
			branches: map[string]string{}, deleted: map[string]bool{}, commits: map[string]gitCommit{},
			trees: map[string]map[string]string{emptyTree: {}}, blobs: map[string]string{},
		}
	}
	return rs.git
}

// commitLocked finds a commit; a run's head SHA is a commit with an empty
// tree, so tests need not describe git history to branch from it.
func (rs *repoState) commitLocked(sha string) (gitCommit, bool) {
	if c, ok := rs.gitLocked().commits[sha]; ok {
		return c, true
	}
	for _, attempts := range rs.runs {
		for _, a := range attempts {
			if a.HeadSHA == sha {
				return gitCommit{SHA: sha, Tree: emptyTree, Message: "Update " + a.HeadBranch, Date: a.CreatedAt}, true
			}
		}
	}
	return gitCommit{}, false
}

// branchLocked is a branch's head: set through the API or the helpers, else
// the head SHA of the newest run on it (how a test's runs imply branches).
func (rs *repoState) branchLocked(name string) (string, bool) {
	g := rs.gitLocked()
	if sha, ok := g.branches[name]; ok {
		return sha, true
	}
	if g.deleted[name] {
		return "", false
	}
	var newest *Run
	for _, attempts := range rs.runs {
		for i := range attempts {
			a := &attempts[i]
			if a.HeadBranch == name && (newest == nil || a.CreatedAt.After(newest.CreatedAt)) {
				newest = a
			}
		}
	}
	if newest == nil {
		return "", false
	}
	return newest.HeadSHA, true
}

func (g *gitRepo) putTree(files map[string]string) string {
	keys := make([]string, 0, len(files))
	for p := range files {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("tree\x00")
	for _, p := range keys {
		b.WriteString(p + "\x00" + files[p] + "\n")
	}
	if len(keys) == 0 {
		return emptyTree
	}
	sha := fakeSHA(b.String())
	g.trees[sha] = files
	return sha
}

func (g *gitRepo) putBlob(content string) string {
	sha := fakeSHA("blob\x00" + content)
	g.blobs[sha] = content
	return sha
}

func (g *gitRepo) putCommit(c gitCommit) gitCommit {
	c.SHA = fakeSHA("commit\x00" + c.Tree + "\x00" + strings.Join(c.Parents, ",") + "\x00" +
		c.Date.UTC().Format(time.RFC3339) + "\x00" + c.Message)
	g.commits[c.SHA] = c
	return c
}

// SetBranch points a branch at a commit (a run's head SHA or one made with
// PushCommit), creating the branch if needed.
func (s *Server) SetBranch(repo, branch, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.repoLocked(repo).gitLocked()
	g.branches[branch] = sha
	delete(g.deleted, branch)
}

// PushCommit adds a commit on top of branch (creating the branch from an
// empty history if it does not exist) that sets files, as a person pushing
// would, and returns its SHA.
func (s *Server) PushCommit(repo, branch string, files map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(repo)
	g := rs.gitLocked()
	tree := map[string]string{}
	var parents []string
	if head, ok := rs.branchLocked(branch); ok {
		parents = []string{head}
		if c, ok := rs.commitLocked(head); ok {
			for p, b := range g.trees[c.Tree] {
				tree[p] = b
			}
		}
	}
	for p, content := range files {
		tree[p] = g.putBlob(content)
	}
	c := g.putCommit(gitCommit{Tree: g.putTree(tree), Parents: parents, Message: "Push to " + branch, Date: s.now()})
	g.branches[branch] = c.SHA
	delete(g.deleted, branch)
	return c.SHA
}

// Branch returns a branch's head SHA.
func (s *Server) Branch(repo, branch string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(repo)]
	if rs == nil {
		return "", false
	}
	return rs.branchLocked(branch)
}

// Branches lists the branches created or moved through the API or the
// helpers (not those only implied by runs), sorted.
func (s *Server) Branches(repo string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(repo)]
	if rs == nil || rs.git == nil {
		return nil
	}
	var out []string
	for b := range rs.git.branches {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// FileAt returns a file's content at a branch or commit SHA.
func (s *Server) FileAt(repo, ref, file string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(repo)]
	if rs == nil {
		return "", false
	}
	sha := ref
	if head, ok := rs.branchLocked(ref); ok {
		sha = head
	}
	c, ok := rs.commitLocked(sha)
	if !ok {
		return "", false
	}
	g := rs.gitLocked()
	blob, ok := g.trees[c.Tree][file]
	if !ok {
		return "", false
	}
	return g.blobs[blob], true
}

// validGitPath is what GitHub accepts in a tree: relative, clean, no "."
// or ".." components, nothing inside .git.
func validGitPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." || seg == ".git" || seg == "" {
			return false
		}
	}
	return true
}

// validBranch is a small part of git check-ref-format.
func validBranch(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") ||
		strings.HasSuffix(name, ".lock") || strings.Contains(name, "..") || strings.Contains(name, "//") ||
		strings.Contains(name, "@{") || strings.ContainsAny(name, " ~^:?*[\\\x7f") {
		return false
	}
	for _, r := range name {
		if r < 0x20 {
			return false
		}
	}
	return true
}

// readJSON decodes a request body into v, answering 400 like GitHub when
// it is not JSON.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		s.fail(w, r, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// apiErr is an error answer computed under the lock: its message.
type apiErr string

// locked runs fn under the server lock and writes what it returns after
// unlocking (writing takes the lock for the rate-limit headers): an apiErr
// as GitHub's error body, anything else as JSON. fn gets the request's
// repository; when there is none the answer is 404.
func (s *Server) locked(w http.ResponseWriter, r *http.Request, fn func(rs *repoState) (int, any)) {
	s.mu.Lock()
	status, v := http.StatusNotFound, any(apiErr("Not Found"))
	if rs := s.repos[strings.ToLower(fullName(r))]; rs != nil {
		status, v = fn(rs)
	}
	s.mu.Unlock()
	vf, isValidation := v.(validationFailed)
	switch e, isErr := v.(apiErr); {
	case isErr:
		s.fail(w, r, status, string(e))
	case isValidation:
		s.writeJSON(w, r, status, validationJSON{Message: "Validation Failed", DocumentationURL: docsURL,
			Status: strconv.Itoa(status), Errors: []validationEntry{{Resource: vf.Resource, Field: vf.Field, Code: vf.Code, Message: vf.Message}}})
	case status == http.StatusNoContent:
		s.rateHeaders(w, true)
		w.WriteHeader(status)
	default:
		s.writeJSON(w, r, status, v)
	}
}
