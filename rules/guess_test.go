package rules

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/logtext"
	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// handModel is a model of a few lines written for these tests, so the
// table below does not change when guessmodel.json is retrained.
func handModel(t *testing.T) *nb.Model {
	t.Helper()
	docs := []string{
		"setup version not found in manifest", "requested version not found for toolchain", "version not found available versions listed",
		"runner lost communication with server", "lost communication agent shutdown", "runner communication lost",
		"assertion expected value received", "expected value mismatch assertion",
	}
	labels := []string{"config", "config", "config", "infrastructure", "infrastructure", "infrastructure", "code", "code"}
	var toks [][]string
	for _, d := range docs {
		toks = append(toks, nb.Tokenize(d, true, true))
	}
	return nb.Train(toks, labels, true, true, 1, 2)
}

func TestUnknownLearnedGuess(t *testing.T) {
	m := handModel(t)
	cfg := GuessConfig{Model: m, Context: 1, MinPosterior: 0.5, Order: GuessLast, CodeBoost: 2, MinWords: 2}
	tests := []struct {
		name       string
		in         Input
		g          GuessConfig
		wantCat    analysis.Category
		wantAction analysis.ActionType
		wantConf   int
		wantInWhy  []string
	}{
		{
			name: "config words", g: cfg,
			in:      Input{Text: "Run setup-thing\nError: requested version not found in manifest\nError: Process completed with exit code 1."},
			wantCat: analysis.CategoryConfig, wantAction: analysis.ActionNone, wantConf: unknownConfidence,
			wantInWhy: []string{"guess, not a verdict: config, because the failing lines' words are most like config failures ccm has seen (posterior 0.", "; words: '", "'version'", "'found'"},
		},
		{
			// The action follows the guessed category (unknownActions).
			name: "infrastructure words ask for a re-run", g: cfg,
			in:      Input{Text: "step 3\nerror: agent shutdown, runner communication lost\n"},
			wantCat: analysis.CategoryInfrastructure, wantAction: analysis.ActionRerunFailedJobs, wantConf: unknownConfidence,
			wantInWhy: []string{"infrastructure, because the failing lines' words are most like infrastructure failures", "'communication'"},
		},
		{
			// The generic closing line's words are not read: nothing
			// else, no guess.
			name: "only the generic exit line", g: cfg,
			in:      Input{Text: "Error: Process completed with exit code 1."},
			wantCat: analysis.CategoryCode, wantAction: analysis.ActionNone, wantConf: unknownConfidence,
			wantInWhy: []string{"no hint in the log or the step name"},
		},
		{
			name: "fewer words than MinWords", g: cfg,
			in:      Input{Text: "error: manifest broken"},
			wantCat: analysis.CategoryCode, wantAction: analysis.ActionNone, wantConf: unknownConfidence,
			wantInWhy: []string{"no hint"},
		},
		{
			name: "below the minimum posterior", g: GuessConfig{Model: m, Context: 1, MinPosterior: 0.999999, CodeBoost: 2, MinWords: 2},
			in:      Input{Text: "error: version not found, expected value"},
			wantCat: analysis.CategoryCode, wantAction: analysis.ActionNone, wantConf: unknownConfidence,
			wantInWhy: []string{"no hint"},
		},
		{
			// Last: a hint (here the step's name) comes first.
			name: "a hint wins over the model", g: cfg,
			in:      Input{Text: "error: requested version not found in manifest", FailingStep: "Install dependencies"},
			wantCat: analysis.CategoryDependency, wantAction: analysis.ActionNone, wantConf: unknownHintConfidence,
			wantInWhy: []string{"from a hint", `"install"`},
		},
		{
			// After the family hints: before the step name's hint.
			name: "after family: the model wins over a step hint", g: GuessConfig{Model: m, Context: 1, Order: GuessAfterFamily, CodeBoost: 2, MinWords: 2},
			in:      Input{Text: "error: requested version not found in manifest", FailingStep: "Install dependencies"},
			wantCat: analysis.CategoryConfig, wantAction: analysis.ActionNone, wantConf: unknownConfidence,
			wantInWhy: []string{"config, because the failing lines' words"},
		},
		{
			name: "no model", g: GuessConfig{},
			in:      Input{Text: "error: requested version not found in manifest"},
			wantCat: analysis.CategoryCode, wantAction: analysis.ActionNone, wantConf: unknownConfidence,
			wantInWhy: []string{"no hint"},
		},
		{
			// The committed model: a log with nothing but a bare failure
			// says nothing about its cause.
			name: "committed model, nothing to go on", g: defaultGuess(),
			in:      Input{Text: "running build\nsomething odd happened\nError: Process completed with exit code 1."},
			wantCat: analysis.CategoryCode, wantAction: analysis.ActionNone, wantConf: unknownConfidence,
			wantInWhy: []string{"no hint"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ClassifyGuessing(tc.in, tc.g)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Category != tc.wantCat || len(got.Actions) != 1 || got.Actions[0].Type != tc.wantAction {
				t.Errorf("category %s, actions %v; want %s, %s", got.Category, got.Actions, tc.wantCat, tc.wantAction)
			}
			if got.Confidence != tc.wantConf || got.Confidence >= gateMinConfidence {
				t.Errorf("confidence %d, want %d (below %d)", got.Confidence, tc.wantConf, gateMinConfidence)
			}
			if !strings.HasPrefix(got.Reasoning, "No known signature matched, so the category is a guess, not a verdict") {
				t.Errorf("reasoning %q does not say it is a guess", got.Reasoning)
			}
			for _, w := range tc.wantInWhy {
				if !strings.Contains(got.Reasoning, w) {
					t.Errorf("reasoning %q lacks %q", got.Reasoning, w)
				}
			}
		})
	}
}

