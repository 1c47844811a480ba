package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt/keyline"
)

// TestSealedFloor holds the rules to the sealed sets' figures and prints
// the totals only: naming their misses would invite fitting rules to them,
// and their figures are worth something only while nobody has.
//
// What may lower a floor: a rule change is judged here with the learned
// guess's previous model first, and one that costs a sealed log is
// narrowed or dropped. Retraining the guess on a new visible set is not
// judged here: it trains on every visible set by design, and how it learns
// is chosen by leave-one-set-out cross-validation on the visible sets
// (trainguess -cv), never by these. Its moves, up or down, are recorded
// below with their cause (corpus11's: −4 in all).
func TestSealedFloor(t *testing.T) {
	sets := []struct {
		name  string
		logs  []cilogs.Log
		floor int
		// reasonFloor counts the reason ccm shows (Reason: the excerpt's,
		// or a signature's line instead of a bare exit status) carrying
		// the labelled line; excerpt's TestSealedReasonFloor counts the
		// excerpt's own.
		reasonFloor int
	}{
		// 37/60 before its sibling corpus2 was tuned on, 38/60 after, 37/60
		// once one label moved to cilogs/README.md's conventions, 38/60
		// after the families researched on 2026-12-05, 44/60 with the
		// learned guess (guess.go) for logs no signature matches, 42/60 once
		// its model was trained on corpus5 too (2 logs: noise at this size).
		// 44/60 with the signatures' example lines in its training data,
		// 45/60 once JavaScript per-test timeouts answered flaky_test, 46/60
		// with the model retrained after corpus11's last reason families
		// (with the previous model the change moves no sealed log), 45/60
		// again with the model retrained after review narrowed five of
		// those families (with the previous model: 46): the same log, the
		// retraining's jitter.
		// 46/60 once the model was trained on corpus12 and corpus13 too,
		// 45/60 on corpus16, 46/60 once sealed13's logs took the signature
		// example lines they hold out of the model's training data.
		{name: cilogs.SetSealed, logs: cilogs.Sealed(), floor: 46, reasonFloor: 48},
		// 52/80 when first measured, before any rule changed after its
		// collection; 54/80 after the families researched that day, 59/80
		// with the learned guess, 62/80 with the no-failure answer's guess
		// (nofailure.go), 60/80 with the signatures' example lines in the
		// model's training data, 61/80 once JavaScript per-test timeouts
		// answered flaky_test.
		// 63/80 once the model was trained on corpus8 too; 62/80 when it was
		// retrained on Groovy's and Ginkgo's reason lines (with the previous
		// model the change moves no sealed log), 63/80 again once sealed7's
		// lines left its training data, 62/80 after the last reason
		// families (sealed5 +1): the model's jitter on one log.
		// 64/80 once the model was trained on corpus10 too, 63/80 on
		// corpus11.
		// 64/80 once the model was trained on corpus12 and corpus13 too.
		{name: cilogs.SetSealed2, logs: cilogs.Sealed2(), floor: 64, reasonFloor: 73}, // reason 73 once a log ending in a stack trace gave the line above its frames
		// 58/83 (category) and 65/83 (reason) when first measured, at the
		// end of that day's work; 59/83 with the no-failure answer's guess,
		// 57/83 once the model was trained on corpus6 too (sealed4 +1), 56/83
		// once plain-word failure lines ("not ok 3", "x: not found") no
		// longer read as a log without a failure (a retrained model's
		// jitter: the other sealed sets did not move), 58/83 with the
		// signatures' example lines in the model's training data, 59/83
		// once example lines were looked for in logs loosely.
		// 58/83 once the model was trained on corpus7 too.
		// Reason 66/83 with the reason families of corpus7.
		// 59/83 once the model was trained on corpus8 too.
		// 60/83 with corpus8's category families (the retrained model's
		// answer on one log: with the previous model it stays 59).
		// 61/83 once the model was trained on corpus11 too.
		// 60/83 once the model was trained on corpus12 and corpus13 too,
		// 59/83 on corpus15.
		{name: cilogs.SetSealed3, logs: cilogs.Sealed3(), floor: 59, reasonFloor: 66},
		// 59/79 and 66/79 when first measured (2026-12-06), before any
		// change after its collection; 62/79 with the no-failure answer's
		// guess, 63/79 with the model trained on corpus6 too, 62/79 with the
		// signatures' example lines too (all four: 223 → 224 of 302).
		// 61/79 and 67/79 once passing logs' settings and retries stopped
		// reading as failures and the reason families of corpus6 came in.
		// 60/79 once the model was trained on corpus8 too (all six: +2).
		// Reason 68/79 with corpus8's reason families.
		// 61/79 once the model was trained on corpus9 too, 62/79 on corpus10.
		// Reason 69/79 with corpus12's reason families, 70/79 with corpus13's.
		// 61/79 once the model was trained on corpus14 too, 62/79 on corpus15.
		{name: cilogs.SetSealed4, logs: cilogs.Sealed4(), floor: 62, reasonFloor: 70},
		// 56/70 and 60/70 when first measured, at the end of 2026-12-06's
		// work: the set the next change is first judged on.
		// Reason 61/70 after the second round of reason families that day.
		// 54/70 once the model was trained on corpus7 too.
		// Reason 62/70 with the reason families of corpus7.
		// Reason 63/70 with corpus8's reason families.
		// 55/70 with the model retrained after the last reason families.
		// 56/70 once the model was trained on corpus10 too, 57/70 with
		// corpus10's families (the previous model: the same); 54/70 once the
		// model was trained on corpus11 too (the largest retraining move
		// yet: all eight sealed sets −4 in total).
		// 55/70 once the model was trained on corpus12 and corpus13 too.
		// 54/70 once sealed11's logs took the signature example lines they
		// hold out of the model's training data.
		// 55/70 once sealed13's logs took their example lines out of it.
		{name: cilogs.SetSealed5, logs: cilogs.Sealed5(), floor: 55, reasonFloor: 63},
		// 51/74 and 49/74 when first measured, at the start of the second
		// 2026-12-06 session, before any change after its collection.
		// 50/74 and 50/74 with corpus7's category and reason families (the
		// reasons +1; the retrained model's answer on one log -1).
		// 51/74 once the model was trained on corpus9 too; reason 51/74
		// with npm ci's lock file rows joined to its refusal.
		// 52/74 once the model was trained on corpus10 too, 51/74 on
		// corpus11.
		// 50/74 once the model was trained on corpus12 and corpus13 too.
		// 52/74 once the model was trained on corpus16 too.
		{name: cilogs.SetSealed6, logs: cilogs.Sealed6(), floor: 52, reasonFloor: 51},
		// 29/41 and 32/41 when first measured, at the end of the second
		// 2026-12-06 session, after its changes.
		// 28/41 once the model was trained on corpus12 and corpus13 too,
		// 29/41 on corpus14.
		{name: cilogs.SetSealed7, logs: cilogs.Sealed7(), floor: 29, reasonFloor: 32},
		// 42/54 and 36/54 when first measured, at the start of the third
		// 2026-12-06 session, before any change after its collection;
		// 43/54 once the model was trained on corpus10 too, 44/54 with
		// corpus10's families (the previous model: the same).
		// 45/54 once the model was trained on corpus12 and corpus13 too.
		{name: cilogs.SetSealed8, logs: cilogs.Sealed8(), floor: 45, reasonFloor: 36},
		// 40/52 and 41/52 when first measured, at the start of the fourth
		// 2026-12-06 session, before any change after its collection; the
		// same with that session's families and the model trained on
		// corpus12 and corpus13 too.
		{name: cilogs.SetSealed9, logs: cilogs.Sealed9(), floor: 40, reasonFloor: 41},
		// 25/29 and 21/29 when first measured, at the end of the fourth
		// 2026-12-06 session's changes.
		{name: cilogs.SetSealed10, logs: cilogs.Sealed10(), floor: 25, reasonFloor: 21},
		// 13/24 and 17/24 when first measured, at the end of the fourth
		// 2026-12-06 session, after all its changes.
		// 12/24 once the model was trained on corpus15 too.
		// 13/24 again once the model was trained on corpus16 too.
		{name: cilogs.SetSealed11, logs: cilogs.Sealed11(), floor: 13, reasonFloor: 17},
		// 27/35 and 24/35 when first measured, at the start of the fifth
		// 2026-12-06 session, before any rule changed after its collection
		// (redaction's fixes were in); the same with corpus15's families and
		// the model trained on corpus15.
		{name: cilogs.SetSealed12, logs: cilogs.Sealed12(), floor: 27, reasonFloor: 24},
		// 32/44 and 29/44 when first measured, late in the fifth 2026-12-06
		// session, after most of its changes (all but the new-user trial's
		// reason families, which moved neither figure).
		{name: cilogs.SetSealed13, logs: cilogs.Sealed13(), floor: 32, reasonFloor: 29},
	}
	for _, set := range sets {
		right, reasons := 0, 0
		for _, l := range set.logs {
			in := ccmInput(t, l.Log)
			if Classify(in).Category == analysis.Category(l.Category) {
				right++
			}
			if keyline.Hit(in.Reason, l.KeyLine) {
				reasons++
			}
		}
		t.Logf("%s: category %d/%d, reason %d/%d", set.name, right, len(set.logs), reasons, len(set.logs))
		if right < set.floor {
			t.Errorf("%s: %d/%d correct, floor %d (measure with go run ./rules/internal/measure -sealed; do not read its misses)", set.name, right, len(set.logs), set.floor)
		}
		if reasons < set.reasonFloor {
			t.Errorf("%s: reason line in %d/%d, floor %d (do not read its misses)", set.name, reasons, len(set.logs), set.reasonFloor)
		}
	}
}
