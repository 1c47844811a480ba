// Package httpapi serves ccm's HTTP side: /healthz, /readyz, Prometheus
// /metrics and the GitHub webhook receiver. It holds no pipeline logic: a
// verified webhook becomes an ingest task (a failed run) or a recheck task
// (a run that started) and nothing more.
package httpapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// maxWebhookBody is GitHub's own cap on webhook payloads.
const maxWebhookBody = 25 << 20

// runIndexTimeout bounds the run index write of one delivery (GitHub
// waits 10 s for the whole answer).
const runIndexTimeout = 500 * time.Millisecond

// Check is one readiness probe (Redis, asynq).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Server is the HTTP side.
type Server struct {
	Checks        []Check
	Metrics       *metrics.Metrics
	Queue         tasks.Enqueuer // nil: this process does not accept webhooks
	WebhookSecret []byte
	Config        func() *config.Config
	Logger        *slog.Logger
	// Runs, when set, keeps every delivered run of a watched repository
	// (any action, any conclusion) in ccm's run index, where the ingest
	// finds a push's previous run without asking GitHub.
	Runs RunIndex
}

// RunIndex is state.Store's run index.
type RunIndex interface {
	NoteRuns(ctx context.Context, repo string, runs []state.RunRef, fromWebhook bool) error
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.ready)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("POST /webhooks/github", s.webhook)
	return mux
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := http.StatusOK
	var body strings.Builder
	for _, c := range s.Checks {
		if err := c.Fn(ctx); err != nil {
			status = http.StatusServiceUnavailable
			fmt.Fprintf(&body, "%s: %v\n", c.Name, err)
			s.log().Warn("readiness check failed", "check", c.Name, "err", err)
			continue
		}
		fmt.Fprintf(&body, "%s: ok\n", c.Name)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body.String())
}

// webhook accepts signed workflow_run deliveries. Polling stays on as the
// reconciler, so a delivery that is lost or rejected here is caught at the
// next poll; this path only makes detection take seconds instead of minutes.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	log := s.log().With("delivery", r.Header.Get("X-GitHub-Delivery"))
	if len(s.WebhookSecret) == 0 || s.Queue == nil {
		s.count("rejected")
		http.Error(w, "webhooks are off in this process: they need the bot role, GITHUB_WEBHOOK_SECRET and webhook.enabled (the start-up log says which is missing)", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		s.count("rejected")
		http.Error(w, "read body: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	if err := github.VerifySignature(s.WebhookSecret, body, r.Header.Get("X-Hub-Signature-256")); err != nil {
		s.count("rejected")
		log.Warn("webhook signature rejected", "err", err)
		http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	switch r.Header.Get("X-GitHub-Event") {
	case "ping":
		s.count("ignored")
		_, _ = io.WriteString(w, "pong\n")
		return
	case "workflow_run":
	default:
		s.count("ignored")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "ignored: only workflow_run events are used\n")
		return
	}
	ev, err := github.ParseWorkflowRunEvent(body)
	if err != nil {
		s.count("rejected")
		http.Error(w, "parse workflow_run: "+err.Error(), http.StatusBadRequest)
		return
	}
	cfg := s.Config()
	repo := cfg.For(ev.Repo)
	log = log.With("repo", repo.Repo, "run_id", ev.Run.ID)
	if repo.Watched && s.Runs != nil {
		// Before the action's own handling: a run's predecessor is any
		// run, passed or not, and each of its three deliveries (requested,
		// in_progress, completed) is a chance to learn it.
		// Bounded: a best-effort write must not hold the delivery while
		// Redis is away (the store's client retries for longer), so the
		// enqueue below answers 503 at once and GitHub redelivers.
		ictx, cancel := context.WithTimeout(r.Context(), runIndexTimeout)
		err := s.Runs.NoteRuns(ictx, repo.Repo, []state.RunRef{tasks.RunRef(ev.Run)}, true)
		cancel()
		if err != nil {
			// A run missing from the index costs its successor's ingest a
			// call, or widens its comparison; the delivery is still used.
			log.Warn("run index not updated", "err", err)
		}
	}
	if repo.Watched && ev.Action == "requested" {
		s.recheck(w, r, repo.Repo, ev)
		return
	}
	if !ev.Failed() || !repo.Watched {
		s.count("ignored")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "ignored: not a failed run of a watched repository\n")
		return
	}
	// The config's spelling of the name, not GitHub's: failure IDs must
	// not depend on which path (poll or webhook) saw the run first.
	err = tasks.EnqueueIngest(r.Context(), s.Queue, cfg, tasks.IngestPayload{Repo: repo.Repo, RunID: ev.Run.ID, Attempt: ev.Run.Attempt, Source: "webhook", Run: &ev.Run})
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		s.count("rejected")
		log.Error("enqueue webhook ingest", "err", err)
		// 5xx makes GitHub show the delivery as failed, for redelivery. The
		// body names the failure but not the cause: it is shown to whoever
		// reads the repository's webhook deliveries, and the cause (a Redis
		// address, say) is for the operator's log.
		id := tasks.FailureID(repo.Repo, ev.Run.ID, ev.Run.Attempt)
		http.Error(w, "could not queue "+id+"; redeliver later (the cause is in ccm's log)", http.StatusServiceUnavailable)
		return
	}
	s.count("enqueued")
	log.Info("webhook: failed run enqueued", "failure_id", tasks.FailureID(repo.Repo, ev.Run.ID, max(ev.Run.Attempt, 1)))
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "enqueued\n")
}

// recheck hands a run or attempt that just started (a push's run, or a
// re-run) to ccm:recheck, which expires the pending approval requests it
// makes obsolete. Each attempt starts once, so this is one task per
// attempt; a failure is then ingested from its "completed" delivery.
func (s *Server) recheck(w http.ResponseWriter, r *http.Request, repo string, ev github.WorkflowRunEvent) {
	p := tasks.RecheckPayload{Repo: repo, RunID: ev.Run.ID, Attempt: ev.Run.Attempt, Branch: ev.Run.HeadBranch,
		HeadSHA: ev.Run.HeadSHA, Actor: cmp.Or(ev.Run.TriggeringActor, ev.Run.Actor)}
	id := tasks.FailureID(repo, ev.Run.ID, max(ev.Run.Attempt, 1))
	log := s.log().With("repo", repo, "run_id", ev.Run.ID, "failure_id", id)
	task, err := tasks.NewRecheckTask(p)
	if err == nil {
		_, err = s.Queue.EnqueueContext(r.Context(), task)
	}
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		s.count("rejected")
		log.Error("enqueue webhook recheck", "err", err)
		http.Error(w, "could not queue the recheck of "+id+"; redeliver later (the cause is in ccm's log)", http.StatusServiceUnavailable)
		return
	}
	s.count("enqueued")
	log.Debug("webhook: run requested; pending approvals rechecked")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "enqueued recheck\n")
}

func (s *Server) count(outcome string) {
	if s.Metrics != nil {
		s.Metrics.WebhookDeliveries.WithLabelValues(outcome).Inc()
	}
}

func (s *Server) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
