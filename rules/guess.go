package rules

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/logtext"
	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// The learned category guess. When no signature matched, the unknown
// answer (unknown.go) still guesses a category; hand-written hints tuned
// on the visible logs did not carry over to fresh ones, so this guess is
// learned from them instead: a naive Bayes model (rules/internal/nb) over
// the words of the reason and the failing lines, trained on the labelled
// visible sets (never the sealed ones) by rules/internal/trainguess, which
// also cross-validates (leave one set out) the choices below. It is data:
// guessmodel.json, regenerated with `go generate ./rules/`, and held in
// sync with the logs by trainguess's tests. It only ever picks the guess
// of an answer that is already below policy.MinConfidence, and never
// overrules a signature that decided: cross-validated, every rule for
// doing so (weak tier or low confidence, high posterior) broke at least
// as many right answers as it fixed (trainguess/override.go).

//go:generate go run ./internal/trainguess -o guessmodel.json

//go:embed guessmodel.json
var guessModelJSON []byte

// GuessOrder is where the learned guess stands among the hints.
type GuessOrder int

const (
	// GuessLast: only when no family hint, weak marker or step name gave one.
	GuessLast GuessOrder = iota
	// GuessAfterFamily: after the family hints, before the weak markers
	// and the step name. (Before every hint was worse in every
	// cross-validation run, and is gone: trainguess's grid notes it.)
	GuessAfterFamily
)

// GuessConfig is how the unknown answer uses a model. The defaults
// (defaultGuess) are the ones cross-validation chose; trainguess -cv
// compares others.
type GuessConfig struct {
	Model        *nb.Model
	Context      int     // failing lines' neighbours on each side to read; -1: every log line
	LastLines    int     // with no failing line, how many last log lines to read instead
	MinPosterior float64 // below it the learned guess is not used
	Order        GuessOrder
	// CodeBoost multiplies code's prior: code is the cautious default (a
	// person looks at the change), so another category must win clearly.
	CodeBoost float64
	MinWords  int // the fewest words that must speak for the guess
	// NoFailureLines: for a log with no failure line (nofailure.go), how
	// many of its last lines the model reads for the placeholder
	// category; 0 keeps infrastructure, the placeholder's default.
	NoFailureLines int
}

// Chosen by `go run ./rules/internal/trainguess -cv` (leave one visible set
// out, scored on the held-out logs no signature matched): the failing
// lines and one neighbour each, no last lines without a failing line,
// after every hint (before them, or right after the family hints, was
// worse in every run: the hints were tuned on these sets), no posterior
// floor beyond code's doubled prior, at least two words for the guess.
// The run that chose them (seven visible sets then, 123 held-out logs no
// signature matched): these settings get the guess right for 89, against 69 with the
// hints and the code default alone (corpus4 11/28 to 21/28, corpus5 7/41
// to 19/41; corpus 30/31 to 28/31, the one set it costs). They are not
// the grid's best: reading no neighbour lines (context 0) gets 91. The
// top of the grid is a plateau two logs deep, which is noise at this
// size, so the settings chosen when they were the most cautious of the
// tied best (one neighbour read, two words required) are kept rather than
// refitted to these sets.
const (
	guessContext      = 1
	guessLastLines    = 0
	guessMinPosterior = 0.0
	guessOrder        = GuessLast
	guessCodeBoost    = 2.0
	guessMinWords     = 2
	// The no-failure answer's guess reads the last 10 lines: by -cv, 13
	// of 21 held-out no-failure logs right against 6 for the placeholder
	// (3 lines 12, 5 lines 14, 20 and 40 lines 13: a plateau, and 10 was
	// chosen when it led, so it stays).
	guessNoFailureLines = 10
)

