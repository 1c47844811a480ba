package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/ccm-ci/ccm/config"
)

// Every scenario reaches its expected end on the whole service, within
// the minute the issue allows, and the report counts what ccm wrote.
func TestScenariosAllReachTheirEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("plays every scenario on the whole service")
	}
	var out bytes.Buffer
	start := time.Now()
	rep, err := RunScenarios(context.Background(), ScenarioOptions{Out: &out})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("RunScenarios: %v\n%s", err, out.String())
	}
	if len(rep.Scenarios) != len(Scenarios()) {
		t.Errorf("%d scenarios reported, want %d", len(rep.Scenarios), len(Scenarios()))
	}
	for _, s := range rep.Scenarios {
		if !s.Reached || s.Audit == 0 || s.Slack == "" {
			t.Errorf("%s: reached %v, %d audit entries, Slack %q: want reached, audited, shown", s.Name, s.Reached, s.Audit, s.Slack)
		}
		t.Logf("%-16s %6s %3d audit entries", s.Name, s.Took.Round(time.Millisecond), s.Audit)
	}
	text := out.String()
	for _, want := range []string{
		"[Approve] [Reject]", // a request as Slack shows it
		"Rejected by @alice", // the protected repository's request, decided
		"payments freeze until Monday's release",
		"You cannot decide this request", // mallory's private refusal
		"incident opened",                // one page for the outage
		"Incident closed",                // and its end in the thread
		"would have fixed 1 of 2",        // the scorecard
		"Scenarios:  9 of 9 reached their expected end",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if rep.Remediations == 0 || rep.SuccessRate <= 0 || rep.SuccessRate >= 1 || rep.MeanTimeToResolution <= 0 {
		t.Errorf("remediations %d, success rate %v, MTTR %s: want some, one failed, a time", rep.Remediations, rep.SuccessRate, rep.MeanTimeToResolution)
	}
	if took > time.Minute {
		t.Errorf("took %s, over a minute", took)
	}
	t.Logf("%s; %d audit entries", took.Round(time.Millisecond), rep.AuditTotal)
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}

