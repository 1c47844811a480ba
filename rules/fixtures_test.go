package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
)

// score counts correct classifications per category.
type score struct{ right, total map[analysis.Category]int }

func newScore() score { return score{map[analysis.Category]int{}, map[analysis.Category]int{}} }

func (s score) add(want, got analysis.Category) {
	s.total[want]++
	if want == got {
		s.right[want]++
	}
}

func (s score) sum() (right, total int) {
	for _, c := range analysis.Categories {
		right += s.right[c]
		total += s.total[c]
	}
	return right, total
}

func (s score) log(t *testing.T, label string) {
	t.Helper()
	for _, c := range analysis.Categories {
		if s.total[c] > 0 {
			t.Logf("%-8s %-15s %2d/%-2d", label, c, s.right[c], s.total[c])
		}
	}
	r, n := s.sum()
	t.Logf("%-8s %-15s %2d/%-2d (%.0f%%)", label, "all", r, n, 100*float64(r)/float64(n))
}

// TestClassifyFixtures reports accuracy per category on the labelled real
// logs and fails when it drops below what the analyzer reaches today. The
// rules were written against labelled and extra (floors at 100%); the
// corpus is held out (its first measurement, before any rule change for
// it, was 74/136): its floor is today's figure, not 100%, so a change that
// fits it by a single string shows up as a gain nobody can keep.
func TestClassifyFixtures(t *testing.T) {
	sets := []struct {
		name  string
		logs  []cilogs.Log
		floor int // correct classifications today
	}{
		// 33: one of its JavaScript per-test timeouts hung every time, and
		// js-test-timeout answers flaky_test (the labelled sets' rate).
		{name: cilogs.SetLabelled, logs: cilogs.Labelled(), floor: 33},
		{name: cilogs.SetExtra, logs: cilogs.Extra(), floor: 35},
		{name: cilogs.SetCorpus, logs: cilogs.Corpus(), floor: corpusFloor},
		{name: cilogs.SetCorpus2, logs: cilogs.Corpus2(), floor: corpus2Floor},
		{name: cilogs.SetCorpus3, logs: cilogs.Corpus3(), floor: corpus3Floor},
		{name: cilogs.SetCorpus4, logs: cilogs.Corpus4(), floor: corpus4Floor},
		{name: cilogs.SetCorpus5, logs: cilogs.Corpus5(), floor: corpus5Floor},
		{name: cilogs.SetCorpus6, logs: cilogs.Corpus6(), floor: corpus6Floor},
		{name: cilogs.SetCorpus7, logs: cilogs.Corpus7(), floor: corpus7Floor},
		{name: cilogs.SetCorpus8, logs: cilogs.Corpus8(), floor: corpus8Floor},
		{name: cilogs.SetCorpus9, logs: cilogs.Corpus9(), floor: corpus9Floor},
		{name: cilogs.SetCorpus10, logs: cilogs.Corpus10(), floor: corpus10Floor},
		{name: cilogs.SetCorpus11, logs: cilogs.Corpus11(), floor: corpus11Floor},
		{name: cilogs.SetCorpus12, logs: cilogs.Corpus12(), floor: corpus12Floor},
		{name: cilogs.SetCorpus13, logs: cilogs.Corpus13(), floor: corpus13Floor},
		{name: cilogs.SetCorpus14, logs: cilogs.Corpus14(), floor: corpus14Floor},
		{name: cilogs.SetCorpus15, logs: cilogs.Corpus15(), floor: corpus15Floor},
		{name: cilogs.SetCorpus16, logs: cilogs.Corpus16(), floor: corpus16Floor},
	}
	all := newScore()
	for _, set := range sets {
		s := newScore()
		for _, l := range set.logs {
			want := analysis.Category(l.Category)
			got := Classify(Input{Text: l.Log})
			if err := got.Validate(); err != nil {
				t.Errorf("%s: invalid result: %v", l.ID, err)
			}
			s.add(want, got.Category)
			all.add(want, got.Category)
			if got.Category != want {
				t.Logf("MISS %s: want %s got %s (conf %d): %s", l.ID, want, got.Category, got.Confidence, got.Reasoning)
			}
			if got.Category == want && !slices.ContainsFunc(got.Evidence, func(e string) bool {
				return strings.Contains(l.KeyLine, e) || strings.Contains(e, strings.TrimSpace(l.KeyLine))
			}) {
				t.Logf("note %s: evidence %q does not include key line %q", l.ID, got.Evidence, l.KeyLine)
			}
		}
		s.log(t, set.name)
		if r, _ := s.sum(); r < set.floor {
			t.Errorf("%s: %d correct, floor is %d", set.name, r, set.floor)
		}
	}
	all.log(t, "both")
}

