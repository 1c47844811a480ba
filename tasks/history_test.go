package tasks_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/openaisim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// goTestLog is one failing Go test: the rules call it a plain test
// failure (flaky_test at low confidence, unless the change touches it).
const goTestLog = `2024-05-05T14:25:19.9000000Z ##[group]Run go test ./...
2024-05-05T14:25:20.0000000Z go test ./...
2024-05-05T14:25:20.1000000Z ##[endgroup]
2024-05-05T14:25:21.0000000Z --- FAIL: TestCheckoutTotal (0.02s)
2024-05-05T14:25:21.0000000Z     checkout_test.go:42: total = 99, want 100
2024-05-05T14:25:21.1000000Z FAIL
2024-05-05T14:25:21.1000000Z FAIL	acme/web/checkout	0.031s
2024-05-05T14:25:21.2000000Z ##[error]Process completed with exit code 1.
`

// modelSays is the model's answer on goTestLog: category at confidence.
func modelSays(category analysis.Category, confidence int) string {
	return fmt.Sprintf(`{"category":%q,"risk_score":6,"confidence":%d,"effort":"medium",
"proposed_fix":"Look at the checkout total computation.",
"actions":[{"type":"none","key":"","title":"","body":"","files":[]}],
"affected_components":["checkout"],"involves_application_code":true,
"evidence":["--- FAIL: TestCheckoutTotal (0.02s)","checkout_test.go:42: total = 99, want 100"],
"reasoning":"The total is off by one."}`, category, confidence)
}

// prRun adds a failed pull-request run of goTestLog on its own branch and
// commit, whose change is files.
func (h *harness) prRun(t *testing.T, branch string, files ...string) githubsim.Run {
	t.Helper()
	p := h.gh.AddPull(testRepo, githubsim.PullRequest{Head: branch, Base: "main", Files: files})
	return h.gh.AddRun(testRepo, githubsim.Run{Event: "pull_request", Conclusion: "failure", HeadBranch: branch,
		PullRequests: []int{p.Number}, Name: "CI",
		Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: goTestLog, Steps: []githubsim.Step{
			{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
			{Number: 2, Name: "Run go test ./...", Status: "completed", Conclusion: "failure"},
		}}}})
}

// analyzed runs ccm:analyze on id and returns the record and its analysis
// audit entry.
func (h *harness) analyzed(t *testing.T, id string) (state.FailureRecord, state.AuditEntry) {
	t.Helper()
	if err := h.h.HandleAnalyze(context.Background(), analyzeTask(t, id)); err != nil {
		t.Fatalf("HandleAnalyze(%s): %v", id, err)
	}
	rec := h.record(t, id)
	if rec.Analysis == nil {
		t.Fatalf("%s has no analysis (status %s)", id, rec.Status)
	}
	entries := h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionAnalysis})
	if len(entries) != 1 {
		t.Fatalf("%s: %d analysis audit entries, want 1", id, len(entries))
	}
	return rec, entries[0]
}

// userPrompts are the user messages the model was sent.
func userPrompts(reqs []openai.ChatCompletionRequest) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Messages[len(r.Messages)-1].Content)
	}
	return out
}

