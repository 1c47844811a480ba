package githubsim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// What a change touched, served three ways as on GitHub: a pull request's
// files (paginated, at most 3000), a comparison of two commits (at most 300
// files, not paginated) and one commit's files (see commits.go).
const (
	maxPullFiles    = 3000
	maxCompareFiles = 300
)

// AddPull stores a pull request as a test describes it (the next Number
// is assigned; State "" = open) and returns it; Files are what its files
// endpoint lists. Runs name it through [Run.PullRequests].
func (s *Server) AddPull(repo string, p PullRequest) PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(repo)
	p.Number = len(rs.pulls) + 1
	if p.State == "" {
		p.State = "open"
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
		p.UpdatedAt = p.CreatedAt
	}
	rs.pulls = append(rs.pulls, &p)
	return p
}

// SetCompare makes GET /compare/{base}...{head} list files. Without it a
// comparison is computed from the git trees of commits made with
// [Server.PushCommit]; any other pair is 404, as for an unknown commit.
func (s *Server) SetCompare(repo, base, head string, files []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(repo)
	if rs.compares == nil {
		rs.compares = map[string][]string{}
	}
	rs.compares[base+"..."+head] = append([]string(nil), files...)
}

// compareLocked is the files changed from base to head, and whether both
// commits are known.
func (rs *repoState) compareLocked(base, head string, fromRuns bool) ([]string, bool) {
	if files, ok := rs.compares[base+"..."+head]; ok {
		return files, true
	}
	g := rs.gitLocked()
	b, okB := g.commits[base]
	h, okH := g.commits[head]
	if !okB || !okH {
		if fromRuns {
			return rs.runHistoryCompareLocked(base, head)
		}
		return nil, false
	}
	bt, ht := g.trees[b.Tree], g.trees[h.Tree]
	var out []string
	for p, blob := range ht {
		if bt[p] != blob {
			out = append(out, p)
		}
	}
	for p := range bt {
		if _, ok := ht[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, true
}

type diffEntryJSON struct {
	SHA       string `json:"sha"`
	Filename  string `json:"filename"`
	Status    string `json:"status"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
	Changes   int    `json:"changes"`
	BlobURL   string `json:"blob_url"`
	RawURL    string `json:"raw_url"`
	Patch     string `json:"patch,omitempty"`
}

func diffEntries(repo, sha string, files []string) []diffEntryJSON {
	out := make([]diffEntryJSON, 0, len(files))
	for _, f := range files {
		out = append(out, diffEntryJSON{SHA: fakeSHA("blob" + f), Filename: f, Status: "modified", Additions: 1, Deletions: 1,
			Changes: 2, BlobURL: htmlBase + "/" + repo + "/blob/" + sha + "/" + f, RawURL: htmlBase + "/" + repo + "/raw/" + sha + "/" + f})
	}
	return out
}

// handleCompare serves GET /compare/{basehead} ("base...head"): the
// comparison's status and counts, no commits (the client reads none), and
// at most 300 files, GitHub's cap.
func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request) {
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	s.locked(w, r, func(rs *repoState) (int, any) {
		if !ok || base == "" || head == "" {
			return http.StatusNotFound, apiErr("Not Found")
		}
		files, known := rs.compareLocked(base, head, s.compareRuns)
		if !known {
			return http.StatusNotFound, apiErr("Not Found")
		}
		status := "ahead"
		if base == head {
			status = "identical"
		}
		commit := func(sha string) repoCommitJSON {
			return repoCommitJSON{SHA: sha, NodeID: "C_" + sha[:min(len(sha), 10)], HTMLURL: htmlBase + "/" + rs.name + "/commit/" + sha}
		}
		return http.StatusOK, map[string]any{
			"url":         s.api + "/repos/" + rs.name + "/compare/" + base + "..." + head,
			"html_url":    htmlBase + "/" + rs.name + "/compare/" + base + "..." + head,
			"base_commit": commit(base), "merge_base_commit": commit(base),
			"status": status, "ahead_by": 1, "behind_by": 0, "total_commits": 1,
			"commits": []any{}, "files": diffEntries(rs.name, head, files[:min(len(files), maxCompareFiles)]),
		}
	})
}

// handlePullFiles serves GET /pulls/{n}/files, paginated (at most 100 a
// page) up to GitHub's cap of 3000 files.
func (s *Server) handlePullFiles(w http.ResponseWriter, r *http.Request) {
	s.locked(w, r, func(rs *repoState) (int, any) {
		p := s.pullOf(rs, r)
		if p == nil {
			return http.StatusNotFound, apiErr("Not Found")
		}
		// As on GitHub, the files' links name the head they were listed
		// at: the branch's head now, as GET /pulls/{n} says.
		head := p.HeadSHA
		if sha, ok := rs.branchLocked(p.Head); ok {
			head = sha
		}
		files := diffEntries(rs.name, head, p.Files[:min(len(p.Files), maxPullFiles)])
		return http.StatusOK, append([]diffEntryJSON{}, paginate(w, r, files)...)
	})
}

// pullRequestJSON is a run's pull_requests entry: GitHub's minimal form.
type pullRequestJSON struct {
	URL    string         `json:"url"`
	ID     int64          `json:"id"`
	Number int            `json:"number"`
	Head   pullRefMinJSON `json:"head"`
	Base   pullRefMinJSON `json:"base"`
}

type pullRefMinJSON struct {
	Ref  string `json:"ref"`
	SHA  string `json:"sha"`
	Repo struct {
		ID   int64  `json:"id"`
		URL  string `json:"url"`
		Name string `json:"name"`
	} `json:"repo"`
}

// runPulls renders the pull requests a run names from the run's own
// fields only: runJSON is called with and without the server lock.
func (s *Server) runPulls(repo string, r Run) []any {
	out := []any{}
	for _, n := range r.PullRequests {
		ref := func(branch, sha string) pullRefMinJSON {
			var p pullRefMinJSON
			p.Ref, p.SHA = branch, sha
			p.Repo.ID, p.Repo.URL, p.Repo.Name = stableID("repo:"+repo), s.api+"/repos/"+repo, repoName(repo)
			return p
		}
		out = append(out, pullRequestJSON{
			URL: s.api + "/repos/" + repo + "/pulls/" + strconv.Itoa(n), ID: stableID(repo + "#pull" + strconv.Itoa(n)),
			Number: n, Head: ref(r.HeadBranch, r.HeadSHA), Base: ref("main", fakeSHA("base"+repo)),
		})
	}
	return out
}