// corpusFloor and corpusAsFedFloor are the held-out corpus's figures
// today (raw log, and as ccm feeds it).
const (
	corpusFloor      = 126
	corpusAsFedFloor = 126
	// corpus2 was first measured, before any rule changed for it, at
	// 66/100 as fed (ccm analyze --rules-only) and 65/100 raw.
	// 93 once the model learned from the signatures' example lines too, 94
	// once js-test-timeout answered flaky_test.
	corpus2Floor      = 94
	corpus2AsFedFloor = 94
	// corpus3 was collected after all the tuning on corpus2 and first
	// measured before any change for it (60/80). The floors moved with the
	// relabelling to cilogs/README.md's conventions (corpus +1, corpus2
	// and corpus3 -1: labels changed, not the rules).
	// The no-failure answer's learned guess (nofailure.go) cost it 2.
	// 72 with the per-test timeouts of Dart and ExUnit read as flaky and
	// Jest's worker memory verdict as infrastructure.
	corpus3Floor      = 72
	corpus3AsFedFloor = 72
	// corpus4 was collected with sealed2 and first measured (as fed) at
	// 52/98, before any rule changed for it.
	// 94 with the per-test timeouts of Dart and ExUnit read as flaky and
	// Jest's worker memory verdict as infrastructure.
	corpus4Floor      = 94
	corpus4AsFedFloor = 94
	// corpus5 was collected after the learned guess was chosen and first
	// measured (as fed) at 109/150, before any change for it; 122/150 once
	// the learned guess was trained on it too (corpus and corpus4 lost one).
	// 128/150 with the no-failure answer's learned guess, 127 with the
	// signatures' example lines in the model's training data, 126 once
	// the lines found in sealed5's logs left that data, 125 once a log of
	// passing tests kept the no-failure placeholder, 128 with the second
	// round of reason families (CircleCI's memory limit, Zuul's report),
	// 129 with the model retrained with corpus10's families.
	// 127 once the model was trained on corpus11 too, 129 once Kubernetes'
	// test waits read as flaky; 128 once the model was trained on corpus12
	// and corpus13 too.
	corpus5Floor      = 128
	corpus5AsFedFloor = 128
	// corpus6 was collected blind with sealed4 and first measured (as fed)
	// at 89/125, before any change for it; 93/125 with the no-failure
	// answer's learned guess (chosen by cross-validation on the other sets),
	// 103/125 once the model was trained on it too, 106/125 once plain-word
	// failure lines no longer read as a log without a failure, 107 with the
	// signatures' example lines in the model's training data, 108 with
	// JavaScript per-test timeouts answering flaky_test, 106 once retry and
	// TAP TODO lines stopped reading as failures (a retrained model's
	// jitter: two unmatched logs' guesses).
	// 107 (as fed 109) with the per-test timeouts of Dart and ExUnit read as
	// flaky and Jest's worker memory verdict as infrastructure.
	// As fed 108 once the model was trained on corpus15 too.
	corpus6Floor      = 107
	corpus6AsFedFloor = 108
	// corpus7 was collected blind with sealed6 and first measured at 57/84
	// (reason 63/84), before any change for it; 65/84 once the learned
	// guess was trained on it too (sealed3 -1 and sealed5 -2 with it: a
	// retrained model's jitter, see rules/sealed_test.go); 69/84 with its
	// category families (bare "Killed", apt's lock, yarn's YN0028, the
	// Docker daemon on CircleCI) and reason families; 70/84 once apt's
	// missing packages answered config, 71/84 once a 404 in a job that
	// publishes to npm answered config.
	corpus7Floor      = 71
	corpus7AsFedFloor = 71
	// corpus8 was collected blind (Q&A pages, less common stacks) and
	// first measured at 52/90 (reason 66/90), before any change for it;
	// 65/90 once the learned guess was trained on it too; 72/90 with its
	// category families (compile errors inside a dependency's source,
	// Julia's compat bounds, apt's missing packages, tools' internal
	// errors); 71/90 once review narrowed two of them (pytest's
	// INTERNALERROR and Julia's compat warning read too much as a cause),
	// 70/90 once a PowerShell error became one log's reason (its words
	// read as config to the learned guess; labelled infrastructure).
	// 69/90 once the model was trained on corpus10 too, 70/90 once it was
	// retrained with corpus10's families.
	// 71 with the per-test timeouts of Dart and ExUnit read as flaky and
	// Jest's worker memory verdict as infrastructure.
	// 70 once the model was trained on corpus11 too; 69 once it was
	// trained on corpus12 and corpus13 too (with apt's unmet-dependency
	// rows among the failure lines it reads); 70 again once GHC's
	// message joined its header in one log's reason (the model's words).
	// 69 once the model was trained on corpus16 too.
	corpus8Floor      = 69
	corpus8AsFedFloor = 69
	// corpus9 was collected blind with sealed7 and first measured at 52/76
	// (reason 60/76), before any change for it; 65/76 once the learned
	// guess was trained on it too, 66/76 with the Groovy compiler's
	// diagnostics read as errors; 65/76 once the model was trained on
	// corpus10 too; 63/76 once the model was retrained on the fifth
	// session's excerpt changes and corpus15 (two unmatched logs' guesses);
	// 64/76 once sealed13's logs took their signature example lines out of
	// the model's training data.
	corpus9Floor      = 64
	corpus9AsFedFloor = 64
	// corpus10 was collected blind with sealed8 at the start of the third
	// 2026-12-06 session and first measured at 65/91 (reason 74/91),
	// before any change for it; 72/91 once the learned guess was trained
	// on it too; 76/91 with its families (an installed package's removed
	// name, Ivy's table rows, Netlify's time limit; the model retrained).
	// 77 once the model was trained on corpus11 too; raw 78 once it was
	// trained on corpus12 and corpus13 too.
	corpus10Floor      = 78
	corpus10AsFedFloor = 77
	// corpus11 was collected blind later that session and first measured
	// at 113/157 (reason 115/157), with corpus10's families in and before
	// any change for it.
	// 128 once the learned guess was trained on it too; 132 (as fed 131)
	// with its families (CPython's regrtest timeout, a Jenkins node
	// offline; the model retrained).
	// 134 (as fed 133) once Kubernetes' test waits read as flaky; 133 (as
	// fed 132) once the model was trained on corpus12 and corpus13 too.
	corpus11Floor      = 133
	corpus11AsFedFloor = 132
	// corpus12 was collected blind with sealed9 at the start of the fourth
	// 2026-12-06 session and first measured at 75/84 (reason 67/84),
	// before any change for it; 77/84 with TeamCity's line prefix dropped
	// and Terraform's registry retries read as infrastructure; 78/84 once
	// the learned guess was trained on it too.
	corpus12Floor      = 78
	corpus12AsFedFloor = 78
	// corpus13 was collected blind later that session (forums, less common
	// stacks) and first measured at 46/59 (reason 48/59), with corpus12's
	// first families in and before any change for it; 47/59 with meson's
	// TIMEOUT row read as a timeout; 52/59 once the learned guess was
	// trained on it too.
	// Raw 51 once the model was trained on corpus16 too (as fed 52).
	corpus13Floor      = 51
	corpus13AsFedFloor = 52
	// corpus14 was collected blind late that session from CI systems with
	// less common line formats and first measured at 11/18 (reason 12/18),
	// before any change for it; 15/18 once the learned guess was trained
	// on it too.
	corpus14Floor      = 15
	corpus14AsFedFloor = 15
	// corpus15 was collected blind at the start of the fifth session and
	// first measured at 59/100 (reason 69/100), before any rule changed
	// for it; 61/100 with Node's heap limit read as config; 81/100 once the
	// learned guess was trained on it too.
	// 82 on corpus16.
	corpus15Floor      = 82
	corpus15AsFedFloor = 82
	// corpus16 was collected blind later in the fifth session and first
	// measured at 28/44 (reason 31/44), before any change for it; 27/44 with
	// its reason families (one unmatched log's guess read other words);
	// 31/44 once the learned guess was trained on it too; 33/44 with
	// tzdata's prompt read as the cause of the hang (config).
	corpus16Floor      = 33
	corpus16AsFedFloor = 33
)