// The defaults, for trainguess: the context the committed model was
// trained with, and the order and threshold its -cv reports on.
const (
	GuessContext             = guessContext
	GuessLastLines           = guessLastLines
	DefaultGuessOrder        = guessOrder
	DefaultGuessMinPosterior = guessMinPosterior
	DefaultGuessCodeBoost    = guessCodeBoost
	DefaultGuessMinWords     = guessMinWords
	DefaultNoFailureLines    = guessNoFailureLines
	// GuessLastOnly, as GuessText's context, reads the last lines whatever
	// they are, as the no-failure answer's guess does.
	GuessLastOnly = lastOnly
)

// defaultGuess is the committed model with the defaults, or no learned
// guess (a zero GuessConfig: the hints and the code default decide) when
// the embedded model does not load: Classify never fails, and a model
// that cannot be trusted is not used. TestDefaultGuessLoads holds the
// committed one to loading.
var defaultGuess = sync.OnceValue(func() GuessConfig {
	g, err := loadGuess(guessModelJSON)
	if err != nil {
		return GuessConfig{}
	}
	return g
})

// loadGuess reads a model and checks that every class it may answer is a
// category: its answer becomes the result's category, which the safety
// gate trusts to be one of analysis.Categories.
func loadGuess(data []byte) (GuessConfig, error) {
	m, err := nb.Load(data)
	if err != nil {
		return GuessConfig{}, fmt.Errorf("rules: embedded guessmodel.json: %w", err)
	}
	for _, c := range m.Classes {
		if !analysis.Category(c).Valid() {
			return GuessConfig{}, fmt.Errorf("rules: embedded guessmodel.json: class %q is not a category", c)
		}
	}
	return GuessConfig{Model: m, Context: guessContext, LastLines: guessLastLines, MinPosterior: guessMinPosterior, Order: guessOrder, CodeBoost: guessCodeBoost, MinWords: guessMinWords, NoFailureLines: guessNoFailureLines}, nil
}

// ClassifyGuessing is Classify with another learned guess (or none, with a
// zero GuessConfig): for trainguess's cross-validation.
func ClassifyGuessing(in Input, g GuessConfig) analysis.AnalysisResult {
	return classify(in, func() GuessConfig { return g })
}

// GuessText is what the learned guess reads of in: the reason and the log
// lines that read as failures (isFailureLine, as the no-failure check
// decides), each with context neighbours; with no failure line, the last
// lastLines lines. Exported for trainguess, which must train on the same
// text.
func GuessText(in Input, context, lastLines int) string {
	return newScan(in).guessText(context, lastLines)
}

// maxGuessLines bounds what the guess reads; guessWindow is how much of
// the end of the log it looks at. ccm's excerpts are far smaller (the
// visible sets' largest is 9 KB), so the window only bounds the cost on a
// raw log, where the failure is near the end anyway.
const (
	maxGuessLines = 400
	guessWindow   = 16 << 10
)

// mayFailWords are words of which every failure line isFailureLine finds
// holds one (ASCII lines; others are always checked): these, written for
// the visible logs' failure lines and the expressions' words, and every
// marker the excerpt rates a line by (excerpt.MarkerWords, lowercased,
// those not already holding one of these). Only lines holding one are
// checked: isFailureLine's expressions cost microseconds a line, too much
// for every line of a large raw log.
var mayFailWords = withMarkerWords([][]byte{
	[]byte("err"), []byte("fail"), []byte("fatal"), []byte("exception"), []byte("panic"), []byte("denied"),
	[]byte("not "), []byte("cannot"), []byte("can't"), []byte("could"), []byte("unable"), []byte("time"),
	[]byte("kill"), []byte("refused"), []byte("invalid"), []byte("exit"), []byte("missing"), []byte("no such"),
	[]byte("traceback"), []byte("abort"), []byte("segmentation"), []byte("unsatisf"), []byte("conflict"),
	[]byte("unexpected"), []byte("undefined"), []byte("expected"), []byte("assert"), []byte("terminat"),
	[]byte("memory"), []byte("no space"), []byte("exist"), []byte("unreachable"), []byte("forbidden"),
	[]byte("unauthori"), []byte("reject"), []byte("violat"), []byte("wrong"), []byte("broken"), []byte("cancel"),
	[]byte("[!]"), []byte("problem"), []byte("require"), []byte("unknown"), []byte("crash"),
	[]byte("expect"), []byte("mismatch"), []byte("deadline"), []byte("received"), []byte("note:"),
	[]byte("unrecognized"), []byte("unused"), []byte("actual"), []byte("stopped"), []byte("rate limit"),
	[]byte("too many"), []byte("disk space"), []byte("gateway"), []byte("fehler"), []byte("gefunden"),
	[]byte("more than"), []byte("exceeded"), []byte("return code"), []byte("only install"),
	[]byte("lost"), []byte("sig"), []byte("unresolved"), []byte("retry"), []byte("candidate"), []byte("#test"), []byte(" @ line "),
	[]byte("response status"), []byte("reformat"), []byte("referenced from"), []byte("depends: "), []byte(" : breaks: "),
	[]byte("no valid"), []byte("status code"),
})

