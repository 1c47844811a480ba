package tasks_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// weekEvent is something a person does on GitHub at a time.
type weekEvent struct {
	at time.Time
	do func()
}

// TestShadowScorecardSimulatedWeek replays a week of failures in shadow
// mode: the 69 labelled real logs of cilogs, one every ~2.4 hours from a
// Monday 09:00, each on its own branch, through ingest, the rule-based
// analysis and the gate, on the GitHub fake and a fake clock. People act
// as the label says they would: a transient failure is re-run (most pass;
// some fail once and pass on the next attempt, some nobody re-runs and a
// later push passes), a real one gets a fix pushed hours later (some are
// re-run first in vain, a quarter are left broken). ccm:shadow-check runs
// on its own schedule until shadow_horizon after the last failure, and the
// scorecard comes out. It checks what must hold whatever the numbers: every
// decision judged once, nothing that touches code, the tally equal to the
// records, and prints the figures (go test -v -run SimulatedWeek ./tasks).
func TestShadowScorecardSimulatedWeek(t *testing.T) {
	h := newHarness(t, nil)
	h.gh.CompareFromRuns(true)
	ctx := context.Background()
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) // a Monday
	now := start
	clock := func() time.Time { return now }
	h.gh.SetClock(clock)
	deps := h.deps
	deps.Now = clock
	hs := tasks.NewHandlers(deps)
	logs := cilogs.All()
	every := 7 * 24 * time.Hour / time.Duration(len(logs))

	var events []weekEvent
	at := func(when time.Time, do func()) { events = append(events, weekEvent{when, do}) }
	due := map[string]time.Time{} // failure ID -> its next shadow check
	checks := map[string]int{}
	category := map[string]string{}
	pipeline := func(run githubsim.Run, attempt int, label string) {
		id := tasks.FailureID(testRepo, run.ID, attempt)
		task, err := tasks.NewIngestTask(tasks.IngestPayload{Repo: testRepo, RunID: run.ID, Attempt: attempt, Source: "week"})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			fn   func(context.Context, *asynq.Task) error
			task *asynq.Task
		}{{hs.HandleIngest, task}, {hs.HandleAnalyze, mustTask(tasks.NewAnalyzeTask(id))}, {hs.HandleGate, mustTask(tasks.NewGateTask(id))}} {
			if err := step.fn(ctx, step.task); err != nil {
				t.Fatalf("%s %s: %v", step.task.Type(), id, err)
			}
		}
		due[id], category[id] = now.Add(15*time.Minute), label
	}
	attempt := func(run githubsim.Run, n int, conclusion string) githubsim.Run {
		return h.gh.AddRun(testRepo, githubsim.Run{ID: run.ID, Attempt: n, Conclusion: conclusion, Name: "CI",
			HeadBranch: run.HeadBranch, CreatedAt: run.CreatedAt, RunStartedAt: now, UpdatedAt: now.Add(10 * time.Minute),
			Jobs: []githubsim.Job{weekJob(conclusion, run.Jobs[0].Log)}})
	}
	push := func(branch string) {
		h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: branch, CreatedAt: now,
			UpdatedAt: now.Add(12 * time.Minute), ChangedFiles: []string{"src/fix.go"}, Jobs: []githubsim.Job{weekJob("success", "ok\n")}})
	}
	for i, l := range logs {
		when := start.Add(time.Duration(i) * every)
		branch := fmt.Sprintf("pr-%d", i)
		var run githubsim.Run
		at(when, func() {
			run = h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", Name: "CI", HeadBranch: branch,
				CreatedAt: now, UpdatedAt: now.Add(8 * time.Minute), Jobs: []githubsim.Job{weekJob("failure", l.Log)}})
			pipeline(run, 1, l.Category)
		})
		rerunFails := func(after time.Duration) {
			at(when.Add(after), func() { attempt(run, 2, "failure"); pipeline(run, 2, l.Category) })
		}
		switch {
		case l.Transient && i%5 == 0: // nobody re-runs; the next push passes
			at(when.Add(6*time.Hour), func() { push(branch) })
		case l.Transient && i%5 == 1: // the first re-run fails too, the second passes
			rerunFails(40 * time.Minute)
			at(when.Add(75*time.Minute), func() { attempt(run, 3, "success") })
		case l.Transient:
			at(when.Add(time.Duration(20+10*(i%7))*time.Minute), func() { attempt(run, 2, "success") })
		case i%4 == 0: // left broken past the horizon
		case i%4 == 1: // re-run in vain, then fixed
			rerunFails(30 * time.Minute)
			at(when.Add(time.Duration(2+i%20)*time.Hour), func() { push(branch) })
		default:
			at(when.Add(time.Duration(2+i%20)*time.Hour), func() { push(branch) })
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })

	end := start.Add(7*24*time.Hour + h.cfg.ShadowHorizon + 7*time.Hour)
	for ; !now.After(end); now = now.Add(15 * time.Minute) {
		for len(events) > 0 && !events[0].at.After(now) {
			events[0].do()
			events = events[1:]
		}
		for _, id := range slices.Sorted(maps.Keys(due)) {
			if due[id].After(now) {
				continue
			}
			n := checks[id]
			if err := hs.HandleShadowCheck(ctx, mustTask(tasks.NewShadowCheckTask(id, n, 0))); err != nil {
				t.Fatalf("shadow check %s: %v", id, err)
			}
			checks[id]++
			// The handler's own schedule without its jitter: 15m doubling to 6h.
			due[id] = now.Add(min(15*time.Minute<<min(n+1, 10), 6*time.Hour))
		}
	}

	card, err := h.store.Scorecard(ctx, testRepo)
	if err != nil {
		t.Fatal(err)
	}
	recount := state.Scorecard{Repo: testRepo, Outcomes: map[string]int{}}
	type row struct{ decisions, fixed int }
	byCategory := map[string]map[string]*row{}
	for id, cat := range category {
		rec, err := h.store.GetFailure(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		o := rec.ShadowOutcome
		if o == nil || rec.Gate == nil || !rec.Shadow {
			t.Fatalf("%s (%s): shadow %v, gate %v, outcome %v: want every decision judged", id, cat, rec.Shadow, rec.Gate, o)
		}
		recount.Judged++
		recount.Outcomes[o.Outcome]++
		if o.WouldHaveFixed {
			recount.WouldHaveFixed++
		}
		if o.TouchedCode {
			recount.TouchedCode++
		}
		if byCategory[cat] == nil {
			byCategory[cat] = map[string]*row{}
		}
		key := rec.Gate.Decision + " → " + o.Outcome
		if byCategory[cat][key] == nil {
			byCategory[cat][key] = &row{}
		}
		byCategory[cat][key].decisions++
		if o.WouldHaveFixed {
			byCategory[cat][key].fixed++
		}
	}
	if card.Judged != recount.Judged || card.WouldHaveFixed != recount.WouldHaveFixed || card.TouchedCode != 0 ||
		!maps.Equal(card.Outcomes, recount.Outcomes) || card.Judged != len(category) {
		t.Errorf("scorecard %+v, recount of the %d records %+v; want equal, with no code touched", card, len(category), recount)
	}
	t.Logf("simulated week: %d failures (%d re-run attempts that failed again), %d shadow checks",
		len(category), len(category)-len(logs), sumValues(checks))
	t.Logf("%s", card.Sentence())
	t.Logf("outcomes %v; passed again without ccm: %d, after %s on average", card.Outcomes, card.Resolved, card.MeanTimeToResolution.Round(time.Minute))
	for _, cat := range slices.Sorted(maps.Keys(byCategory)) {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(byCategory[cat])) {
			r := byCategory[cat][k]
			parts = append(parts, fmt.Sprintf("%s %d (would fix %d)", k, r.decisions, r.fixed))
		}
		t.Logf("  %-14s %s", cat, strings.Join(parts, "; "))
	}
}

func weekJob(conclusion, log string) githubsim.Job {
	return githubsim.Job{Name: "build", Conclusion: conclusion, Log: log, Steps: []githubsim.Step{
		{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
		{Number: 2, Name: "Run build", Status: "completed", Conclusion: conclusion},
	}}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
