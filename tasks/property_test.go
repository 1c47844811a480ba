package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestProperty02_CompleteFailureDetailsRetrieval checks Property 2:
// "For any detected workflow failure, the retrieved failure record should
// contain all required fields: logs, status, metadata, commit information,
// and branch details". Runs with random jobs, steps, branches, actors and
// logs go through the real client and ingest handler into the store.
func TestProperty02_CompleteFailureDetailsRetrieval(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		branch := rapid.StringMatching(`[a-z][a-z0-9/_-]{0,30}`).Draw(rt, "branch")
		actor := rapid.StringMatching(`[a-z][a-z0-9-]{0,20}`).Draw(rt, "actor")
		conclusion := rapid.SampledFrom([]string{"failure", "timed_out"}).Draw(rt, "conclusion")
		nJobs := rapid.IntRange(1, 4).Draw(rt, "jobs")
		var jobs []githubsim.Job
		failedJobs := 0
		for i := range nJobs {
			jc := rapid.SampledFrom([]string{"success", "failure", "timed_out", "skipped"}).Draw(rt, "job_conclusion")
			if i == nJobs-1 && failedJobs == 0 {
				jc = "failure"
			}
			if jc == "failure" || jc == "timed_out" {
				failedJobs++
			}
			line := rapid.StringMatching(`[A-Za-z][A-Za-z0-9 :._-]{5,60}`).Draw(rt, "error")
			jobs = append(jobs, githubsim.Job{
				Name: fmt.Sprintf("job-%d", i), Conclusion: jc,
				Steps: []githubsim.Step{{Number: 1, Name: "Run step", Status: "completed", Conclusion: jc}},
				Log:   "2024-01-01T00:00:00.0000000Z ##[group]Run step\n2024-01-01T00:00:01.0000000Z ##[error]" + line + "\n##[endgroup]\n",
			})
		}
		run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: conclusion, HeadBranch: branch, Actor: actor, Jobs: jobs})
		if err := h.h.HandleIngest(ctx, ingestTask(t, run)); err != nil {
			rt.Fatal(err)
		}
		rec, err := h.store.GetFailure(ctx, tasks.FailureID(testRepo, run.ID, 1))
		if err != nil {
			rt.Fatal(err)
		}
		missing := []string{}
		check := func(name string, ok bool) {
			if !ok {
				missing = append(missing, name)
			}
		}
		check("status", rec.Status == state.StatusDetected)
		check("repo", rec.Repo == testRepo)
		check("run id", rec.RunID == run.ID && rec.RunAttempt == 1)
		check("run url", strings.Contains(rec.RunURL, fmt.Sprint(run.ID)))
		check("workflow", rec.Workflow != "")
		check("branch", rec.Branch == branch)
		check("commit", rec.CommitSHA == run.HeadSHA && rec.CommitSHA != "")
		check("actor", rec.Actor == actor)
		check("failed jobs", len(rec.FailedJobs) == failedJobs)
		check("reason", rec.FailureReason != "")
		check("log excerpt", rec.LogExcerpt != "" && !rec.LogUnavailable)
		check("fingerprint", rec.Fingerprint != "")
		check("timestamps", !rec.DetectedAt.IsZero() && !rec.UpdatedAt.IsZero() && !rec.RunUpdatedAt.IsZero())
		if len(missing) > 0 {
			rt.Fatalf("record lacks %v: %+v", missing, rec)
		}
	})
}

// failRun injects f into both ways of reading a run (latest or attempt).
func failRun(h *harness, f githubsim.Fault) {
	h.gh.FailNext(githubsim.RouteGetRun, f)
	h.gh.FailNext(githubsim.RouteGetAttempt, f)
}

