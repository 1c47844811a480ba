package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/httpapi"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

var secret = []byte("It's a Secret to Everybody")

func newServer(t *testing.T) (*httptest.Server, *taskstest.Queue, *metrics.Metrics) {
	t.Helper()
	q := taskstest.New(t)
	cfg := config.Default()
	cfg.Repositories = []config.Repo{{Name: "acme/web"}}
	m := metrics.New()
	s := &httpapi.Server{
		Checks:  []httpapi.Check{{Name: "redis", Fn: func(context.Context) error { return nil }}},
		Metrics: m, Queue: q.Client, WebhookSecret: secret,
		Config: func() *config.Config { return cfg },
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, q, m
}

func post(t *testing.T, url, event string, body []byte, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/github", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWebhook(t *testing.T) {
	failed := githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 42, Attempt: 2, Conclusion: "failure"}, "completed")
	passed := githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 43, Conclusion: "success"}, "completed")
	requested := githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 44, Attempt: 3, Status: "queued"}, "requested")
	running := githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 44, Status: "in_progress"}, "in_progress")
	requestedElsewhere := githubsim.WorkflowRunEventBody("other/repo", githubsim.Run{ID: 46, Status: "queued"}, "requested")
	elsewhere := githubsim.WorkflowRunEventBody("other/repo", githubsim.Run{ID: 45, Conclusion: "failure"}, "completed")
	upper := githubsim.WorkflowRunEventBody("Acme/Web", githubsim.Run{ID: 42, Attempt: 2, Conclusion: "failure"}, "completed")
	sign := func(b []byte) string { return githubsim.SignWebhook(secret, b) }
	tests := []struct {
		name        string
		event       string
		body        []byte
		sig         string
		wantStatus  int
		wantIngest  bool
		wantRecheck bool
	}{
		{name: "valid failed run", event: "workflow_run", body: failed, sig: sign(failed), wantStatus: 202, wantIngest: true},
		{name: "repository spelled otherwise by GitHub", event: "workflow_run", body: upper, sig: sign(upper), wantStatus: 202, wantIngest: true},
		{name: "wrong signature", event: "workflow_run", body: failed, sig: githubsim.SignWebhook([]byte("nope"), failed), wantStatus: 401},
		{name: "missing signature", event: "workflow_run", body: failed, wantStatus: 401},
		{name: "malformed signature", event: "workflow_run", body: failed, sig: "sha1=abc", wantStatus: 401},
		{name: "body altered after signing", event: "workflow_run", body: append(bytes.Clone(failed), ' '), sig: sign(failed), wantStatus: 401},
		{name: "successful run ignored", event: "workflow_run", body: passed, sig: sign(passed), wantStatus: 202},
		{name: "run not completed ignored", event: "workflow_run", body: running, sig: sign(running), wantStatus: 202},
		{name: "run requested: pending approvals rechecked", event: "workflow_run", body: requested, sig: sign(requested), wantStatus: 202, wantRecheck: true},
		{name: "run requested in an unwatched repository ignored", event: "workflow_run", body: requestedElsewhere, sig: sign(requestedElsewhere), wantStatus: 202},
		{name: "unwatched repository ignored", event: "workflow_run", body: elsewhere, sig: sign(elsewhere), wantStatus: 202},
		{name: "ping", event: "ping", body: []byte(`{"zen":"Keep it logically awesome."}`), sig: sign([]byte(`{"zen":"Keep it logically awesome."}`)), wantStatus: 200},
		{name: "other event ignored", event: "push", body: []byte(`{}`), sig: sign([]byte(`{}`)), wantStatus: 202},
		{name: "garbage JSON", event: "workflow_run", body: []byte(`{"action":`), sig: sign([]byte(`{"action":`)), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, q, _ := newServer(t)
			status, body := post(t, srv.URL, tt.event, tt.body, tt.sig)
			if status != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", status, body, tt.wantStatus)
			}
			ingests := q.Pending(t, tasks.QueueDefault, tasks.TypeIngest)
			if tt.wantIngest != (len(ingests) == 1) || len(ingests) > 1 {
				t.Fatalf("ingest tasks = %d, want ingest %v", len(ingests), tt.wantIngest)
			}
			if tt.wantIngest && ingests[0].ID != "ingest:acme/web#42.2" {
				t.Errorf("task ID = %q, want ingest:acme/web#42.2", ingests[0].ID)
			}
			rechecks := q.Pending(t, tasks.QueueCritical, tasks.TypeRecheck)
			if tt.wantRecheck != (len(rechecks) == 1) || len(rechecks) > 1 {
				t.Fatalf("recheck tasks = %d, want recheck %v", len(rechecks), tt.wantRecheck)
			}
			if tt.wantRecheck && rechecks[0].ID != "recheck:acme/web#44.3" {
				t.Errorf("task ID = %q, want recheck:acme/web#44.3", rechecks[0].ID)
			}
		})
	}
}

