package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sandbox/slackview"
	"github.com/ccm-ci/ccm/state"
)

// DefaultScenarioDeadline bounds each scenario, from its seed to its end.
const DefaultScenarioDeadline = 20 * time.Second

// ExternalScenarioDeadline bounds each scenario played against `ccm serve`
// run as its own process: serve keeps its production pacing (a Slack post
// per channel per second, asynq's one-second queue check), which the
// in-process ccm shortens for a demo.
const ExternalScenarioDeadline = 60 * time.Second

// sandboxApprovalTimeout is approval_timeout outside the expiry scenario:
// long enough for a person at the terminal.
const sandboxApprovalTimeout = 10 * time.Minute

// ScenarioOptions tune `ccm sandbox` (scenarios).
type ScenarioOptions struct {
	// Env is the process environment (REDIS_URL, OPENAI_*).
	Env config.Env
	// HTTPAddr is where ccm's HTTP endpoints listen; "" picks a port.
	HTTPAddr string
	// Only plays these scenarios (by name); nil plays all.
	Only []string
	// Withhold names scenarios whose simulated people do nothing: they
	// cannot reach their end (how tests prove a miss is reported).
	Withhold []string
	// Deadline bounds each scenario; 0 is DefaultScenarioDeadline.
	Deadline time.Duration
	// Interactive, when set, reads the person's commands at each approval.
	Interactive io.Reader
	// Out receives what Slack shows and the summary, as each scenario ends.
	Out    io.Writer
	Logger *slog.Logger
	// Binary, when set, is a ccm binary: the scenarios play against
	// `Binary serve` run as its own process, as deployed (see
	// WorldOptions.Binary), instead of ccm built in this process.
	Binary string
	// OnStart is called once ccm runs, with the world (a web view of the
	// simulated Slack hooks in here).
	OnStart func(*World)
	// Ended, when set, is called with what RunScenarios returns once the
	// scenarios have all played (reached or missed), before anything it
	// started is stopped: ccm, the simulators and REDIS_URL's data stay
	// until Ended returns (--slack-ui keeps them while its page is up).
	Ended func(Report, error)
}

// ScenarioResult is how one scenario ended.
type ScenarioResult struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	End     string `json:"expected_end"`
	Reached bool   `json:"reached"`
	Stopped string `json:"stopped,omitempty"` // where and why it stopped short
	// Chose says what the person at the terminal (--interactive) chose
	// instead of the scenario's plan; Reached is then true wherever it went.
	Chose string        `json:"chosen_by_you,omitempty"`
	Took  time.Duration `json:"-"`
	// TookMS is Took for a scenario that reached its end; nil (left out
	// of the JSON) for one that did not: it was never resolved.
	TookMS *int64   `json:"time_to_resolution_ms,omitempty"`
	Audit  int      `json:"audit_entries"`
	Notes  []string `json:"notes,omitempty"`
	Slack  string   `json:"slack"`
	// Viewer is whose private messages Slack shows ("" for nobody's).
	Viewer string `json:"slack_viewer,omitempty"`
}

// Report is the whole run.
type Report struct {
	Scenarios []ScenarioResult `json:"scenarios"`
	// Audit counts every audit entry written, by action type.
	Audit      map[string]int `json:"audit"`
	AuditTotal int            `json:"audit_total"`
	// Remediations, SuccessRate and MeanTimeToResolution are ccm's own
	// figures over the run (what `ccm stats` prints).
	Remediations         int           `json:"remediations"`
	SuccessRate          float64       `json:"success_rate"`
	MeanTimeToResolution time.Duration `json:"-"`
	Analyzer             string        `json:"analyzer"`
	// Served says which ccm played: "in-process" (built in the sandbox)
	// or "external" (`ccm serve` as its own process, ServePID).
	Served   string `json:"served_by"`
	ServePID int    `json:"serve_pid,omitempty"`
	// ServeLog is the end of the external ccm serve's log when a
	// scenario missed its end or serve did not stop cleanly.
	ServeLog string `json:"serve_log_tail,omitempty"`
	// ServeExit says how the external ccm serve ended: "exit status 0 on
	// SIGTERM" when all went well.
	ServeExit string        `json:"serve_exit,omitempty"`
	Elapsed   time.Duration `json:"-"`
}

// Missed lists the scenarios that did not reach their end.
func (r Report) Missed() []ScenarioResult {
	var out []ScenarioResult
	for _, s := range r.Scenarios {
		if !s.Reached {
			out = append(out, s)
		}
	}
	return out
}

// ErrMissed is returned when a scenario did not reach its end.
var ErrMissed = errors.New("a scenario did not reach its end")