// withMarkerWords adds to words the lowercased excerpt markers that read
// as a failure on their own or inside a line ("WARNING: DATA RACE"; not
// "TS" or "E   ", which need the rest of their line) and that none of
// words is part of.
func withMarkerWords(words [][]byte) [][]byte {
	for _, m := range excerpt.MarkerWords() {
		low := logtext.ASCIILower(m)
		if (isFailureLine(m) || isFailureLine("step: "+m)) && !slices.ContainsFunc(words, func(w []byte) bool { return bytes.Contains(low, w) }) {
			words = append(words, low)
		}
	}
	return words
}

func mayFail(low []byte) bool {
	if !isASCII(low) {
		return true
	}
	if t := bytes.TrimSpace(low); bytes.HasPrefix(t, []byte("e ")) {
		return true // pytest's failure detail lines ("E       assert 1 == 2")
	} else if bytes.HasSuffix(t, []byte(":")) && bytes.Contains(t, []byte("::")) {
		return true // RSpec's exception class over its message ("Capybara::ElementNotFound:")
	} else if cmdletHead(t) {
		return true // PowerShell's error record, whatever its message says ("Install-Package: No match was found …")
	}
	for _, w := range mayFailWords {
		if bytes.Contains(low, w) {
			return true
		}
	}
	return false
}

// cmdletHead reports a lowercased line that starts as a PowerShell cmdlet's
// error record does, "verb-noun: " or "verb-noun : " (excerpt rates the
// whole record).
func cmdletHead(t []byte) bool {
	i := 0
	for i < len(t) && t[i] >= 'a' && t[i] <= 'z' {
		i++
	}
	if i < 2 || i >= len(t) || t[i] != '-' {
		return false
	}
	j := i + 1
	for j < len(t) && t[j] >= 'a' && t[j] <= 'z' {
		j++
	}
	rest := t[j:]
	return j > i+1 && (bytes.HasPrefix(rest, []byte(": ")) || bytes.HasPrefix(rest, []byte(" : ")))
}