// A scenario whose person never acts does not reach its end: the run says
// which, and where it stopped, and the others still play.
func TestScenarioMissSaysWhereItStopped(t *testing.T) {
	var out bytes.Buffer
	rep, err := RunScenarios(context.Background(), ScenarioOptions{Out: &out, Only: []string{"app-code", "approved"},
		Withhold: []string{"approved"}, Deadline: 2 * time.Second})
	if !errors.Is(err, ErrMissed) {
		t.Fatalf("err %v, want ErrMissed\n%s", err, out.String())
	}
	missed := rep.Missed()
	if len(missed) != 1 || missed[0].Name != "approved" {
		t.Fatalf("missed %+v, want approved only", missed)
	}
	if want := "to be remediated"; !strings.Contains(missed[0].Stopped, want) || !strings.Contains(missed[0].Stopped, "awaiting_approval") {
		t.Errorf("stopped %q: want the wait (%q) and what it saw (awaiting_approval)", missed[0].Stopped, want)
	}
	if !strings.Contains(out.String(), "DID NOT reach its end") || !strings.Contains(out.String(), "Scenarios:  1 of 2 reached") {
		t.Errorf("output does not say it:\n%s", out.String())
	}
	// A scenario never resolved has no time to resolution in the JSON.
	var js bytes.Buffer
	if err := WriteReportJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Scenarios []map[string]any `json:"scenarios"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, s := range got.Scenarios {
		_, has := s["time_to_resolution_ms"]
		if reached := s["reached"] == true; has != reached {
			t.Errorf("%v (reached %v) has time_to_resolution_ms: %v, want it only when reached", s["name"], reached, has)
		}
	}
}

// --interactive: the person types /ccm and @ccm, then decides; the
// scenario follows what they did.
func TestScenariosInteractive(t *testing.T) {
	in := strings.NewReader("help\n/ccm help\n@ccm failures\napprove\nreject not this week\n")
	var out bytes.Buffer
	rep, err := RunScenarios(context.Background(), ScenarioOptions{Out: &out, Only: []string{"approved", "protected"}, Interactive: in})
	text := out.String()
	if err != nil {
		t.Fatalf("RunScenarios: %v\n%s", err, text)
	}
	for _, want := range []string{
		"approval request for acme/billing#", "ccm> ", "[Approve] [Reject]",
		"reject REASON",              // the help
		"ccm (only visible to you):", // /ccm's answer
		"acme/billing#",              // @ccm failures names the failure
		"not this week",              // the reason typed
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if len(rep.Scenarios) != 2 || !rep.Scenarios[0].Reached || !rep.Scenarios[1].Reached {
		t.Errorf("scenarios %+v: want both reached", rep.Scenarios)
	}
}

// A person who decides otherwise than the scenario's plan (reject where
// alice would approve) is not a miss: the scenario ends as they chose and
// says so.
func TestScenariosInteractiveOtherChoice(t *testing.T) {
	var out bytes.Buffer
	rep, err := RunScenarios(context.Background(), ScenarioOptions{Out: &out, Only: []string{"approved"},
		Interactive: strings.NewReader("foo\n\nreject not today\n")})
	if err != nil || len(rep.Scenarios) != 1 || !rep.Scenarios[0].Reached {
		t.Fatalf("err %v, scenarios %+v: want reached as chosen\n%s", err, rep.Scenarios, out.String())
	}
	if c := rep.Scenarios[0].Chose; !strings.Contains(c, "[Reject]") || !strings.Contains(c, "[Approve]") {
		t.Errorf("Chose = %q: want what was pressed and what was planned", c)
	}
	text := out.String()
	// The headline and the summary say what happened, not the plan's end.
	if !strings.Contains(text, "Ended as you chose in ") || strings.Contains(text, "Reached its end in") ||
		!strings.Contains(text, "ended as you chose") || strings.Contains(text, "  reached its end") {
		t.Errorf("the output tells the planned end, not the person's:\n%s", text)
	}
	if strings.Count(text, `unknown command "foo"`) != 1 || strings.Contains(text, `unknown command ""`) {
		t.Errorf("want one unknown command \"foo\" and nothing for the empty line:\n%s", text)
	}
	// Rejected: nothing was remediated, so there is no success rate.
	var js bytes.Buffer
	if err := WriteReportJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	if rep.Remediations != 0 || !strings.Contains(js.String(), `"success_rate": null`) {
		t.Errorf("%d remediations: want 0 and success_rate null:\n%s", rep.Remediations, js.String())
	}
}

// Ctrl-C (ctx ending) while the sandbox waits for the person: it returns
// ErrInterrupted and stops everything (TestMain checks no goroutine is
// left).
func TestScenariosInterrupted(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := RunScenarios(ctx, ScenarioOptions{Out: &out, Only: []string{"approved"}, Interactive: pr})
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "ccm> ") {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) {
			t.Errorf("err %v, want ErrInterrupted", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("RunScenarios did not stop after the interrupt")
	}
	pw.Close() // the terminal reader goes
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// With REDIS_URL the sandbox wants an empty database and leaves it empty,
// so a second run meets nothing of the first.
func TestScenariosOnRedisURL(t *testing.T) {
	m := miniredis.RunT(t)
	env := config.Env{RedisURL: "redis://" + m.Addr() + "/0"}
	for run := 1; run <= 2; run++ {
		rep, err := RunScenarios(context.Background(), ScenarioOptions{Env: env, Only: []string{"app-code"}})
		if err != nil || len(rep.Missed()) > 0 {
			t.Fatalf("run %d: %v, missed %+v", run, err, rep.Missed())
		}
		if keys := m.Keys(); len(keys) != 0 {
			t.Fatalf("run %d left %d keys: %v", run, len(keys), keys[:min(5, len(keys))])
		}
	}
	m.Set("someone:else", "1")
	_, err := RunScenarios(context.Background(), ScenarioOptions{Env: env, Only: []string{"app-code"}})
	var se *SetupError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "holds 1 key;") {
		t.Errorf("err %v: want a SetupError saying the database is not empty", err)
	}
	if v, _ := m.Get("someone:else"); v != "1" {
		t.Error("the sandbox touched a database it refused")
	}
}

// The scenario's deadline is on ccm: a person who takes longer than it to
// decide still sees the scenario reach its end.
func TestScenariosInteractiveSlowPerson(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	var out syncBuffer
	go func() {
		for !strings.Contains(out.String(), "ccm> ") {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(3 * time.Second) // longer than the deadline below
		_, _ = io.WriteString(pw, "approve\n")
	}()
	rep, err := RunScenarios(context.Background(), ScenarioOptions{Out: &out, Only: []string{"approved"},
		Interactive: pr, Deadline: 2 * time.Second})
	if err != nil || len(rep.Scenarios) != 1 || !rep.Scenarios[0].Reached {
		t.Fatalf("err %v, scenarios %+v: want reached\n%s", err, rep.Scenarios, out.String())
	}
}

// A REDIS_URL the service's parser refuses is a setup error before anything
// starts: the sandbox checks the same URL forms it would open (Sentinel too).
func TestScenariosRefuseABadRedisURL(t *testing.T) {
	env := config.Env{RedisURL: "redis+sentinel://:pw@/mymaster"}
	_, err := RunScenarios(context.Background(), ScenarioOptions{Env: env, Only: []string{"app-code"}})
	var se *SetupError
	if !errors.As(err, &se) || strings.Contains(err.Error(), "pw") {
		t.Errorf("err %v: want a SetupError that does not echo the password", err)
	}
}