// TestAnalyzeHistoryFlaky: the same test failed on three other commits
// this week and a person's re-run of one of them passed (the shadow
// follow-up learnt it), so a new failure the model calls code at 55% is a
// flaky test: the history moves it, says so in the evidence and the
// reasoning, and does it on a cache hit too without writing the history
// into the cache.
func TestAnalyzeHistoryFlaky(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: modelSays(analysis.CategoryCode, 55)}
	})
	h := newHarness(t, newLLMChain(t, ai))
	ctx := context.Background()

	first, _ := h.analyzed(t, h.ingested(t, h.prRun(t, "feature/a", "docs/a.md")).ID) // the model's answer, cached
	if first.Analysis.Category != analysis.CategoryCode {
		t.Fatalf("first failure: %s; with no other history the model's code stands", first.Analysis.Category)
	}
	for _, branch := range []string{"feature/b", "feature/c"} {
		h.ingested(t, h.prRun(t, branch, "docs/"+branch+".md"))
	}
	if p := userPrompts(ai.Requests()); len(p) != 1 || !strings.Contains(p[0], "History in this repository") {
		t.Errorf("the model's prompt lacks the history section: %q", p)
	}

	// A person re-ran the first failure and it passed: the shadow
	// follow-up records it, and with it the pass in the history.
	g := state.GateDecision{Decision: "approval", Reasons: []string{"test"}, Mode: string(config.ModeShadow),
		Actions: rerunAction, DecidedAt: first.DetectedAt}
	if _, err := h.store.SaveGate(ctx, first.ID, state.StatusAnalyzed, g, state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}, nil); err != nil {
		t.Fatal(err)
	}
	run1, err := h.client.GetRun(ctx, testRepo, first.RunID, 1)
	if err != nil {
		t.Fatal(err)
	}
	h.gh.AddRun(testRepo, githubsim.Run{ID: run1.ID, Attempt: 2, Conclusion: "success", Name: "CI", HeadBranch: "feature/a",
		HeadSHA: run1.HeadSHA, CreatedAt: run1.CreatedAt, UpdatedAt: run1.CreatedAt.Add(40 * time.Minute)})
	w := &shadowWorld{h: h, rec: first, now: first.DetectedAt.Add(time.Hour)}
	deps := h.deps
	deps.Now = func() time.Time { return w.now }
	w.hs = tasks.NewHandlers(deps)
	if o := w.check(t, 0).ShadowOutcome; o == nil || o.Outcome != state.ShadowRerunPassed {
		t.Fatalf("shadow outcome = %+v, want rerun_passed", o)
	}

	rec := h.ingested(t, h.prRun(t, "feature/d", "docs/guide.md"))
	got, entry := h.analyzed(t, rec.ID)
	a := got.Analysis
	const line = "history: seen on 3 other commits (3 other branches) this week; passed on re-run once"
	if a.Category != analysis.CategoryFlakyTest || a.Source != analysis.SourceCache || !slices.Contains(a.Evidence, line) {
		t.Fatalf("analysis = %s (%s), evidence %q; want flaky_test from the cache with %q", a.Category, a.Source, a.Evidence, line)
	}
	if !strings.Contains(a.Reasoning, "became flaky_test") || a.Actions[0].Type != analysis.ActionRerunFailedJobs {
		t.Errorf("reasoning %q, actions %+v: want the move explained and a re-run proposed", a.Reasoning, a.Actions)
	}
	if entry.Details["history_changed_from"] != string(analysis.CategoryCode) || entry.Details["history"] == nil {
		t.Errorf("audit details = %v; want the history and what it changed", entry.Details)
	}
	cached, ok, err := h.store.CachedAnalysis(ctx, testRepo+":"+rec.Fingerprint)
	if err != nil || !ok {
		t.Fatalf("CachedAnalysis = %v, %v", ok, err)
	}
	if cached.Category != analysis.CategoryCode || slices.ContainsFunc(cached.Evidence, func(e string) bool { return strings.HasPrefix(e, "history:") }) {
		t.Errorf("the cache holds %s with evidence %q; want the model's generic code answer, no history", cached.Category, cached.Evidence)
	}
}

// TestAnalyzeHistoryFirstSeenCode: a failure first seen on the commit
// whose change touches the failing test is a regression, whatever the
// model guessed: flaky_test becomes code, and ccm proposes nothing to run.
func TestAnalyzeHistoryFirstSeenCode(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: modelSays(analysis.CategoryFlakyTest, 70)}
	})
	h := newHarness(t, newLLMChain(t, ai))
	rec := h.ingested(t, h.prRun(t, "feature/total", "checkout/checkout_test.go", "checkout/total.go"))
	got, entry := h.analyzed(t, rec.ID)
	a := got.Analysis
	const line = "history: first seen on this commit this week"
	if a.Category != analysis.CategoryCode || !slices.Contains(a.Evidence, line) {
		t.Fatalf("analysis = %s, evidence %q; want code with %q", a.Category, a.Evidence, line)
	}
	if a.Actions[0].Type != analysis.ActionNone || !a.InvolvesApplicationCode || !strings.Contains(a.Reasoning, "checkout/checkout_test.go") {
		t.Errorf("analysis = %+v; want no action, application code, the touched test named", a)
	}
	if entry.Details["history_changed_from"] != string(analysis.CategoryFlakyTest) {
		t.Errorf("audit details = %v; want history_changed_from flaky_test", entry.Details)
	}
	if p := userPrompts(ai.Requests()); len(p) != 1 || !strings.Contains(p[0], "first seen on this commit this week") {
		t.Errorf("the model's prompt lacks the history: %q", p)
	}
}

// TestVerifiedRerunIsHistory: when ccm:verify sees ccm's own re-run pass,
// the pass lands in the fingerprint's history with the move to remediated;
// a re-run that fails adds none.
func TestVerifiedRerunIsHistory(t *testing.T) {
	for _, conclusion := range []string{"success", "failure"} {
		t.Run(conclusion, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			rec, run := h.remediable(t, "main", nil, rerunFailed)
			h.gh.ScriptAttempts(testRepo, run.ID, 0, conclusion)
			if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
				t.Fatal(err)
			}
			if err := h.h.HandleVerify(ctx, verifyTask(t, rec.ID, 0)); err != nil {
				t.Fatal(err)
			}
			hist, err := h.store.History(ctx, testRepo, rec.Fingerprint, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range hist.Passes {
				got = append(got, p.FailureID+" "+p.How)
			}
			var want []string
			if conclusion == "success" {
				want = []string{rec.ID + " " + state.PassVerified}
			}
			if !slices.Equal(got, want) {
				t.Errorf("passes = %q, want %q (status %s)", got, want, h.record(t, rec.ID).Status)
			}
		})
	}
}