// ErrInterrupted is returned when ctx ended (Ctrl-C) before the end.
var ErrInterrupted = errStopped

// RunScenarios builds ccm as `ccm serve` does, with the simulators, plays
// each scenario in turn and reports how each ended. It returns ErrMissed
// (with the report) when one did not reach its end, ErrInterrupted when
// ctx ended; everything it started is stopped before it returns.
func RunScenarios(ctx context.Context, opt ScenarioOptions) (Report, error) {
	start := time.Now()
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	all := Scenarios()
	var plays []*Scenario
	for _, s := range all {
		if len(opt.Only) == 0 || slices.Contains(opt.Only, s.Name) {
			plays = append(plays, s)
		}
	}
	for _, n := range slices.Concat(opt.Only, opt.Withhold) {
		if !slices.ContainsFunc(all, func(s *Scenario) bool { return s.Name == n }) {
			return Report{}, &SetupError{Err: fmt.Errorf("no scenario %q (have %s)", n, strings.Join(ScenarioNames(), ", "))}
		}
	}
	cfg := baseConfig(plays)
	w, err := StartWorld(ctx, WorldOptions{Env: opt.Env, HTTPAddr: opt.HTTPAddr, Config: cfg, Logger: opt.Logger, Binary: opt.Binary})
	if err != nil {
		if ctx.Err() != nil {
			return Report{}, ErrInterrupted
		}
		return Report{}, err
	}
	defer w.Close()
	for _, s := range plays {
		for _, ch := range s.Channels() {
			w.Slack.AddChannel(ch)
		}
	}
	if opt.OnStart != nil {
		opt.OnStart(w)
	}
	rep := Report{Audit: map[string]int{}, Analyzer: w.ccm.Analyzer(), Served: "in-process"}
	ext, isExt := w.external()
	if isExt {
		rep.Served, rep.ServePID = "external", ext.PID()
	}
	pr := &printer{w: out}
	header(pr, w, len(plays), opt.Interactive != nil)
	var decider Decider = scripted{}
	if opt.Interactive != nil {
		t := newTerminal(opt.Interactive, out, w)
		defer t.Close()
		decider = t
	}
	deadline := opt.Deadline
	if deadline <= 0 {
		deadline = DefaultScenarioDeadline
	}
	for i, s := range plays {
		c := cfg.Clone()
		if s.ApprovalTimeout > 0 {
			c.ApprovalTimeout = w.approvalTimeout(s.ApprovalTimeout)
		}
		if err := w.ccm.SetConfig(ctx, c); err != nil {
			if errors.Is(err, ErrInterrupted) || ctx.Err() != nil {
				return rep, ErrInterrupted
			}
			if w.diedWithin(ctx, time.Second) {
				return serveDied(ctx, w, &rep, plays[i:])
			}
			return rep, fmt.Errorf("scenario %s: %w", s.Name, err)
		}
		p := &Play{w: w, sc: s, deadline: time.Now().Add(deadline), people: decider, withhold: slices.Contains(opt.Withhold, s.Name)}
		res := playOne(ctx, p)
		if res.Reached {
			ms := res.Took.Milliseconds()
			res.TookMS = &ms
		}
		if errors.Is(res.err, ErrInterrupted) || ctx.Err() != nil {
			return rep, ErrInterrupted
		}
		if !res.Reached && w.diedInScenario(ctx) {
			// Every later wait would be for nothing: say so now.
			return serveDied(ctx, w, &rep, plays[i:])
		}
		if isExt {
			res.Notes = append(ext.takeNotes(), res.Notes...)
		}
		w.settle(ctx, 3*time.Second)
		res.Audit = countAudit(ctx, w.Store, s)
		res.Slack = slackview.Channels(w.Slack, s.Viewer, s.Channels()...)
		res.Viewer = people[s.Viewer]
		rep.Scenarios = append(rep.Scenarios, res.ScenarioResult)
		printScenario(pr, i+1, len(plays), res.ScenarioResult)
	}
	if err := totals(ctx, w.Store, &rep); err != nil {
		return rep, err
	}
	var exitErr error
	if isExt {
		// Stopped now, as an orchestrator would, so the report says how
		// it went: a serve that cannot stop cleanly fails the run.
		exitErr = ext.Shutdown()
		rep.ServeExit = ext.Exit()
		if exitErr != nil || len(rep.Missed()) > 0 {
			rep.ServeLog = ext.Log() // kept from before its files were removed
		}
	}
	rep.Elapsed = time.Since(start)
	printSummary(pr, rep)
	if pr.err != nil {
		return rep, fmt.Errorf("sandbox: print: %w", pr.err)
	}
	err = exitErr
	if len(rep.Missed()) > 0 {
		err = errors.Join(ErrMissed, exitErr)
	}
	if opt.Ended != nil {
		opt.Ended(rep, err)
	}
	return rep, err
}

