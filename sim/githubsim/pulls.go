package githubsim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PullRequest is a pull request as the fake holds it.
type PullRequest struct {
	Number           int
	Title, Body      string
	Head, Base       string // branch names in the repository itself
	HeadSHA, BaseSHA string // at creation
	State            string // "open" or "closed"
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ClosedAt         time.Time
	// Files are what GET /pulls/{n}/files lists (set with [Server.AddPull]).
	Files []string
}

// Pulls returns a repository's pull requests, oldest first.
func (s *Server) Pulls(repo string) []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repos[strings.ToLower(repo)]
	if rs == nil {
		return nil
	}
	out := make([]PullRequest, 0, len(rs.pulls))
	for _, p := range rs.pulls {
		out = append(out, *p)
	}
	return out
}

// validationFailed is GitHub's 422 "Validation Failed" with the reason in
// errors[].message, where clients must look for it.
type validationFailed struct {
	Resource, Field, Code, Message string
}

type validationJSON struct {
	Message          string            `json:"message"`
	Errors           []validationEntry `json:"errors"`
	DocumentationURL string            `json:"documentation_url"`
	Status           string            `json:"status"`
}

type validationEntry struct {
	Resource string `json:"resource"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

type branchRefJSON struct {
	Label string   `json:"label"`
	Ref   string   `json:"ref"`
	SHA   string   `json:"sha"`
	User  userJSON `json:"user"`
	Repo  repoJSON `json:"repo"`
}

type pullJSON struct {
	ID        int64         `json:"id"`
	NodeID    string        `json:"node_id"`
	Number    int           `json:"number"`
	State     string        `json:"state"`
	Title     string        `json:"title"`
	Body      *string       `json:"body"`
	URL       string        `json:"url"`
	HTMLURL   string        `json:"html_url"`
	User      userJSON      `json:"user"`
	Head      branchRefJSON `json:"head"`
	Base      branchRefJSON `json:"base"`
	Draft     bool          `json:"draft"`
	Merged    bool          `json:"merged"`
	CreatedAt ts            `json:"created_at"`
	UpdatedAt ts            `json:"updated_at"`
	ClosedAt  ts            `json:"closed_at"`
	MergedAt  ts            `json:"merged_at"`
}

func (s *Server) pullJSON(rs *repoState, p *PullRequest) pullJSON {
	owner := repoOwner(rs.name)
	headSHA := p.HeadSHA
	if sha, ok := rs.branchLocked(p.Head); ok {
		headSHA = sha
	}
	ref := func(branch, sha string) branchRefJSON {
		return branchRefJSON{Label: owner + ":" + branch, Ref: branch, SHA: sha, User: user(owner), Repo: s.repo(rs.name, false)}
	}
	return pullJSON{
		ID: stableID(rs.name + "#pull" + strconv.Itoa(p.Number)), NodeID: "PR_kwDO" + strconv.Itoa(p.Number),
		Number: p.Number, State: p.State, Title: p.Title, Body: optional(p.Body),
		URL:     s.api + "/repos/" + rs.name + "/pulls/" + strconv.Itoa(p.Number),
		HTMLURL: htmlBase + "/" + rs.name + "/pull/" + strconv.Itoa(p.Number),
		User:    user("ccm[bot]"), Head: ref(p.Head, headSHA), Base: ref(p.Base, p.BaseSHA),
		CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt), ClosedAt: ts(p.ClosedAt),
	}
}

// headBranch reads a head given as "branch" or "owner:branch"; another
// owner (a fork) is not served by the fake.
func headBranch(repo, head string) (string, bool) {
	owner, branch, ok := strings.Cut(head, ":")
	if !ok {
		return head, head != ""
	}
	return branch, strings.EqualFold(owner, repoOwner(repo)) && branch != ""
}

func (s *Server) handleCreatePull(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
	}
	if !s.readJSON(w, r, &req) {
		return
	}
	s.locked(w, r, func(rs *repoState) (int, any) {
		const invalid = http.StatusUnprocessableEntity
		if strings.TrimSpace(req.Title) == "" {
			return invalid, validationFailed{Resource: "PullRequest", Field: "title", Code: "missing_field"}
		}
		head, ok := headBranch(rs.name, req.Head)
		headSHA, okHead := rs.branchLocked(head)
		if !ok || !okHead {
			return invalid, validationFailed{Resource: "PullRequest", Field: "head", Code: "invalid"}
		}
		baseSHA, okBase := rs.branchLocked(req.Base)
		if !okBase {
			return invalid, validationFailed{Resource: "PullRequest", Field: "base", Code: "invalid"}
		}
		for _, p := range rs.pulls {
			if p.State == "open" && p.Head == head && p.Base == req.Base {
				return invalid, validationFailed{Resource: "PullRequest", Code: "custom",
					Message: "A pull request already exists for " + repoOwner(rs.name) + ":" + head + "."}
			}
		}
		if headSHA == baseSHA {
			return invalid, validationFailed{Resource: "PullRequest", Code: "custom",
				Message: "No commits between " + req.Base + " and " + head}
		}
		now := s.now()
		p := &PullRequest{Number: len(rs.pulls) + 1, Title: req.Title, Body: req.Body, Head: head, Base: req.Base,
			HeadSHA: headSHA, BaseSHA: baseSHA, State: "open", CreatedAt: now, UpdatedAt: now}
		rs.pulls = append(rs.pulls, p)
		return http.StatusCreated, s.pullJSON(rs, p)
	})
}

// handleListPulls filters by state (default open), head ("owner:branch")
// and base, newest first.
func (s *Server) handleListPulls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var out []pullJSON
	s.locked(w, r, func(rs *repoState) (int, any) {
		var head string
		if h := q.Get("head"); h != "" {
			b, ok := headBranch(rs.name, h)
			if !ok {
				return http.StatusOK, []pullJSON{}
			}
			head = b
		}
		for _, p := range rs.pulls {
			if (state == "all" || p.State == state) && (head == "" || p.Head == head) &&
				(q.Get("base") == "" || p.Base == q.Get("base")) {
				out = append(out, s.pullJSON(rs, p))
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Number > out[j].Number })
		return http.StatusOK, append([]pullJSON{}, paginate(w, r, out)...)
	})
}

func (s *Server) pullOf(rs *repoState, r *http.Request) *PullRequest {
	n, ok := pathInt(r, "pull_number")
	if !ok || n > int64(len(rs.pulls)) {
		return nil
	}
	return rs.pulls[n-1]
}

func (s *Server) handleGetPull(w http.ResponseWriter, r *http.Request) {
	s.locked(w, r, func(rs *repoState) (int, any) {
		p := s.pullOf(rs, r)
		if p == nil {
			return http.StatusNotFound, apiErr("Not Found")
		}
		return http.StatusOK, s.pullJSON(rs, p)
	})
}

// handleUpdatePull edits title, body and state ("closed" closes, "open"
// reopens while the head branch exists).
func (s *Server) handleUpdatePull(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
	}
	if !s.readJSON(w, r, &req) {
		return
	}
	s.locked(w, r, func(rs *repoState) (int, any) {
		p := s.pullOf(rs, r)
		if p == nil {
			return http.StatusNotFound, apiErr("Not Found")
		}
		now := s.now()
		if req.State != nil {
			switch *req.State {
			case "closed":
				if p.State != "closed" {
					p.State, p.ClosedAt = "closed", now
				}
			case "open":
				if _, ok := rs.branchLocked(p.Head); !ok {
					return http.StatusUnprocessableEntity, validationFailed{Resource: "PullRequest", Code: "custom",
						Message: "state cannot be changed. The " + p.Head + " branch has been deleted."}
				}
				p.State, p.ClosedAt = "open", time.Time{}
			default:
				return http.StatusUnprocessableEntity, validationFailed{Resource: "PullRequest", Field: "state", Code: "invalid"}
			}
		}
		if req.Title != nil {
			p.Title = *req.Title
		}
		if req.Body != nil {
			p.Body = *req.Body
		}
		p.UpdatedAt = now
		return http.StatusOK, s.pullJSON(rs, p)
	})
}
