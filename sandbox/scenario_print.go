package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

func header(p *printer, w *World, n int, interactive bool) {
	p.f("ccm sandbox: %s on ccm's real pipeline (the service `ccm serve` runs), seeded from real failed-run logs.\n",
		plural(n, "scenario"))
	redis := w.redisNote
	if w.AI == nil {
		p.f("GitHub and Slack are simulated on loopback, %s; the analyses go to the real model (OPENAI_API_KEY is set).\n", redis)
	} else {
		p.f("GitHub, Slack and the OpenAI API are simulated on loopback, %s: nothing leaves this machine.\n", redis)
	}
	if c, ok := w.external(); ok {
		p.f("ccm runs as its own process: `%s serve` (pid %d), as deployed.\n", c.cmd.Path, c.PID())
	}
	p.f("ccm's HTTP endpoints: http://%s (/healthz, /metrics, /webhooks/github)\n", w.Addr())
	p.f("Analysis: %s\n", w.ccm.Analyzer())
	if interactive {
		p.f("Interactive: the sandbox stops at each approval request for you to decide.\n")
	}
}

func printScenario(p *printer, i, n int, r ScenarioResult) {
	p.f("\n━━ %d/%d %s: %s\n", i, n, r.Name, r.Title)
	if r.Slack != "" && r.Viewer != "" {
		p.f("\nWhat Slack shows (as %s sees it):\n\n%s\n", r.Viewer, r.Slack)
	} else if r.Slack != "" {
		p.f("\nWhat Slack shows:\n\n%s\n", r.Slack)
	} else {
		p.f("\nSlack shows nothing.\n\n")
	}
	switch {
	case r.Chose != "":
		// Where it went is the person's choice, not the planned end.
		p.f("Ended as you chose in %s: %s\n", roundMS(r.Took), r.Chose)
	case r.Reached:
		p.f("Reached its end in %s: %s\n", roundMS(r.Took), r.End)
	default:
		p.f("DID NOT reach its end (%s): %s\n  want: %s\n", roundMS(r.Took), r.Stopped, r.End)
	}
	for _, note := range r.Notes {
		p.f("  · %s\n", note)
	}
	p.f("  audit entries written: %d\n", r.Audit)
}

func printSummary(p *printer, r Report) {
	p.f("\n━━ Summary\n")
	width := 0
	for _, s := range r.Scenarios {
		width = max(width, len(s.Name))
	}
	for _, s := range r.Scenarios {
		mark, what := "✓", "reached its end"
		switch {
		case !s.Reached:
			mark, what = "✗", s.Stopped
		case s.Chose != "":
			what = "ended as you chose"
		}
		p.f("  %s %-*s %7s  %3d audit entries  %s\n", mark, width, s.Name, roundMS(s.Took), s.Audit, what)
	}
	reached := len(r.Scenarios) - len(r.Missed())
	rate := 0.0
	if len(r.Scenarios) > 0 {
		rate = 100 * float64(reached) / float64(len(r.Scenarios))
	}
	p.f("Scenarios:  %d of %d reached their expected end (%.0f%%)\n", reached, len(r.Scenarios), rate)
	if r.Remediations > 0 {
		p.f("ccm:        %s, success rate %.0f%%, mean time to resolution %s\n",
			plural(r.Remediations, "remediation"), 100*r.SuccessRate, roundMS(r.MeanTimeToResolution))
	}
	p.f("Audit:      %d entries written (%s)\n", r.AuditTotal, auditLine(r.Audit))
	if r.ServeExit != "" {
		p.f("ccm serve:  %s\n", r.ServeExit)
	}
	p.f("Took:       %s\n", roundMS(r.Elapsed))
	for _, s := range r.Missed() {
		p.f("Missed:     %s — %s\n", s.Name, s.Stopped)
	}
}

func auditLine(by map[string]int) string {
	keys := slices.Sorted(maps.Keys(by))
	slices.SortStableFunc(keys, func(a, b string) int { return by[b] - by[a] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, by[k])
	}
	return strings.Join(parts, ", ")
}

func roundMS(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// WriteReportJSON prints the report as one JSON object.
func WriteReportJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// No remediation has no success rate: null, not a 0% that reads as
	// every one failing.
	var rate *float64
	if r.Remediations > 0 {
		rate = &r.SuccessRate
	}
	body := struct {
		Report
		SuccessRate *float64 `json:"success_rate"`
		MTTRMS      int64    `json:"mean_time_to_resolution_ms"`
		ElapsedMS   int64    `json:"elapsed_ms"`
	}{r, rate, r.MeanTimeToResolution.Milliseconds(), r.Elapsed.Milliseconds()}
	if err := enc.Encode(body); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}
