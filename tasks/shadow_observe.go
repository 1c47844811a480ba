package tasks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
)

// observeShadow looks at GitHub for what became of a shadow failure. In
// order of precedence:
//   - rerun_passed: the next attempt of the run (a person re-ran it)
//     concluded success. Only the next one: a later attempt passing after
//     that one failed is the next failure's to claim;
//   - fix_landed / passed_later: a later run of the same workflow on the
//     branch passed, and the commits between the failed commit and the
//     passing one changed a file the analysis named (fix_landed) or did
//     not (passed_later, also when the failed commit is gone);
//   - rerun_failed: the next attempt failed and the decision was a re-run,
//     so one re-run, ccm's whole plan, would not have fixed it.
//
// known is false while none of these holds yet; the caller then checks
// again, until the horizon. A github.ErrNotFound means the run is gone.
func observeShadow(ctx context.Context, gh GitHub, rec state.FailureRecord) (o state.ShadowOutcome, known bool, _ error) {
	latest, err := gh.GetRun(ctx, rec.Repo, rec.RunID, 0)
	if err != nil {
		return o, false, err
	}
	rerunFailed := false
	if latest.Attempt > rec.RunAttempt {
		next := latest
		if latest.Attempt != rec.RunAttempt+1 {
			if next, err = gh.GetRun(ctx, rec.Repo, rec.RunID, rec.RunAttempt+1); err != nil {
				return o, false, err
			}
		}
		if next.Status == "completed" && next.Conclusion == "success" {
			return state.ShadowOutcome{Outcome: state.ShadowRerunPassed, ResolvedAt: next.UpdatedAt,
				Evidence: fmt.Sprintf("attempt %d concluded success", next.Attempt)}, true, nil
		}
		rerunFailed = next.Status == "completed"
	}
	since := rec.RunStartedAt
	if since.IsZero() {
		since = rec.DetectedAt
	}
	runs, err := gh.ListBranchRuns(ctx, rec.Repo, latest.WorkflowID, rec.Branch, since)
	if err != nil {
		return o, false, err
	}
	for _, r := range runs {
		if r.ID == rec.RunID || r.Status != "completed" || r.Conclusion != "success" {
			continue
		}
		o = state.ShadowOutcome{Outcome: state.ShadowPassedLater, ResolvedAt: r.UpdatedAt,
			Evidence: fmt.Sprintf("run %d on %s passed", r.ID, short(r.HeadSHA))}
		named := namedFiles(rec)
		if len(named) == 0 || rec.CommitSHA == "" {
			return o, true, nil
		}
		changed, err := gh.CompareFiles(ctx, rec.Repo, rec.CommitSHA, r.HeadSHA)
		if errors.Is(err, github.ErrNotFound) {
			// A force-push took the failed commit away: it passed again,
			// but what changed cannot be known.
			o.Evidence += "; the failed commit can no longer be compared (force-pushed?)"
			return o, true, nil
		}
		if err != nil {
			return o, false, err
		}
		if hit := slices.DeleteFunc(slices.Clone(named), func(f string) bool { return !slices.Contains(changed, f) }); len(hit) > 0 {
			o.Outcome = state.ShadowFixLanded
			o.Evidence += "; the commits since the failure changed " + strings.Join(hit, ", ")
		}
		return o, true, nil
	}
	if rerunFailed && hasAction(rec.Gate.Actions, analysis.ActionRerunFailedJobs, analysis.ActionRerunWorkflow) {
		return state.ShadowOutcome{Outcome: state.ShadowRerunFailed,
			Evidence: fmt.Sprintf("attempt %d did not pass", rec.RunAttempt+1)}, true, nil
	}
	return o, false, nil
}

// judgeShadow says whether the decision would have fixed the failure,
// given what did, and whether ccm would have acted alone on code:
//   - only a decision to act (auto, or approval: a person would have been
//     asked to approve exactly these actions) can have fixed anything;
//   - a re-run fixes what a passing re-run fixed; a fix PR what a fix on
//     the files it named fixed; nothing else counts, so a decision whose
//     actions did not match what worked is not credited;
//   - touched code: an auto decision on a code failure, on application
//     code, or writing a fix PR — the scorecard's "never touched code"
//     promise (docs/ARCHITECTURE.md §3.2).
func judgeShadow(rec state.FailureRecord, outcome string) (wouldHaveFixed, touchedCode bool) {
	g := rec.Gate
	acts := g.Decision == policy.KindAuto.String() || g.Decision == policy.KindApproval.String()
	switch {
	case !acts:
	case outcome == state.ShadowRerunPassed:
		wouldHaveFixed = hasAction(g.Actions, analysis.ActionRerunFailedJobs, analysis.ActionRerunWorkflow)
	case outcome == state.ShadowFixLanded:
		wouldHaveFixed = hasAction(g.Actions, analysis.ActionOpenFixPR)
	}
	if g.Decision == policy.KindAuto.String() {
		a := rec.Analysis
		touchedCode = hasAction(g.Actions, analysis.ActionOpenFixPR) ||
			(a != nil && (a.Category == analysis.CategoryCode || a.InvolvesApplicationCode))
	}
	return wouldHaveFixed, touchedCode
}

// namedFiles are the paths the analysis's fix PR would have changed.
func namedFiles(rec state.FailureRecord) []string {
	if rec.Analysis == nil {
		return nil
	}
	var out []string
	for _, a := range rec.Analysis.Actions {
		for _, f := range a.Files {
			if f.Path != "" && !slices.Contains(out, f.Path) {
				out = append(out, f.Path)
			}
		}
	}
	return out
}

func hasAction(actions []analysis.Action, types ...analysis.ActionType) bool {
	return slices.ContainsFunc(actions, func(a analysis.Action) bool { return slices.Contains(types, a.Type) })
}