// TestClassifyFixturesAsFed is TestClassifyFixtures on the input ccm builds
// in production: the excerpt's text with ccm's header, its reason and step.
func TestClassifyFixturesAsFed(t *testing.T) {
	sets := []struct {
		name  string
		logs  []cilogs.Log
		floor int
	}{
		{name: "labelled+extra", logs: cilogs.All(), floor: 68},
		{name: cilogs.SetCorpus, logs: cilogs.Corpus(), floor: corpusAsFedFloor},
		{name: cilogs.SetCorpus2, logs: cilogs.Corpus2(), floor: corpus2AsFedFloor},
		{name: cilogs.SetCorpus3, logs: cilogs.Corpus3(), floor: corpus3AsFedFloor},
		{name: cilogs.SetCorpus4, logs: cilogs.Corpus4(), floor: corpus4AsFedFloor},
		{name: cilogs.SetCorpus5, logs: cilogs.Corpus5(), floor: corpus5AsFedFloor},
		{name: cilogs.SetCorpus6, logs: cilogs.Corpus6(), floor: corpus6AsFedFloor},
		{name: cilogs.SetCorpus7, logs: cilogs.Corpus7(), floor: corpus7AsFedFloor},
		{name: cilogs.SetCorpus8, logs: cilogs.Corpus8(), floor: corpus8AsFedFloor},
		{name: cilogs.SetCorpus9, logs: cilogs.Corpus9(), floor: corpus9AsFedFloor},
		{name: cilogs.SetCorpus10, logs: cilogs.Corpus10(), floor: corpus10AsFedFloor},
		{name: cilogs.SetCorpus11, logs: cilogs.Corpus11(), floor: corpus11AsFedFloor},
		{name: cilogs.SetCorpus12, logs: cilogs.Corpus12(), floor: corpus12AsFedFloor},
		{name: cilogs.SetCorpus13, logs: cilogs.Corpus13(), floor: corpus13AsFedFloor},
		{name: cilogs.SetCorpus14, logs: cilogs.Corpus14(), floor: corpus14AsFedFloor},
		{name: cilogs.SetCorpus15, logs: cilogs.Corpus15(), floor: corpus15AsFedFloor},
		{name: cilogs.SetCorpus16, logs: cilogs.Corpus16(), floor: corpus16AsFedFloor},
	}
	for _, set := range sets {
		s := newScore()
		for _, l := range set.logs {
			got := Classify(ccmInput(t, l.Log))
			s.add(analysis.Category(l.Category), got.Category)
			if got.Category != analysis.Category(l.Category) {
				t.Logf("MISS %s: want %s got %s: %s", l.ID, l.Category, got.Category, got.Reasoning)
			}
		}
		s.log(t, set.name)
		if r, _ := s.sum(); r < set.floor {
			t.Errorf("%s as fed: %d correct, floor is %d", set.name, r, set.floor)
		}
	}
}