// TestProperty42_ErrorCatchingAndLogging checks Property 42:
// "For any error occurring in any component, the error should be caught
// and logged with full context". Random GitHub failures and poison
// payloads go through the real mux: no panic escapes, every error comes
// back to asynq wrapped with the task's subject, the log line carries the
// task type, and errors that end a task are in the audit stream: a new
// entry holding that error, that task, and (when the payload names one) the
// failure it was about.
func TestProperty42_ErrorCatchingAndLogging(t *testing.T) {
	h := newHarness(t, nil)
	mux := h.h.Mux()
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		h.gh.ClearFaults()
		kind := rapid.SampledFrom([]string{"404", "401", "500", "garbage", "poison", "disconnect"}).Draw(rt, "kind")
		run := h.failedRun(t, npmLog)
		task := ingestTask(t, run)
		switch kind {
		case "404":
			failRun(h, githubsim.Fault{Status: http.StatusNotFound, Body: `{"message":"Not Found"}`})
		case "401":
			failRun(h, githubsim.Fault{Status: http.StatusUnauthorized, Body: `{"message":"Bad credentials"}`})
		case "500":
			failRun(h, githubsim.Fault{Status: 500, Count: -1})
		case "garbage":
			failRun(h, githubsim.Fault{Status: 200, Body: `{"id": "not a number`, Count: -1})
		case "disconnect":
			h.gh.FailNext(githubsim.RouteListJobs, githubsim.Fault{Disconnect: true, Count: -1})
			h.gh.FailNext(githubsim.RouteListAttemptJobs, githubsim.Fault{Disconnect: true, Count: -1})
		case "poison":
			task = asynq.NewTask(tasks.TypeIngest, []byte(rapid.StringMatching(`[{}\[\]a-z":,]{0,20}`).Draw(rt, "payload")))
			if json.Valid(task.Payload()) {
				task = asynq.NewTask(tasks.TypeIngest, []byte("{"))
			}
		}
		// The audit is shared by every iteration, so "some error entry"
		// proves nothing: the one checked below must be newer than this,
		// and be this error.
		prev := ""
		if evs := h.audit(t, state.AuditQuery{ActionType: state.ActionError, Limit: 1}); len(evs) > 0 {
			prev = evs[0].ID
		}
		before := len(h.logs.String())
		err := mux.ProcessTask(ctx, task)
		if err == nil {
			rt.Fatalf("%s: no error returned", kind)
		}
		id := tasks.FailureID(testRepo, run.ID, 1)
		if kind != "poison" && !strings.Contains(err.Error(), id) {
			rt.Fatalf("%s: error %q does not name the failure %s", kind, err, id)
		}
		logged := h.logs.String()[before:]
		if !strings.Contains(logged, `"task_type":"ccm:ingest"`) || !strings.Contains(logged, `"level":"WARN"`) {
			rt.Fatalf("%s: error not logged with its task type:\n%s", kind, logged)
		}
		final := errors.Is(err, asynq.SkipRetry)
		if kind == "poison" || kind == "404" || kind == "401" {
			if !final {
				rt.Fatalf("%s: error %q would be retried; it can never succeed", kind, err)
			}
		}
		if final {
			// The handler may have audited it itself (an alerted error);
			// else asynq's error handler does.
			h.h.HandleError(ctx, task, err)
			evs := h.audit(t, state.AuditQuery{ActionType: state.ActionError, Limit: 1})
			if len(evs) == 0 || evs[0].ID == prev {
				rt.Fatalf("%s: final error not audited", kind)
			}
			// Its error is the one returned, or the cause inside it when the
			// handler audited before wrapping it with the task's subject.
			ev := evs[0]
			if ev.Error == "" || !strings.Contains(err.Error(), ev.Error) {
				rt.Fatalf("%s: newest error entry is not this error %q:\n%+v", kind, err, ev)
			}
			if kind == "poison" {
				// No failure to name: the payload is the context.
				if ev.Details["payload"] != string(task.Payload()) {
					rt.Fatalf("poison: newest error entry does not hold the payload %q:\n%+v", task.Payload(), ev)
				}
			} else {
				byID := h.audit(t, state.AuditQuery{ActionType: state.ActionError, FailureID: id})
				if len(byID) != 1 || byID[0].ID != ev.ID || byID[0].Repo != testRepo {
					rt.Fatalf("%s: error entries for %s = %+v, want only the newest one, on %s", kind, id, byID, testRepo)
				}
			}
		}
	})
}
