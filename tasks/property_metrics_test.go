package tasks_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// stepClock is a clock that moves on by step each time it is read, so
// every stage of the pipeline takes a measurable time.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// A processed failure: how it went through the real handlers.
type flow struct {
	id       string
	mode     config.Mode
	decision string // approve mode: "approve" or "reject"
	conclude string // the re-run's new attempt: success or failure
	lag      time.Duration
	final    state.FailureRecord
}

var flowN atomic.Int64

// pipelineHarness is the harness with its handlers on a stepping clock.
func pipelineHarness(t *testing.T) (*harness, *stepClock) {
	h := newHarness(t, nil)
	// Every flow fails the same way; incidents (one fingerprint failing
	// widely pauses the unattended path) are not what these properties
	// are about.
	h.cfg.Incident.Repositories, h.cfg.Incident.Runs = 1_000_000, 1_000_000
	clock := &stepClock{t: time.Now().UTC(), step: time.Millisecond}
	h.deps.Now = clock.now
	h.h = tasks.NewHandlers(h.deps)
	return h, clock
}

// drawFlow takes a new failed run (a transient npm registry error on a
// docs-only push after a passing run, so the gate can let it through) on
// its own branch through ingest, analysis and the gate; in approve mode a
// person approves or rejects; an approved or auto failure is remediated
// (one re-run) and verified against the new attempt's conclusion. Every
// handler is the real one, called directly.
func drawFlow(rt *rapid.T, h *harness, clock *stepClock) flow {
	ctx := context.Background()
	f := flow{
		mode:     rapid.SampledFrom([]config.Mode{config.ModeAuto, config.ModeApprove}).Draw(rt, "mode"),
		conclude: rapid.SampledFrom([]string{"success", "failure"}).Draw(rt, "conclude"),
		lag:      time.Duration(rapid.IntRange(1, 600_000).Draw(rt, "detection_lag_ms")) * time.Millisecond,
	}
	step := time.Duration(rapid.IntRange(1, 2000).Draw(rt, "clock_step_ms")) * time.Millisecond
	clock.mu.Lock()
	clock.step = step
	start := clock.t
	clock.mu.Unlock()
	h.cfg.Mode = f.mode
	branch := fmt.Sprintf("flow-%d", flowN.Add(1))
	prev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: branch,
		CreatedAt: start.Add(-f.lag - time.Hour), UpdatedAt: start.Add(-f.lag - time.Hour)})
	run := h.gh.AddRun(testRepo, githubsim.Run{
		Conclusion: "failure", Name: "CI", HeadBranch: branch, ChangedFiles: []string{"README.md"},
		CreatedAt: start.Add(-f.lag - time.Minute), UpdatedAt: start.Add(-f.lag),
		Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: npmLog, Steps: []githubsim.Step{
			{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
			{Number: 2, Name: "Run npm ci", Status: "completed", Conclusion: "failure"},
		}}},
	})
	h.gh.SetCompare(testRepo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	h.gh.ScriptAttempts(testRepo, run.ID, 0, f.conclude)
	f.id = tasks.FailureID(testRepo, run.ID, 1)

	ingest, err := tasks.NewIngestTask(tasks.IngestPayload{Repo: testRepo, RunID: run.ID, Attempt: 1, Source: "test"})
	if err != nil {
		rt.Fatal(err)
	}
	for _, step := range []struct {
		name string
		run  func() error
	}{
		{"ingest", func() error { return h.h.HandleIngest(ctx, ingest) }},
		{"analyze", func() error { return h.h.HandleAnalyze(ctx, mustTask(tasks.NewAnalyzeTask(f.id))) }},
		{"gate", func() error { return h.h.HandleGate(ctx, mustTask(tasks.NewGateTask(f.id))) }},
	} {
		if err := step.run(); err != nil {
			rt.Fatalf("%s: %v", step.name, err)
		}
	}
	rec := h.record(rt, f.id)
	want := map[config.Mode]state.Status{config.ModeAuto: state.StatusAnalyzed, config.ModeApprove: state.StatusAwaitingApproval}[f.mode]
	if rec.Status != want && !(f.mode == config.ModeAuto && rec.Status == state.StatusRemediating) {
		rt.Fatalf("after the gate in %s mode: %s (gate %+v), want %s", f.mode, rec.Status, rec.Gate, want)
	}
	if rec.Status == state.StatusAwaitingApproval {
		a, err := h.store.ApprovalForFailure(ctx, f.id)
		if err != nil {
			rt.Fatal(err)
		}
		actor := rapid.StringMatching(`U[A-Z0-9]{4,8}`).Draw(rt, "approver")
		f.decision = rapid.SampledFrom([]string{"approve", "reject"}).Draw(rt, "decision")
		if f.decision == "approve" {
			_, err = h.h.Approve(ctx, a.ID, actor)
		} else {
			_, err = h.h.Reject(ctx, a.ID, actor, "not now")
		}
		if err != nil {
			rt.Fatal(err)
		}
	}
	if f.decision != "reject" {
		if err := h.h.HandleRemediate(ctx, remediateTask(rt, f.id)); err != nil {
			rt.Fatalf("remediate: %v", err)
		}
		if h.record(rt, f.id).Status == state.StatusRemediating {
			if err := h.h.HandleVerify(ctx, verifyTask(rt, f.id, 0)); err != nil {
				rt.Fatalf("verify: %v", err)
			}
		}
	}
	f.final = h.record(rt, f.id)
	return f
}