// TestFixturesTransientActions checks that logs labelled transient get a
// re-run when classified correctly, and deterministic ones do not, except
// the categories whose rules deliberately re-run (flaky tests, test
// timeouts).
func TestFixturesTransientActions(t *testing.T) {
	agree, total := 0, 0
	for _, l := range cilogs.All() {
		got := Classify(Input{Text: l.Log})
		if got.Category != analysis.Category(l.Category) {
			continue
		}
		total++
		rerun := slices.ContainsFunc(got.Actions, func(a analysis.Action) bool { return a.Type == analysis.ActionRerunFailedJobs })
		if rerun == l.Transient {
			agree++
		} else {
			t.Logf("transient mismatch %s: labelled %v, rerun %v", l.ID, l.Transient, rerun)
		}
	}
	t.Logf("re-run decision agrees with the transient label on %d/%d correctly classified logs", agree, total)
	if float64(agree) < 0.8*float64(total) {
		t.Errorf("re-run agreement %d/%d below 80%%", agree, total)
	}
}

// TestRulesPassValidate: the rule-based analyzer's verdicts meet the same
// contract (limits and cross-field rules) on every fixture log, alone,
// with changes that touch tests and workflows, and with long step names.
func TestRulesPassValidate(t *testing.T) {
	changes := [][]string{nil, {"src/app.test.ts", "tests/test_api.py", "pkg/x_test.go", ".github/workflows/ci.yml"}}
	for _, l := range cilogs.All() {
		for _, files := range changes {
			in := Input{Text: l.Log, ChangedFiles: files, FailingStep: strings.Repeat("step ", 200), JobName: "build"}
			if err := Classify(in).Validate(); err != nil {
				t.Errorf("%s (changed %v): %v", l.ID, files, err)
			}
		}
	}
}