// serveDied ends a run whose `ccm serve` died: the scenario playing and
// those after it are recorded as missed, with how it died, so the report
// (--json) still tells the whole run.
func serveDied(ctx context.Context, w *World, rep *Report, rest []*Scenario) (Report, error) {
	err := &ServeDiedError{Scenario: rest[0].Name, Err: w.ccm.Cause(), Log: w.ccm.Log()}
	for _, s := range rest {
		rep.Scenarios = append(rep.Scenarios, ScenarioResult{Name: s.Name, Title: s.Title, End: s.End,
			Stopped: "ccm serve " + w.ccm.Cause().Error()})
	}
	rep.ServeLog = err.Log
	if ext, ok := w.external(); ok {
		_ = ext.Shutdown() // reaps it and records how it ended (its error is err)
		rep.ServeExit = ext.Exit()
	}
	_ = totals(ctx, w.Store, rep) // what it did before it died, if Redis still answers
	return *rep, err
}

type played struct {
	ScenarioResult
	err error
}

func playOne(ctx context.Context, p *Play) played {
	s := p.sc
	res := played{ScenarioResult: ScenarioResult{Name: s.Name, Title: s.Title, End: s.End}}
	start := time.Now()
	notes, err := s.play(ctx, p)
	res.Took = time.Since(start)
	res.Notes, res.err = notes, err
	if err != nil && p.diverged != "" && ctx.Err() == nil {
		// The person chose otherwise: where the scenario went is theirs,
		// not a miss of ccm's.
		why := err.Error()
		if strings.Contains(why, "no button") {
			why = "the request was no longer open when you pressed (it had expired or been decided)"
		}
		res.Chose = p.diverged
		res.Notes = append(res.Notes, p.diverged+"; the scenario ended as you chose, not at its planned end: "+why)
		res.Reached = true
		return res
	}
	if err != nil {
		res.Stopped = err.Error()
		var se *stopError
		if !errors.As(err, &se) {
			res.Stopped = "stopped at: " + p.step + ": " + err.Error()
		}
		return res
	}
	res.Reached = true
	return res
}

// ScenarioNames are the names --scenario takes.
func ScenarioNames() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return out
}

// baseConfig is what every scenario starts from: its repositories with
// their own channels, alice the approver and admin, and timeouts a demo
// can wait for.
func baseConfig(plays []*Scenario) *config.Config {
	cfg := config.Default()
	cfg.Approvers, cfg.Admins = []string{UserApprover}, []string{UserApprover}
	cfg.ApprovalTimeout = sandboxApprovalTimeout
	cfg.VerifyTimeout = time.Minute
	// Retries of a flaky local call should not make a demo wait a minute.
	cfg.Retry.InitialBackoff, cfg.Retry.MaxBackoff = 50*time.Millisecond, time.Second
	for _, s := range plays {
		for _, r := range s.Repos {
			r.Channels = config.Channels{Alerts: s.Alerts(), Approvals: s.Approvals(), Critical: s.Critical()}
			cfg.Repositories = append(cfg.Repositories, r)
		}
		cfg.ProtectedRepositories = append(cfg.ProtectedRepositories, s.Protected...)
	}
	return cfg
}

func countAudit(ctx context.Context, st *state.Store, s *Scenario) int {
	n := 0
	for _, r := range s.Repos {
		es, err := st.QueryAudit(ctx, state.AuditQuery{Repo: r.Name, Limit: state.MaxLimit})
		if err == nil {
			n += len(es)
		}
	}
	return n
}

func totals(ctx context.Context, st *state.Store, rep *Report) error {
	es, err := st.QueryAudit(ctx, state.AuditQuery{Limit: state.MaxLimit})
	if err != nil {
		return fmt.Errorf("sandbox: audit: %w", err)
	}
	for _, e := range es {
		rep.Audit[e.ActionType]++
	}
	rep.AuditTotal = len(es)
	agg, err := st.Aggregate(ctx, state.MetricsQuery{})
	if err != nil {
		return fmt.Errorf("sandbox: metrics: %w", err)
	}
	rep.Remediations, rep.SuccessRate = agg.Remediations, agg.SuccessRate
	rep.MeanTimeToResolution = time.Duration(agg.AvgResolutionMS * float64(time.Millisecond))
	return nil
}
