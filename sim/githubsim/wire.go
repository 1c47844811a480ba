package githubsim

import (
	"fmt"
	"strings"
)

// The types below are GitHub's REST wire format (field names from the
// REST reference), written out by hand rather than borrowed from a client
// library so the fake checks the client instead of agreeing with it.

// htmlBase is where html_url links point; GitHub renders github.com links
// even for API calls made against api.github.com.
const htmlBase = "https://github.com"

type userJSON struct {
	Login     string `json:"login"`
	ID        int64  `json:"id"`
	NodeID    string `json:"node_id"`
	AvatarURL string `json:"avatar_url"`
	HTMLURL   string `json:"html_url"`
	Type      string `json:"type"`
	SiteAdmin bool   `json:"site_admin"`
}

func user(login string) userJSON {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	id := stableID("user:" + login)
	return userJSON{
		Login: login, ID: id, NodeID: fmt.Sprintf("MDQ6VXNlcj%d", id),
		AvatarURL: fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id),
		HTMLURL:   htmlBase + "/" + login, Type: typ,
	}
}

type repoJSON struct {
	ID            int64    `json:"id"`
	NodeID        string   `json:"node_id"`
	Name          string   `json:"name"`
	FullName      string   `json:"full_name"`
	Private       bool     `json:"private"`
	Owner         userJSON `json:"owner"`
	HTMLURL       string   `json:"html_url"`
	Description   *string  `json:"description"`
	Fork          bool     `json:"fork"`
	URL           string   `json:"url"`
	DefaultBranch string   `json:"default_branch,omitempty"`
}

func (s *Server) repo(full string, fork bool) repoJSON {
	id := stableID("repo:" + full)
	return repoJSON{
		ID: id, NodeID: fmt.Sprintf("R_kgDO%d", id), Name: repoName(full), FullName: full,
		Owner: user(repoOwner(full)), HTMLURL: htmlBase + "/" + full, Fork: fork,
		URL: s.api + "/repos/" + full, DefaultBranch: "main",
	}
}

type commitJSON struct {
	ID        string    `json:"id"`
	TreeID    string    `json:"tree_id"`
	Message   string    `json:"message"`
	Timestamp ts        `json:"timestamp"`
	Author    personObj `json:"author"`
	Committer personObj `json:"committer"`
}

type personObj struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type runJSON struct {
	ID                  int64      `json:"id"`
	Name                string     `json:"name"`
	NodeID              string     `json:"node_id"`
	HeadBranch          string     `json:"head_branch"`
	HeadSHA             string     `json:"head_sha"`
	Path                string     `json:"path"`
	DisplayTitle        string     `json:"display_title"`
	RunNumber           int64      `json:"run_number"`
	Event               string     `json:"event"`
	Status              string     `json:"status"`
	Conclusion          *string    `json:"conclusion"`
	WorkflowID          int64      `json:"workflow_id"`
	CheckSuiteID        int64      `json:"check_suite_id"`
	CheckSuiteNodeID    string     `json:"check_suite_node_id"`
	URL                 string     `json:"url"`
	HTMLURL             string     `json:"html_url"`
	PullRequests        []any      `json:"pull_requests"`
	CreatedAt           ts         `json:"created_at"`
	UpdatedAt           ts         `json:"updated_at"`
	Actor               userJSON   `json:"actor"`
	RunAttempt          int        `json:"run_attempt"`
	ReferencedWorkflows []any      `json:"referenced_workflows"`
	RunStartedAt        ts         `json:"run_started_at"`
	TriggeringActor     userJSON   `json:"triggering_actor"`
	JobsURL             string     `json:"jobs_url"`
	LogsURL             string     `json:"logs_url"`
	CheckSuiteURL       string     `json:"check_suite_url"`
	ArtifactsURL        string     `json:"artifacts_url"`
	CancelURL           string     `json:"cancel_url"`
	RerunURL            string     `json:"rerun_url"`
	PreviousAttemptURL  *string    `json:"previous_attempt_url"`
	WorkflowURL         string     `json:"workflow_url"`
	HeadCommit          commitJSON `json:"head_commit"`
	Repository          repoJSON   `json:"repository"`
	HeadRepository      repoJSON   `json:"head_repository"`
}