func TestGuessText(t *testing.T) {
	tests := []struct {
		name          string
		in            Input
		context, last int
		want          string
	}{
		{name: "reason and failing line with neighbours", in: Input{Reason: "boom", Text: "a\nb\nc\nError: broke\nd\ne\n"}, context: 1,
			want: "boom\nc\nError: broke\nd\n"},
		{name: "no context", in: Input{Text: "a\nError: broke\nd\n"}, context: 0, want: "Error: broke\n"},
		{name: "the generic exit line anchors but is not read", in: Input{Text: "a\nsetup went badly\nError: Process completed with exit code 1.\n"}, context: 1,
			want: "setup went badly\n"},
		{name: "every line: the generic exit line is not read either", in: Input{Text: "a\nsetup went badly\nError: Process completed with exit code 1.\n"}, context: -1,
			want: "a\nsetup went badly\n"},
		{name: "a reason that is only the generic exit line is not read", in: Input{Reason: "Process completed with exit code 1", Text: "a\nsetup went badly\nError: Process completed with exit code 1.\n"}, context: 1,
			want: "setup went badly\n"},
		{name: "the last lines whatever they are", in: Input{Text: "Error: broke\nb\nc\n"}, context: GuessLastOnly, last: 2, want: "b\nc\n"},
		{name: "no failing line, no last lines", in: Input{Text: "a\nb\n"}, context: 1, want: ""},
		{name: "no failing line, last lines", in: Input{Text: "a\nb\nc\n"}, context: 1, last: 2, want: "b\nc\n"},
		{name: "ccm's header and markers are not read", in: Input{Text: "Failing step: Build\nReason: x\n--- error lines ---\nError: broke\n"}, context: 1,
			want: "Error: broke\n"},
		{name: "ccm's redaction and cut marks are not read", in: Input{Text: "Error: push to https://[REDACTED:url_credentials]@git.example.com refused\nError: aaaa [… line cut, 9000 bytes]\n"}, context: 0,
			want: "Error: push to https:// @git.example.com refused\nError: aaaa  \n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := GuessText(tc.in, tc.context, tc.last); got != tc.want {
				t.Errorf("GuessText = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMayFailCoversFailureLines holds mayFail's prefilter to isFailureLine
// on the visible logs' excerpts: a failure line the prefilter misses would
// make the guess read other text at runtime than the model learned from.
func TestMayFailCoversFailureLines(t *testing.T) {
	for _, set := range cilogs.Visible() {
		for _, l := range set {
			ex := extracted(t, l.Log)
			for _, line := range strings.Split(withoutHeader(ex.Text()), "\n") {
				if isFailureLine(line) && !mayFail(logtext.ASCIILower(line)) {
					t.Errorf("%s: failure line without a mayFailWords word: %.200q", l.ID, line)
				}
			}
		}
	}
}

// A log with no failure line (nofailure.go) gets the model's guess from
// its last lines, still at the no-failure answer's confidence, with no
// action and the no-failure reasoning; a log reporting success keeps the
// infrastructure placeholder.
func TestNoFailureLearnedGuess(t *testing.T) {
	m := handModel(t)
	cfg := GuessConfig{Model: m, Context: 1, Order: GuessLast, CodeBoost: 2, MinWords: 2, NoFailureLines: 3}
	tests := []struct {
		name      string
		in        Input
		g         GuessConfig
		wantCat   analysis.Category
		wantInWhy []string
	}{
		{
			name: "last lines' words", g: cfg,
			in:        Input{Text: "Run ./ci.sh\nrunner communication lost\nagent shutdown\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure is a guess, not a verdict: the last 3 lines' words are most like infrastructure failures", "'communication'"},
		},
		{
			name: "config words", g: cfg,
			in:        Input{Text: "setting up toolchain\nrequested version 9.9 available versions listed\nnot in manifest\n"},
			wantCat:   analysis.CategoryConfig,
			wantInWhy: []string{"the category config is a guess, not a verdict: the last 3 lines'"},
		},
		{
			// Only the last lines are read: the words above them are not.
			name: "words above the last lines", g: cfg,
			in:        Input{Text: "runner communication lost\nagent shutdown\nstep one\nstep two\nstep three\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure only says so"},
		},
		{
			name: "a log that reports success keeps the placeholder", g: cfg,
			in:        Input{Text: "runner communication lost\nagent shutdown\n12 passed in 3.1s\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure only says so", "12 passed"},
		},
		{
			name: "yarn's Done line is success", g: cfg,
			in:        Input{Text: "runner communication lost\nagent shutdown\n✨  Done in 3.21s.\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure only says so", "Done in 3.21s."},
		},
		{
			// Per-test pass lines are success too: no guess from them.
			name: "a log of passing tests keeps the placeholder", g: cfg,
			in:        Input{Text: "runner communication lost\nagent shutdown\n> fetchesUser PASSED\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure only says so"},
		},
		{
			// Go's "=== RUN" says a test started, not that it passed: a
			// job killed mid-test still gets the guess.
			name: "a test that started is not a passing test", g: cfg,
			in:        Input{Text: "connected to runner agent on server\nagent server communication open\n=== RUN   TestHang\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure is a guess"},
		},
		{
			// A failure-looking line the job went on after (a later
			// GitHub step) is not what the guess reads: the last lines are.
			name: "a line the job went on after is not read", g: cfg,
			in: Input{Text: ghaLog("##[group]Run pip install -r requirements.txt",
				"ERROR: pip's dependency resolver does not currently take into account all the packages that are installed. This behaviour is the source of the following dependency conflicts.",
				"Successfully installed requests-2.31.0", "##[endgroup]",
				"##[group]Run ./build.sh", "connected to runner agent on server", "agent server communication open", "##[endgroup]")},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure is a guess", "'communication'"},
		},
		{
			name: "code is never the guess", g: cfg,
			in:        Input{Text: "assertion expected value received\nexpected value mismatch assertion\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure only says so"},
		},
		{
			name: "off", g: GuessConfig{Model: m, Context: 1, CodeBoost: 2, MinWords: 2},
			in:        Input{Text: "Run ./ci.sh\nrunner communication lost\nagent shutdown\n"},
			wantCat:   analysis.CategoryInfrastructure,
			wantInWhy: []string{"the category infrastructure only says so"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ClassifyGuessing(tc.in, tc.g)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !got.NoFailureFound() {
				t.Fatalf("not the no-failure answer: %q", got.Reasoning)
			}
			if got.Category != tc.wantCat || got.Confidence != noFailureConfidence || len(got.Actions) != 1 || got.Actions[0].Type != analysis.ActionNone {
				t.Errorf("category %s confidence %d actions %v; want %s, %d, none", got.Category, got.Confidence, got.Actions, tc.wantCat, noFailureConfidence)
			}
			for _, w := range tc.wantInWhy {
				if !strings.Contains(got.Reasoning, w) {
					t.Errorf("reasoning %q lacks %q", got.Reasoning, w)
				}
			}
		})
	}
}

// TestUnknownFixSaysItsActions: a guess's proposed fix says what its
// actions do. A transient-looking guess proposes a re-run, so its fix must
// say so (Property 9 found it silent when the learned guess answered
// flaky_test for a random line); the others propose nothing.
func TestUnknownFixSaysItsActions(t *testing.T) {
	rerun := regexp.MustCompile(`(?i)\bre-?run\b`)
	for _, cat := range analysis.Categories {
		t.Run(string(cat), func(t *testing.T) {
			acts, fix := unknownActions(cat), unknownFix(cat)
			proposes := acts[0].Type == analysis.ActionRerunFailedJobs
			if says := rerun.MatchString(fix); says != proposes {
				t.Errorf("actions %v, fix mentions a re-run = %v:\n%s", acts, says, fix)
			}
		})
	}
}
