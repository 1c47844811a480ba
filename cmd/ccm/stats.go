package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/state"
)

const statsHelp = `Usage: ccm stats [flags]

Prints, per repository, the shadow scorecard of a running ccm. For every
failure ccm decided on in shadow mode: what became of it (someone re-ran it
and it passed, a fix landed on the files it named, nothing helped) and
whether ccm's decision would have fixed it, e.g.

  acme/web (shadow): would have fixed 14 of 17, asked for 6, left 5 alone, never touched code

then the outcomes, how long people took to get the failures passing, and
ccm's own remediations (success rate, mean time to resolution). This is how
a team decides to move a repository out of shadow mode. Reads the Redis of
that ccm (REDIS_URL, the same value ccm serve uses).

Example:
  REDIS_URL=redis://localhost:6379/0 ccm stats --repo acme/web

Flags:
`

// repoStats is one repository in `ccm stats --json`: the scorecard's own
// fields (state.Scorecard) and these. A documented contract, changed only by
// addition.
type repoStats struct {
	state.Scorecard
	Sentence string `json:"sentence"`
	// The mean from the failed run to the attempt or run that passed
	// again without ccm (Scorecard.Resolved of them).
	MeanTimeToResolutionSecs float64 `json:"mean_time_to_resolution_seconds"`
	remediationStats
}

// stats prints the shadow scorecards and remediation figures of a running
// ccm: the terminal's view of what the Slack bot will show.
func stats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var repo string
	var asJSON bool
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), statsHelp); fs.PrintDefaults() }
	fs.StringVar(&repo, "repo", "", "only this repository (OWNER/NAME)")
	fs.BoolVar(&asJSON, "json", false, `one JSON object: {"repositories": [...]}, the fields documented in the README`)
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return flagErr("stats", err)
	}
	if len(rest) > 0 {
		return usageErr("stats: unexpected argument %q (filter with --repo)", rest[0])
	}
	if err := checkRepoFlag("stats", repo); err != nil {
		return err
	}
	store, closeStore, err := openRunning(ctx, "stats", stderr)
	if err != nil {
		return err
	}
	defer func() { _ = closeStore() }()
	out, err := collectStats(ctx, store, repo)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	// Every repository's remediations, scorecard or not: a repository in
	// auto or approve mode has no shadow decisions to judge.
	agg, err := store.Aggregate(ctx, state.MetricsQuery{})
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	all := remediationsOf(agg)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		body := map[string]any{"repositories": out}
		if repo == "" {
			body["all"] = all
		}
		if err := enc.Encode(body); err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		return nil
	}
	printStats(stdout, out)
	if repo == "" {
		fmt.Fprintf(stdout, "\nall repositories: %s\n", all.line())
	}
	return nil
}

// remediationStats are ccm's own remediations (outside shadow mode), from
// its metrics.
type remediationStats struct {
	Remediations int `json:"remediations"`
	// SuccessRate is nil (null) without remediations: a rate over none is
	// not a 0 that reads as every one failing.
	SuccessRate               *float64 `json:"success_rate"`
	RemediationResolutionSecs float64  `json:"remediation_mean_time_to_resolution_seconds"`
}

func remediationsOf(agg state.Aggregate) remediationStats {
	r := remediationStats{Remediations: agg.Remediations, RemediationResolutionSecs: agg.AvgResolutionMS / 1000}
	if agg.Remediations > 0 {
		rate := agg.SuccessRate
		r.SuccessRate = &rate
	}
	return r
}

// line says them in words; a mean over no resolution is not "0s".
func (r remediationStats) line() string {
	if r.Remediations == 0 || r.SuccessRate == nil {
		return "remediations: none yet"
	}
	mttr := "no remediation resolved yet"
	if r.RemediationResolutionSecs > 0 {
		mttr = "mean time to resolution " + roundDur(r.RemediationResolutionSecs)
	}
	return fmt.Sprintf("remediations: %d, success rate %.0f%%, %s", r.Remediations, 100**r.SuccessRate, mttr)
}

// collectStats reads the scorecards (every repository with one, or repo,
// whose name ignores case as on GitHub, with a zero one when it has none)
// and each repository's remediation aggregate.
func collectStats(ctx context.Context, st *state.Store, repo string) ([]repoStats, error) {
	cards, err := st.Scorecards(ctx)
	if err != nil {
		return nil, err
	}
	if repo != "" {
		var mine []state.Scorecard
		for _, c := range cards {
			if strings.EqualFold(c.Repo, repo) {
				mine = append(mine, c)
			}
		}
		none := len(mine) == 0
		if none {
			mine = []state.Scorecard{{Repo: repo, Outcomes: map[string]int{}}}
		}
		cards = mine
		if none {
			// A zero scorecard would read "acme/api (shadow): would have
			// fixed 0 of 0", as if the repository were in shadow mode.
			return statsFor(ctx, st, cards, repo+": no shadow decision with an outcome (the repository is not in shadow mode, or none has ended yet)")
		}
	}
	return statsFor(ctx, st, cards, "")
}

// statsFor adds each scorecard's remediation aggregate; sentence, when
// set, replaces the scorecard's own.
func statsFor(ctx context.Context, st *state.Store, cards []state.Scorecard, sentence string) ([]repoStats, error) {
	out := make([]repoStats, 0, len(cards))
	for _, c := range cards {
		agg, err := st.Aggregate(ctx, state.MetricsQuery{Repo: c.Repo})
		if err != nil {
			return nil, err
		}
		line := c.Sentence()
		if sentence != "" {
			line = sentence
		}
		out = append(out, repoStats{
			Scorecard: c, Sentence: line, MeanTimeToResolutionSecs: c.MeanTimeToResolution.Seconds(),
			remediationStats: remediationsOf(agg),
		})
	}
	return out, nil
}

func printStats(w io.Writer, out []repoStats) {
	if len(out) == 0 {
		fmt.Fprintln(w, "no shadow decision has an outcome yet (ccm follows each one for up to shadow_horizon)")
		return
	}
	for i, s := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, s.Sentence)
		var parts []string
		for _, name := range state.ShadowOutcomes {
			if n := s.Outcomes[name]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", name, n))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "  outcomes: %s\n", strings.Join(parts, ", "))
		}
		if s.Resolved > 0 {
			fmt.Fprintf(w, "  passed again without ccm: %d of %d, after %s on average\n",
				s.Resolved, s.Judged, roundDur(s.MeanTimeToResolutionSecs))
		}
		fmt.Fprintf(w, "  %s\n", s.line())
	}
}

// roundDur prints seconds as a duration a person reads at a glance.
func roundDur(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}