func TestWebhookRedeliveryEnqueuesOnce(t *testing.T) {
	srv, q, _ := newServer(t)
	body := githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 42, Conclusion: "failure"}, "completed")
	for range 3 {
		if status, msg := post(t, srv.URL, "workflow_run", body, githubsim.SignWebhook(secret, body)); status != 202 {
			t.Fatalf("status %d: %s", status, msg)
		}
	}
	if n := len(q.Pending(t, tasks.QueueDefault, tasks.TypeIngest)); n != 1 {
		t.Fatalf("ingest tasks after 3 deliveries = %d, want 1", n)
	}
}

func TestWebhookDisabledWithoutSecret(t *testing.T) {
	s := &httpapi.Server{Config: config.Default}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	body := []byte(`{}`)
	if status, _ := post(t, srv.URL, "workflow_run", body, githubsim.SignWebhook(nil, body)); status != http.StatusNotFound {
		t.Fatalf("status %d, want 404 when no secret is configured", status)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	broken := false
	m := metrics.New()
	s := &httpapi.Server{Metrics: m, Config: config.Default, Checks: []httpapi.Check{
		{Name: "redis", Fn: func(context.Context) error {
			if broken {
				return errors.New("connection refused")
			}
			return nil
		}},
	}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, "redis: ok") {
		t.Errorf("/readyz = %d %q", code, body)
	}
	broken = true
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("/readyz with Redis down = %d %q, want 503 naming the error", code, body)
	}
	m.FailuresDetected.WithLabelValues("acme/web").Inc()
	m.GitHubRequests.WithLabelValues("200").Inc()
	m.GitHubRateLimit.Set(4999)
	m.TasksProcessed.WithLabelValues("ccm:ingest", "success").Inc()
	_, body := get("/metrics")
	for _, want := range []string{
		`ccm_failures_detected_total{repo="acme/web"} 1`,
		`ccm_github_requests_total{code="200"} 1`,
		`ccm_github_rate_limit_remaining 4999`,
		`ccm_tasks_processed_total{outcome="success",type="ccm:ingest"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// failingQueue is a queue whose Redis is down.
type failingQueue struct{}

func (failingQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("dial tcp: connection refused")
}

// The webhook enqueues through tasks.EnqueueIngest, like the poll: the
// configured dedup window keeps the task ID, and a queue failure is a 503
// (GitHub marks the delivery failed, for redelivery) naming the failure.
func TestWebhookEnqueuesLikeThePoll(t *testing.T) {
	cfg := config.Default()
	cfg.Repositories = []config.Repo{{Name: "acme/web"}}
	cfg.DedupWindow = 96 * time.Hour
	q := taskstest.New(t)
	body := githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 42, Conclusion: "failure"}, "completed")
	for _, tt := range []struct {
		name       string
		queue      tasks.Enqueuer
		wantStatus int
		wantBody   string
		notBody    string // the cause stays in the log, not in GitHub's delivery page
	}{
		{name: "enqueued", queue: q.Client, wantStatus: http.StatusAccepted, wantBody: "enqueued"},
		{name: "queue down", queue: failingQueue{}, wantStatus: http.StatusServiceUnavailable, wantBody: "could not queue acme/web#42.1", notBody: "dial tcp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &httpapi.Server{Queue: tt.queue, WebhookSecret: secret, Config: func() *config.Config { return cfg }}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			status, msg := post(t, srv.URL, "workflow_run", body, githubsim.SignWebhook(secret, body))
			if status != tt.wantStatus || !strings.Contains(msg, tt.wantBody) {
				t.Fatalf("status %d %q, want %d %q", status, msg, tt.wantStatus, tt.wantBody)
			}
			if tt.notBody != "" && strings.Contains(msg, tt.notBody) {
				t.Fatalf("body %q leaks %q", msg, tt.notBody)
			}
		})
	}
	info, err := q.Inspector.GetTaskInfo(tasks.QueueDefault, "ingest:acme/web#42.1")
	if err != nil {
		t.Fatal(err)
	}
	if info.Retention != tasks.DedupRetention(cfg) {
		t.Errorf("retention %s, want the dedup window %s", info.Retention, tasks.DedupRetention(cfg))
	}
	// The delivery's run rides along, so ingest does not ask GitHub for
	// it again.
	var p tasks.IngestPayload
	if err := json.Unmarshal(info.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Run == nil || p.Run.ID != 42 || p.Run.Conclusion != "failure" || p.Run.Status != "completed" {
		t.Errorf("ingest payload run %+v, want the delivery's run 42, completed, failure", p.Run)
	}
}

// runIndex records what the webhook notes in ccm's run index.
type runIndex struct {
	runs []state.RunRef
	err  error
}

func (x *runIndex) NoteRuns(_ context.Context, repo string, runs []state.RunRef, fromWebhook bool) error {
	if repo != "acme/web" || !fromWebhook {
		return fmt.Errorf("noted %s fromWebhook=%v, want acme/web from a webhook", repo, fromWebhook)
	}
	x.runs = append(x.runs, runs...)
	return x.err
}

// TestWebhookNotesEveryRun: every workflow_run delivery of a watched
// repository — passed, still running, just requested — goes to the run
// index, where an ingest finds a push's previous run without asking
// GitHub; an unwatched repository's do not, and an index that cannot be
// written does not cost the delivery.
func TestWebhookNotesEveryRun(t *testing.T) {
	cfg := config.Default()
	cfg.Repositories = []config.Repo{{Name: "acme/web"}}
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name       string
		repo       string
		run        githubsim.Run
		action     string
		indexErr   error
		wantNoted  bool
		wantStatus int
	}{
		{name: "a passing run", repo: "acme/web", run: githubsim.Run{ID: 1, Conclusion: "success"}, action: "completed", wantNoted: true, wantStatus: http.StatusAccepted},
		{name: "a run just requested", repo: "acme/web", run: githubsim.Run{ID: 2, Status: "queued"}, action: "requested", wantNoted: true, wantStatus: http.StatusAccepted},
		{name: "a run in progress", repo: "acme/web", run: githubsim.Run{ID: 3, Status: "in_progress"}, action: "in_progress", wantNoted: true, wantStatus: http.StatusAccepted},
		{name: "a failed run", repo: "acme/web", run: githubsim.Run{ID: 4, Conclusion: "failure"}, action: "completed", wantNoted: true, wantStatus: http.StatusAccepted},
		{name: "index down: the failure is still enqueued", repo: "acme/web", run: githubsim.Run{ID: 5, Conclusion: "failure"}, action: "completed",
			indexErr: errors.New("redis down"), wantNoted: true, wantStatus: http.StatusAccepted},
		{name: "an unwatched repository", repo: "other/repo", run: githubsim.Run{ID: 6, Conclusion: "success"}, action: "completed", wantStatus: http.StatusAccepted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := taskstest.New(t)
			idx := &runIndex{err: tt.indexErr}
			s := &httpapi.Server{Queue: q.Client, WebhookSecret: secret, Config: func() *config.Config { return cfg }, Runs: idx}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			tt.run.CreatedAt = created
			body := githubsim.WorkflowRunEventBody(tt.repo, tt.run, tt.action)
			status, msg := post(t, srv.URL, "workflow_run", body, githubsim.SignWebhook(secret, body))
			if status != tt.wantStatus {
				t.Fatalf("status %d %q, want %d", status, msg, tt.wantStatus)
			}
			if tt.run.Conclusion == "failure" && !strings.Contains(msg, "enqueued") {
				t.Errorf("a failed run's delivery answered %q, want it enqueued whatever the index", msg)
			}
			if !tt.wantNoted {
				if len(idx.runs) != 0 {
					t.Errorf("noted %+v, want nothing", idx.runs)
				}
				return
			}
			if len(idx.runs) != 1 {
				t.Fatalf("noted %+v, want the delivered run", idx.runs)
			}
			got := idx.runs[0]
			if got.RunID != tt.run.ID || got.WorkflowID == 0 || got.Branch == "" || got.Event != "push" || got.HeadSHA == "" || !got.CreatedAt.Equal(created) {
				t.Errorf("noted %+v, want run %d with its workflow, branch, event, head and creation time", got, tt.run.ID)
			}
		})
	}
}