func (sc scanned) guessText(context, lastLines int) string {
	var lines []string
	var failing []bool
	from := min(sc.logFrom, len(sc.text))
	if len(sc.text)-from > guessWindow {
		from = len(sc.text) - guessWindow
		from += strings.IndexByte(sc.text[from:], '\n') + 1
	}
	for off := from; off < len(sc.text); {
		end := len(sc.text)
		if i := strings.IndexByte(sc.text[off:], '\n'); i >= 0 {
			end = off + i
		}
		line := ccmMarks.ReplaceAllString(sc.text[off:end], " ")
		if t := strings.TrimSpace(line); t != "" && !isCCMLine(t) {
			lines = append(lines, line)
			failing = append(failing, mayFail(sc.low[off:end]) && isFailureLine(line))
		}
		off = end + 1
	}
	var b strings.Builder
	// The reason, unless it is only the generic exit line (its words are
	// the same whatever failed, as below).
	if reason := sc.text[:min(sc.logFrom, len(sc.text))]; !genericExit.MatchString(strings.TrimSpace(reason)) {
		b.WriteString(reason)
	}
	if context == lastOnly {
		// The last lines whatever they are: their failure-looking lines
		// are ones the job went on after (nofailure.go).
		context, failing = 0, make([]bool, len(lines))
	}
	if context < 0 {
		// Every line, the generic exit line's words unread as below.
		lines = slices.DeleteFunc(lines, genericExit.MatchString)
		for _, l := range lines[max(0, len(lines)-maxGuessLines):] {
			b.WriteString(l + "\n")
		}
		return b.String()
	}
	keep := make([]bool, len(lines))
	any := false
	for i := range lines {
		if failing[i] {
			any = true
			for j := max(0, i-context); j <= min(len(lines)-1, i+context); j++ {
				keep[j] = true
			}
		}
	}
	if !any {
		for j := max(0, len(lines)-lastLines); j < len(lines); j++ {
			keep[j] = true
		}
	}
	n := 0
	for i, l := range lines {
		if keep[i] && n < maxGuessLines && !genericExit.MatchString(l) {
			b.WriteString(l + "\n")
			n++
		}
	}
	return b.String()
}

// lastOnly, as guessText's context, reads the last lines (lastLines of
// them) whether or not they read as failures: the no-failure answer's
// guess, whose log's failure-looking lines are ones the job went on after.
const lastOnly = -2

// ccmMarks are what ccm itself wrote into a log line (a redacted secret,
// a cut or skipped stretch): their words say nothing about the failure,
// and "credentials" or "line" would sway the guess.
var ccmMarks = regexp.MustCompile(`\[REDACTED:[a-z_]+\]|\[… [^\]\n]{0,80}\]`)

// genericExit is a CI wrapper's closing line, the same whatever failed
// ("Process completed with exit code 1", Jenkins' "script returned exit
// code 1"). It marks the failure (its neighbours are read) but its words
// are not read: they would make a guess of any log that has nothing else.
var genericExit = regexp.MustCompile(`(?i)^\s*(?:##\[error\]\s*)?(?:error:?\s*)?(?:process completed with exit code \d+|script returned exit code \d+|job failed: exit code \d+|finished: failure|build step '[^']*' marked build as failure|the command .{0,200} exited with \d+)\.?\s*$`)

// learnedGuess is the model's guess for sc, when it is sure enough; read
// names the lines it read, for the reasoning ("the failing lines").
func (sc scanned) learnedGuess(g GuessConfig, read string) (analysis.Category, string, bool) {
	if g.Model == nil {
		return "", "", false
	}
	p := g.Model.Predict(nb.Tokenize(sc.guessText(g.Context, g.LastLines), g.Model.Bigrams, g.Model.Stop), map[string]float64{string(analysis.CategoryCode): g.CodeBoost})
	if p.Posterior < g.MinPosterior || len(p.Words) == 0 || len(p.Words) < g.MinWords || p.Class == string(analysis.CategoryCode) {
		return "", "", false
	}
	quoted := make([]string, len(p.Words))
	for i, w := range p.Words {
		quoted[i] = "'" + w + "'"
	}
	why := fmt.Sprintf("%s' words are most like %s failures ccm has seen (posterior %.2f; words: %s)", read, p.Class, p.Posterior, strings.Join(quoted, ", "))
	return analysis.Category(p.Class), why, true
}

// Winner is the signature that decides in's answer and its precedence
// tier (signatures.go), ok false when none does (the unknown or no-failure
// answer): for trainguess, which cross-validates when the learned guess
// may question a signature.
func Winner(in Input) (sig string, tier int, ok bool) {
	sc := newScan(in)
	hits := rank(in, sc, sc.match())
	i := decider(hits)
	if i < 0 {
		return "", 0, false
	}
	return hits[i].sig.name, hits[i].tier, true
}
