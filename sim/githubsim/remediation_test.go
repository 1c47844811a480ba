package githubsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func send(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var e struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Message
}

func TestRerunFailedJobs(t *testing.T) {
	s := New(t)
	s.AddRun("acme/web", Run{ID: 1, Conclusion: "failure", Jobs: []Job{
		{ID: 10, Name: "lint", Conclusion: "success"},
		{ID: 11, Name: "test", Conclusion: "failure"},
	}})
	api := s.URL + "/api/v3/repos/acme/web/actions/runs/1"
	if code, msg := send(t, http.MethodPost, api+"/rerun-failed-jobs"); code != http.StatusCreated {
		t.Fatalf("rerun-failed-jobs: %d %s", code, msg)
	}
	run, _ := s.LatestRun("acme/web", 1)
	if run.Attempt != 2 || run.Status != "queued" || run.Jobs[0].ID != 10 || run.Jobs[1].ID == 11 || run.Jobs[1].Status != "queued" {
		t.Errorf("after re-run: %+v, want attempt 2 queued with only the failed job re-run", run)
	}
	if run.Actor != "octocat" || run.TriggeringActor != DefaultLogin {
		t.Errorf("re-run by actor %q, triggering actor %q: want the run's actor kept and the token's user as trigger",
			run.Actor, run.TriggeringActor)
	}
	if code, msg := send(t, http.MethodPost, api+"/rerun"); code != http.StatusForbidden || !strings.Contains(msg, "already running") {
		t.Errorf("re-run while running: %d %q, want 403", code, msg)
	}
	if code, _ := send(t, http.MethodPost, api+"/cancel"); code != http.StatusAccepted {
		t.Errorf("cancel running: %d, want 202", code)
	}
	if code, _ := send(t, http.MethodPost, api+"/cancel"); code != http.StatusConflict {
		t.Errorf("cancel completed: %d, want 409", code)
	}
	if err := s.FinishRun("acme/web", 1, "success"); err != nil {
		t.Fatal(err)
	}
	if code, msg := send(t, http.MethodPost, api+"/rerun-failed-jobs"); code != http.StatusForbidden {
		t.Errorf("re-run failed jobs of a green run: %d %q, want 403", code, msg)
	}
	if got := len(s.RequestsTo(RouteRerunFailedJobs)); got != 2 {
		t.Errorf("%d recorded rerun-failed-jobs requests, want 2", got)
	}
	code, _, body := get(t, api+"/jobs?filter=all", nil)
	var jobs struct {
		TotalCount int `json:"total_count"`
	}
	if err := json.Unmarshal(body, &jobs); err != nil || code != 200 || jobs.TotalCount != 4 {
		t.Errorf("jobs of all attempts: %d, %d jobs (%v), want 4", code, jobs.TotalCount, err)
	}
}

func TestCaches(t *testing.T) {
	s := New(t)
	a := s.AddCache("acme/web", Cache{Key: "npm-linux-abc", Ref: "refs/heads/main", SizeInBytes: 10})
	s.AddCache("acme/web", Cache{Key: "npm-linux-def", Ref: "refs/heads/dev"})
	c := s.AddCache("acme/web", Cache{Key: "go-linux", Ref: "refs/heads/main"})
	api := s.URL + "/api/v3/repos/acme/web/actions/caches"

	_, _, body := get(t, api+"?key=npm-", nil)
	var list struct {
		Caches []struct {
			ID  int64  `json:"id"`
			Key string `json:"key"`
		} `json:"actions_caches"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Caches) != 2 {
		t.Errorf("list by key prefix: %s (%v), want 2 caches", body, err)
	}
	if code, _ := send(t, http.MethodDelete, api+"?key=npm-linux-def&ref=refs/heads/main"); code != http.StatusNotFound {
		t.Errorf("delete with wrong ref: %d, want 404", code)
	}
	if code, _ := send(t, http.MethodDelete, api+"?key=npm-linux-abc"); code != http.StatusOK {
		t.Errorf("delete by key: %d, want 200", code)
	}
	if code, _ := send(t, http.MethodDelete, api+"/"+itoa(c.ID)); code != http.StatusNoContent {
		t.Errorf("delete by id: %d, want 204", code)
	}
	var keys []string
	for _, k := range s.Caches("acme/web") {
		keys = append(keys, k.Key)
	}
	if diff := cmp.Diff([]string{"npm-linux-def"}, keys); diff != "" || a.ID == 0 {
		t.Errorf("caches left (-want +got):\n%s", diff)
	}
}

func TestWorkflowRunEventBody(t *testing.T) {
	body := WorkflowRunEventBody("acme/web", Run{ID: 5, Conclusion: "failure", FromFork: true, Actor: "eve"}, "completed")
	var ev struct {
		Action      string `json:"action"`
		WorkflowRun struct {
			ID             int64  `json:"id"`
			Conclusion     string `json:"conclusion"`
			HeadRepository struct {
				FullName string `json:"full_name"`
				Fork     bool   `json:"fork"`
			} `json:"head_repository"`
		} `json:"workflow_run"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		Sender struct {
			Login string `json:"login"`
		} `json:"sender"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Action != "completed" || ev.WorkflowRun.ID != 5 || ev.WorkflowRun.Conclusion != "failure" ||
		ev.WorkflowRun.HeadRepository.FullName != "eve/web" || !ev.WorkflowRun.HeadRepository.Fork ||
		ev.Repository.FullName != "acme/web" || ev.Sender.Login != "eve" {
		t.Errorf("payload = %+v", ev)
	}
	if sig := SignWebhook([]byte("s"), body); !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 {
		t.Errorf("signature %q", sig)
	}
}

// GET /user is the token's user, the one a re-run names as its trigger.
func TestUserIsTheTokensLogin(t *testing.T) {
	s := New(t)
	s.SetLogin("ccm-bot-account")
	code, _, body := get(t, s.URL+"/api/v3/user", nil)
	var u userJSON
	if err := json.Unmarshal(body, &u); err != nil || code != http.StatusOK || u.Login != "ccm-bot-account" || u.Type != "User" {
		t.Fatalf("GET /user: %d %+v %v", code, u, err)
	}
}