func (s *Server) runJSON(repo string, r Run) runJSON {
	api := s.api + "/repos/" + repo + "/actions/runs/" + fmt.Sprint(r.ID)
	var prev *string
	if r.Attempt > 1 {
		p := fmt.Sprintf("%s/attempts/%d", api, r.Attempt-1)
		prev = &p
	}
	path := ".github/workflows/" + strings.ToLower(strings.ReplaceAll(r.Name, " ", "-")) + ".yml"
	author := personObj{Name: r.Actor, Email: r.Actor + "@users.noreply.github.com"}
	return runJSON{
		ID: r.ID, Name: r.Name, NodeID: fmt.Sprintf("WFR_kwLO%d", r.ID), HeadBranch: r.HeadBranch,
		HeadSHA: r.HeadSHA, Path: path, DisplayTitle: "Commit " + r.HeadSHA[:min(7, len(r.HeadSHA))],
		RunNumber: r.ID%10000 + 1, Event: r.Event, Status: r.Status, Conclusion: optional(r.Conclusion),
		WorkflowID: r.WorkflowID, CheckSuiteID: r.ID*10 + int64(r.Attempt),
		CheckSuiteNodeID: fmt.Sprintf("CS_kwDO%d", r.ID), URL: api,
		HTMLURL:      fmt.Sprintf("%s/%s/actions/runs/%d", htmlBase, repo, r.ID),
		PullRequests: s.runPulls(repo, r), CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt),
		Actor: user(r.Actor), RunAttempt: r.Attempt, ReferencedWorkflows: []any{},
		RunStartedAt: ts(r.RunStartedAt), TriggeringActor: user(r.TriggeringActor),
		JobsURL: api + "/jobs", LogsURL: api + "/logs",
		CheckSuiteURL: fmt.Sprintf("%s/repos/%s/check-suites/%d", s.api, repo, r.ID*10),
		ArtifactsURL:  api + "/artifacts", CancelURL: api + "/cancel", RerunURL: api + "/rerun",
		PreviousAttemptURL: prev,
		WorkflowURL:        fmt.Sprintf("%s/repos/%s/actions/workflows/%d", s.api, repo, r.WorkflowID),
		HeadCommit: commitJSON{
			ID: r.HeadSHA, TreeID: fakeSHA("tree" + r.HeadSHA), Message: "Update " + r.HeadBranch,
			Timestamp: ts(r.CreatedAt), Author: author, Committer: author,
		},
		Repository:     s.repo(repo, false),
		HeadRepository: s.repo(r.HeadRepo, r.HeadRepo != repo),
	}
}

type stepJSON struct {
	Name        string  `json:"name"`
	Status      string  `json:"status"`
	Conclusion  *string `json:"conclusion"`
	Number      int64   `json:"number"`
	StartedAt   ts      `json:"started_at"`
	CompletedAt ts      `json:"completed_at"`
}

type jobJSON struct {
	ID              int64      `json:"id"`
	RunID           int64      `json:"run_id"`
	WorkflowName    string     `json:"workflow_name"`
	HeadBranch      string     `json:"head_branch"`
	RunURL          string     `json:"run_url"`
	RunAttempt      int        `json:"run_attempt"`
	NodeID          string     `json:"node_id"`
	HeadSHA         string     `json:"head_sha"`
	URL             string     `json:"url"`
	HTMLURL         string     `json:"html_url"`
	Status          string     `json:"status"`
	Conclusion      *string    `json:"conclusion"`
	CreatedAt       ts         `json:"created_at"`
	StartedAt       ts         `json:"started_at"`
	CompletedAt     ts         `json:"completed_at"`
	Name            string     `json:"name"`
	Steps           []stepJSON `json:"steps"`
	CheckRunURL     string     `json:"check_run_url"`
	Labels          []string   `json:"labels"`
	RunnerID        int64      `json:"runner_id"`
	RunnerName      string     `json:"runner_name"`
	RunnerGroupID   int64      `json:"runner_group_id"`
	RunnerGroupName string     `json:"runner_group_name"`
}

func (s *Server) jobJSON(repo string, r Run, j Job) jobJSON {
	steps := make([]stepJSON, 0, len(j.Steps))
	for _, st := range j.Steps {
		steps = append(steps, stepJSON{
			Name: st.Name, Status: st.Status, Conclusion: optional(st.Conclusion), Number: st.Number,
			StartedAt: ts(j.StartedAt), CompletedAt: ts(j.CompletedAt),
		})
	}
	api := s.api + "/repos/" + repo
	return jobJSON{
		ID: j.ID, RunID: r.ID, WorkflowName: r.Name, HeadBranch: r.HeadBranch,
		RunURL: fmt.Sprintf("%s/actions/runs/%d", api, r.ID), RunAttempt: r.Attempt,
		NodeID: fmt.Sprintf("CR_kwDO%d", j.ID), HeadSHA: r.HeadSHA,
		URL:     fmt.Sprintf("%s/actions/jobs/%d", api, j.ID),
		HTMLURL: fmt.Sprintf("%s/%s/actions/runs/%d/job/%d", htmlBase, repo, r.ID, j.ID),
		Status:  j.Status, Conclusion: optional(j.Conclusion), CreatedAt: ts(r.CreatedAt),
		StartedAt: ts(j.StartedAt), CompletedAt: ts(j.CompletedAt), Name: j.Name, Steps: steps,
		CheckRunURL: fmt.Sprintf("%s/check-runs/%d", api, j.ID), Labels: []string{"ubuntu-latest"},
		RunnerID: stableID("runner:" + j.RunnerName), RunnerName: j.RunnerName,
		RunnerGroupID: 2, RunnerGroupName: "GitHub Actions",
	}
}

type cacheJSON struct {
	ID             int64  `json:"id"`
	Ref            string `json:"ref"`
	Key            string `json:"key"`
	Version        string `json:"version"`
	LastAccessedAt ts     `json:"last_accessed_at"`
	CreatedAt      ts     `json:"created_at"`
	SizeInBytes    int64  `json:"size_in_bytes"`
}

func cacheWire(c Cache) cacheJSON {
	return cacheJSON{
		ID: c.ID, Ref: c.Ref, Key: c.Key, Version: c.Version,
		LastAccessedAt: ts(c.LastAccessedAt), CreatedAt: ts(c.CreatedAt), SizeInBytes: c.SizeInBytes,
	}
}

// errorJSON is GitHub's error body.
type errorJSON struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status,omitempty"`
}
