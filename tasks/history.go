package tasks

import (
	"context"
	"log/slog"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/history"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/state"
)

// historyFacts reads what ccm's records say about rec's fingerprint in its
// repository this week, relative to rec; nil when there is nothing to
// read (no fingerprint) or the read failed. A failed read is logged and
// the analysis goes on without history: the log alone still explains the
// failure, and history only ever adds evidence.
func (h *Handlers) historyFacts(ctx context.Context, rec state.FailureRecord, log *slog.Logger) *history.Facts {
	if rec.Fingerprint == "" || rec.LogUnavailable {
		return nil
	}
	fh, err := h.d.Store.History(ctx, rec.Repo, rec.Fingerprint, h.d.now())
	if err != nil {
		log.Warn("fingerprint history unavailable; analysing without it", "fingerprint", rec.Fingerprint, "err", err)
		return nil
	}
	f := fh.Facts(rec)
	return &f
}

// applyHistory applies the history rule (history.Apply) to the analysis to
// store. Whether the log is a plain test failure is the rules' verdict
// blind to the change: they say flaky_test only for a failing test with
// no stronger signal (a compile, lint or dependency error ranks above), so
// a compile error never becomes flaky. The rules run again only when the
// history could move code to flaky_test.
func applyHistory(a analysis.AnalysisResult, req llm.Request, filesUnknown bool) (analysis.AnalysisResult, history.Outcome) {
	if req.History == nil {
		return a, history.Outcome{}
	}
	in := history.Input{Facts: *req.History, ChangedFiles: req.ChangedFiles, ChangedFilesUnknown: filesUnknown}
	if history.FlakySignal(in.Facts) && a.Category == analysis.CategoryCode {
		blind := req
		blind.ChangedFiles = nil
		// A test failure a rule signature saw in the log, not a guess (no
		// known signature: a hint or the learned model's word likeness)
		// nor a no-failure answer's placeholder: history must not build a
		// re-run on words alone.
		r := llm.Classify(blind)
		in.TestFailure = r.Category == analysis.CategoryFlakyTest && !r.NoFailureFound() && !r.Guessed()
	}
	return history.Apply(a, in)
}
