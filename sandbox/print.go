package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/internal/text"
	"github.com/ccm-ci/ccm/state"
)

// WriteText prints a header, one compact block per failure (what a Slack
// message would say) and a summary. words says each action type in words;
// a missing entry prints the type itself.
func WriteText(w io.Writer, r Result, words map[analysis.ActionType]string) error {
	p := &printer{w: w}
	sims := "GitHub and Redis simulated locally"
	if r.LLM {
		sims = "GitHub, Redis and the OpenAI API simulated locally"
	}
	p.f("ccm sandbox: %s from public projects, %s; nothing leaves this machine\n", text.Count(len(r.Failures), "real failed run", "real failed runs"), sims)
	p.f("Mode shadow: the safety gate decides what ccm would do, and nothing is done (in mode auto ccm would act on the auto decisions).\n")
	for _, f := range r.Failures {
		p.failure(f, words, r.LLM)
	}
	p.summary(r)
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}

func (p *printer) line(label, value string) {
	if value != "" {
		p.f("  %-10s %s\n", label+":", value)
	}
}

func (p *printer) failure(f Failure, words map[analysis.ActionType]string, llmOn bool) {
	p.f("\n--- %s\n", f.ID)
	if f.RerunPassed {
		p.line("Note", "attempt 2 passed on a re-run before ccm polled; ccm still recorded the failed attempt 1")
	}
	p.line("Real log", f.LogID+"  "+f.LogSource)
	p.line("Reason", f.FailureReason)
	a := f.Analysis
	if a == nil {
		p.line("Analysis", "none ("+string(f.Status)+")")
		return
	}
	p.line("Category", fmt.Sprintf("%s (confidence %d%%); the project's own thread says %s", a.Category, a.Confidence, f.Label))
	p.line("Risk", fmt.Sprintf("%d/10, effort %s", a.RiskScore, a.Effort))
	p.line("Fix", firstLine(a.ProposedFix))
	p.line("Would do", strings.Join(actionWords(a.Actions, words), "; "))
	src := string(a.Source)
	if a.Model != "" {
		src += " (" + a.Model + ")"
	}
	switch {
	case !llmOn:
		src += " (offline rule-based analyzer; --llm runs the LLM path against a local fake)"
	case f.FallbackReason != "":
		src += "; " + f.FallbackReason
	}
	p.line("Analyzer", src)
	p.line("Gate", gateText(f.FailureRecord))
}

// gateText is the gate's decision on a failure in one line.
func gateText(rec state.FailureRecord) string {
	g := rec.Gate
	if g == nil {
		return "not decided (" + string(rec.Status) + ")"
	}
	s := g.Decision
	if rec.Shadow {
		s += " (shadow: what ccm would do; nothing done)"
	} else {
		s += " (mode " + g.Mode + ")"
	}
	for _, r := range g.Reasons {
		if !strings.HasPrefix(r, "mode ") {
			return s + ": " + r
		}
	}
	return s
}

func (p *printer) summary(r Result) {
	p.f("\nSummary\n")
	p.line("Recorded", fmt.Sprintf("%s after %s (nothing recorded twice)", text.Count(r.Recorded, "failure", "failures"), text.Count(r.Polls, "poll", "polls")))
	cats := map[analysis.Category]int{}
	agree := 0
	for _, f := range r.Failures {
		if f.Analysis != nil {
			cats[f.Analysis.Category]++
			if string(f.Analysis.Category) == f.Label {
				agree++
			}
		}
	}
	var parts []string
	for _, c := range analysis.Categories {
		if cats[c] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c, cats[c]))
		}
	}
	p.line("Analyses", strings.Join(parts, ", "))
	p.line("Labels", fmt.Sprintf("%d of %s match what the project's own thread concluded", agree, text.Count(len(r.Failures), "category", "categories")))
	p.line("Gate", gateCounts(r.Failures))
	p.line("Audit", counts(r.Audit))
	if r.LLM {
		p.line("LLM calls", fmt.Sprintf("%d (to the local OpenAI fake)", r.LLMCalls))
	}
	p.line("Took", r.Elapsed.Round(time.Millisecond).String())
}

// counts lists audit counts in the documented order of action types.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ia, ib := slices.Index(state.ActionTypes, a), slices.Index(state.ActionTypes, b)
		if ia < 0 {
			ia = len(state.ActionTypes)
		}
		if ib < 0 {
			ib = len(state.ActionTypes)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func actionWords(acts []analysis.Action, words map[analysis.ActionType]string) []string {
	out := make([]string, 0, len(acts))
	for _, a := range acts {
		text := words[a.Type]
		if text == "" {
			text = string(a.Type)
		}
		out = append(out, text)
	}
	return out
}

// firstLine is a fix's first step without its "1. " numbering.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimPrefix(s, "1. ")
}

// jsonResult is what WriteJSON prints: a stable object whose fields are
// only ever added.
type jsonResult struct {
	Failures  []Failure      `json:"failures"`
	Audit     map[string]int `json:"audit"`
	Recorded  int            `json:"recorded"`
	Polls     int            `json:"polls"`
	LLMCalls  int            `json:"llm_calls"`
	ElapsedMS int64          `json:"elapsed_ms"`
}

// WriteJSON prints r as one indented JSON object.
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonResult{
		Failures: r.Failures, Audit: r.Audit, Recorded: r.Recorded, Polls: r.Polls,
		LLMCalls: r.LLMCalls, ElapsedMS: r.Elapsed.Milliseconds(),
	}); err != nil {
		return fmt.Errorf("sandbox: write json: %w", err)
	}
	return nil
}

// gateCounts tallies the gate's decisions, in the order auto, approval,
// none, then failures it has not decided on.
func gateCounts(fs []Failure) string {
	n := map[string]int{}
	shadow := 0
	for _, f := range fs {
		d := "undecided"
		if f.Gate != nil {
			d = f.Gate.Decision
		}
		n[d]++
		if f.Shadow {
			shadow++
		}
	}
	var parts []string
	for _, d := range []string{"auto", "approval", "none", "undecided"} {
		if n[d] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", d, n[d]))
		}
	}
	s := strings.Join(parts, ", ")
	if shadow > 0 {
		s += fmt.Sprintf(" (%d in shadow: nothing done)", shadow)
	}
	return s
}