// remediated reports whether the flow executed a remediation.
func (f flow) remediated() bool { return f.decision != "reject" }

func metricsOf(rt *rapid.T, h *harness, id string) state.MetricsRecord {
	m, err := h.store.Metrics(context.Background(), id)
	if err != nil {
		rt.Fatalf("metrics of %s: %v", id, err)
	}
	return m
}

// TestProperty37_TimingMetricsRecording: "For any processed failure,
// metrics should be recorded including detection time, analysis time, and
// remediation time". Any failure processed by the real handlers (auto or
// approve mode, approved or rejected, the re-run passing or not; GitHub's
// run finished any time before ccm saw it; each stage taking any time) has
// one metrics record with its detection time (at least the time between
// the run's update and the detection), its analysis time, its risk score
// and category, and, once remediated, its remediation and total times:
// all positive, the total covering the others.
func TestProperty37_TimingMetricsRecording(t *testing.T) {
	h, clock := pipelineHarness(t)
	rapid.Check(t, func(rt *rapid.T) {
		f := drawFlow(rt, h, clock)
		m := metricsOf(rt, h, f.id)
		if m.FailureID != f.id || m.Repo != testRepo {
			rt.Fatalf("metrics record %+v for %s", m, f.id)
		}
		if m.DetectionLatencyMS < f.lag.Milliseconds() {
			rt.Fatalf("detection time %d ms, but the run had finished %v before ccm detected it", m.DetectionLatencyMS, f.lag)
		}
		if m.AnalysisLatencyMS <= 0 || m.RiskScore == nil || m.Category == "" {
			rt.Fatalf("analysis metrics missing: %+v", m)
		}
		if f.final.Analysis != nil && (*m.RiskScore != f.final.Analysis.RiskScore || m.Category != string(f.final.Analysis.Category)) {
			rt.Fatalf("metrics risk %d / %s, analysis %d / %s", *m.RiskScore, m.Category, f.final.Analysis.RiskScore, f.final.Analysis.Category)
		}
		if !f.remediated() {
			if m.RemediationLatencyMS != 0 || m.RemediationSuccess != nil {
				rt.Fatalf("a rejected failure has remediation metrics: %+v", m)
			}
			return
		}
		if m.RemediationLatencyMS <= 0 || m.TotalLatencyMS <= 0 {
			rt.Fatalf("remediation timing missing: %+v (final %s)", m, f.final.Status)
		}
		if m.TotalLatencyMS < m.RemediationLatencyMS {
			rt.Fatalf("total %d ms < remediation %d ms", m.TotalLatencyMS, m.RemediationLatencyMS)
		}
	})
}

// TestProperty38_RemediationResultRecording: "For any remediation
// execution, the success or failure should be recorded in metrics". Any
// remediation the real handlers execute ends with its result in the
// failure's metrics record: success exactly when the re-run passed and the
// failure ended remediated, failure when verification saw it fail (the
// failure ended failed); a failure rejected by a person executed nothing
// and records no result. And state.Aggregate counts them.
func TestProperty38_RemediationResultRecording(t *testing.T) {
	h, clock := pipelineHarness(t)
	var results []bool
	rapid.Check(t, func(rt *rapid.T) {
		f := drawFlow(rt, h, clock)
		m := metricsOf(rt, h, f.id)
		if !f.remediated() {
			if m.RemediationSuccess != nil {
				rt.Fatalf("rejected, yet a remediation result %v", *m.RemediationSuccess)
			}
			return
		}
		if m.RemediationSuccess == nil {
			rt.Fatalf("remediation executed (final %s), no result in metrics: %+v", f.final.Status, m)
		}
		wantOK := f.conclude == "success"
		wantStatus := map[bool]state.Status{true: state.StatusRemediated, false: state.StatusFailed}[wantOK]
		if *m.RemediationSuccess != wantOK || f.final.Status != wantStatus {
			rt.Fatalf("re-run %s: recorded success %v, failure %s", f.conclude, *m.RemediationSuccess, f.final.Status)
		}
		results = append(results, wantOK)
	})
	agg, err := h.store.Aggregate(context.Background(), state.MetricsQuery{Repo: testRepo})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, r := range results {
		if r {
			ok++
		}
	}
	if agg.Remediations != len(results) || (len(results) > 0 && agg.SuccessRate != float64(ok)/float64(len(results))) {
		t.Fatalf("Aggregate: %d remediations at %v, want %d at %d/%d", agg.Remediations, agg.SuccessRate, len(results), ok, len(results))
	}
}
