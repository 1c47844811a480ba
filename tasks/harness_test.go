package tasks_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/internal/logtest"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// harness is the pipeline on real parts: the GitHub fake behind the real
// client, the store on the test Redis (the real one when there is one, else
// the embedded one: see statetest), a real asynq queue on an embedded Redis,
// and the rule-based analyzer.
type harness struct {
	gh      *githubsim.Server
	client  *github.Client
	env     *statetest.Env
	store   *state.Store
	queue   *taskstest.Queue
	h       *tasks.Handlers
	deps    tasks.Deps
	metrics *metrics.Metrics
	logs    *logtest.Buffer
	cfg     *config.Config
}

const testRepo = "acme/web"

func newHarness(t testing.TB, analyzer tasks.Analyzer) *harness {
	t.Helper()
	gh := githubsim.New(t)
	gh.AddRepo(testRepo)
	client, err := github.New(github.Options{
		Token: "ghp_test", BaseURL: gh.URL, MaxAttempts: 3,
		InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	env := statetest.Open(t, state.Options{})
	logs := &logtest.Buffer{}
	cfg := configWith(time.Minute, testRepo)
	if analyzer == nil {
		analyzer = llm.Chain{}
	}
	h := &harness{gh: gh, client: client, env: env, store: env.Store, queue: taskstest.New(t),
		metrics: metrics.New(), logs: logs, cfg: cfg}
	h.deps = tasks.Deps{
		GitHub: client, Store: env.Store, Queue: h.queue.Client, Inspector: h.queue.Inspector, Analyzer: analyzer,
		Config: func() *config.Config { return h.cfg }, Metrics: h.metrics,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	h.h = tasks.NewHandlers(h.deps)
	return h
}

// failedRun adds a failed run with one failed job whose log is log.
func (h *harness) failedRun(t *testing.T, log string) githubsim.Run {
	t.Helper()
	return h.gh.AddRun(testRepo, githubsim.Run{
		Conclusion: "failure", Name: "CI", HeadBranch: "main", ChangedFiles: []string{"package.json"},
		Jobs: []githubsim.Job{
			{Name: "lint", Conclusion: "success", Steps: []githubsim.Step{{Number: 1, Name: "Run lint", Status: "completed", Conclusion: "success"}}},
			{Name: "test", Conclusion: "failure", Log: log, Steps: []githubsim.Step{
				{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
				{Number: 2, Name: "Run npm ci", Status: "completed", Conclusion: "failure"},
			}},
		},
	})
}

func ingestTask(t *testing.T, run githubsim.Run) *asynq.Task {
	t.Helper()
	task, err := tasks.NewIngestTask(tasks.IngestPayload{Repo: testRepo, RunID: run.ID, Attempt: max(run.Attempt, 1), Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func (h *harness) audit(t *testing.T, q state.AuditQuery) []state.AuditEntry {
	t.Helper()
	got, err := h.store.QueryAudit(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// npmLog is laid out like a real job log: the step's group holds its
// script, the output follows the group.
const npmLog = `2024-05-05T14:25:19.9000000Z ##[group]Run actions/checkout@v4
2024-05-05T14:25:20.0000000Z ##[endgroup]
2024-05-05T14:25:20.1000000Z ##[group]Run npm ci
2024-05-05T14:25:20.1000000Z npm ci
2024-05-05T14:25:20.1000000Z shell: /usr/bin/bash -e {0}
2024-05-05T14:25:20.2000000Z ##[endgroup]
2024-05-05T14:25:22.3000000Z npm error code ECONNRESET
2024-05-05T14:25:22.3000000Z npm error network aborted
2024-05-05T14:25:22.4000000Z npm error network This is a problem related to network connectivity.
2024-05-05T14:25:22.5000000Z ##[error]Process completed with exit code 1.
`

// ingested runs ccm:ingest for run's first attempt and returns its record.
func (h *harness) ingested(t *testing.T, run githubsim.Run) state.FailureRecord {
	t.Helper()
	if err := h.h.HandleIngest(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	return h.record(t, tasks.FailureID(testRepo, run.ID, 1))
}
