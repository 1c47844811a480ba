// Package cilogs holds real CI failure logs from public projects, labelled
// from what each project's own issue thread concluded; tests use them, and
// `ccm sandbox` will replay them.
//
// The logs are compiled in so that every package reads the same copy, from
// any working directory. See README.md for what the fields mean.
package cilogs

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
)

// The two sets, as found in Log.Set.
const (
	SetLabelled = "labelled"
	SetExtra    = "extra"
	SetCorpus   = "corpus"
	SetCorpus2  = "corpus2"
	SetSealed   = "sealed"
	SetCorpus3  = "corpus3"
	SetSealed2  = "sealed2"
	SetSealed3  = "sealed3"
	SetCorpus4  = "corpus4"
	SetCorpus5  = "corpus5"
	SetCorpus6  = "corpus6"
	SetSealed4  = "sealed4"
	SetSealed5  = "sealed5"
	SetCorpus7  = "corpus7"
	SetSealed6  = "sealed6"
	SetCorpus8  = "corpus8"
	SetCorpus9  = "corpus9"
	SetSealed7  = "sealed7"
	SetCorpus10 = "corpus10"
	SetSealed8  = "sealed8"
	SetCorpus11 = "corpus11"
	SetSealed9  = "sealed9"
	SetCorpus12 = "corpus12"
	SetCorpus13 = "corpus13"
	SetSealed10 = "sealed10"
	SetCorpus14 = "corpus14"
	SetSealed11 = "sealed11"
	SetSealed12 = "sealed12"
	SetCorpus15 = "corpus15"
	SetCorpus16 = "corpus16"
	SetSealed13 = "sealed13"
)

// Log is one labelled real CI failure log.
type Log struct {
	ID       string `json:"id"`
	Source   string `json:"source"`   // where the log was published (issue, PR or file)
	CI       string `json:"ci"`       // github-actions, gitlab, jenkins, circleci or other
	Category string `json:"category"` // one of analysis.Categories
	// Transient says whether a plain re-run would most likely pass.
	Transient bool   `json:"transient"`
	KeyLine   string `json:"key_line"` // the root-cause line, verbatim from Log
	Log       string `json:"log"`
	// LabelBasis says why the labeller chose Category and Transient.
	LabelBasis string `json:"label_basis"`
	// Locale is the language of the log's messages ("en", "de"…); Shape is
	// full, excerpt (as people paste them), multi (several errors, one is
	// the cause) or passing-looking. Only the corpus sets record them.
	Locale string `json:"locale,omitempty"`
	Shape  string `json:"shape,omitempty"`
	// Set is one of the Set constants: which file the log came from.
	Set string `json:"-"`
}

var (
	//go:embed labelled.jsonl
	labelledJSONL []byte
	//go:embed extra.jsonl
	extraJSONL []byte
	//go:embed corpus.jsonl
	corpusJSONL []byte
	//go:embed corpus2.jsonl
	corpus2JSONL []byte
	//go:embed sealed.jsonl
	sealedJSONL []byte
	//go:embed corpus3.jsonl
	corpus3JSONL []byte
	//go:embed sealed2.jsonl
	sealed2JSONL []byte
	//go:embed corpus4.jsonl
	corpus4JSONL []byte
	//go:embed corpus5.jsonl
	corpus5JSONL []byte
	//go:embed sealed3.jsonl
	sealed3JSONL []byte
	//go:embed corpus6.jsonl
	corpus6JSONL []byte
	//go:embed sealed4.jsonl
	sealed4JSONL []byte
	//go:embed sealed5.jsonl
	sealed5JSONL []byte
	//go:embed corpus7.jsonl
	corpus7JSONL []byte
	//go:embed sealed6.jsonl
	sealed6JSONL []byte
	//go:embed corpus8.jsonl
	corpus8JSONL []byte
	//go:embed corpus9.jsonl
	corpus9JSONL []byte
	//go:embed sealed7.jsonl
	sealed7JSONL []byte
	//go:embed corpus10.jsonl
	corpus10JSONL []byte
	//go:embed sealed8.jsonl
	sealed8JSONL []byte
	//go:embed corpus11.jsonl
	corpus11JSONL []byte
	//go:embed sealed9.jsonl
	sealed9JSONL []byte
	//go:embed corpus12.jsonl
	corpus12JSONL []byte
	//go:embed corpus13.jsonl
	corpus13JSONL []byte
	//go:embed sealed10.jsonl
	sealed10JSONL []byte
	//go:embed corpus14.jsonl
	corpus14JSONL []byte
	//go:embed sealed11.jsonl
	sealed11JSONL []byte
	//go:embed sealed12.jsonl
	sealed12JSONL []byte
	//go:embed corpus15.jsonl
	corpus15JSONL []byte
	//go:embed corpus16.jsonl
	corpus16JSONL []byte
	//go:embed sealed13.jsonl
	sealed13JSONL []byte
)

// Each set is parsed on its first use, on its own: a caller of All (the
// sandbox, the shipped binary) parses the two sets it holds, never the
// sealed ones, which only their own measurements read.
var (
	labelled = parsed(SetLabelled, labelledJSONL)
	extra    = parsed(SetExtra, extraJSONL)
	corpus   = parsed(SetCorpus, corpusJSONL)
	corpus2  = parsed(SetCorpus2, corpus2JSONL)
	corpus3  = parsed(SetCorpus3, corpus3JSONL)
	corpus4  = parsed(SetCorpus4, corpus4JSONL)
	corpus5  = parsed(SetCorpus5, corpus5JSONL)
	corpus6  = parsed(SetCorpus6, corpus6JSONL)
	sealed   = parsed(SetSealed, sealedJSONL)
	sealed2  = parsed(SetSealed2, sealed2JSONL)
	sealed3  = parsed(SetSealed3, sealed3JSONL)
	sealed4  = parsed(SetSealed4, sealed4JSONL)
	sealed5  = parsed(SetSealed5, sealed5JSONL)
	corpus7  = parsed(SetCorpus7, corpus7JSONL)
	sealed6  = parsed(SetSealed6, sealed6JSONL)
	corpus8  = parsed(SetCorpus8, corpus8JSONL)
	corpus9  = parsed(SetCorpus9, corpus9JSONL)
	sealed7  = parsed(SetSealed7, sealed7JSONL)
	corpus10 = parsed(SetCorpus10, corpus10JSONL)
	sealed8  = parsed(SetSealed8, sealed8JSONL)
	corpus11 = parsed(SetCorpus11, corpus11JSONL)
	sealed9  = parsed(SetSealed9, sealed9JSONL)
	corpus12 = parsed(SetCorpus12, corpus12JSONL)
	corpus13 = parsed(SetCorpus13, corpus13JSONL)
	sealed10 = parsed(SetSealed10, sealed10JSONL)
	corpus14 = parsed(SetCorpus14, corpus14JSONL)
	sealed11 = parsed(SetSealed11, sealed11JSONL)
	sealed12 = parsed(SetSealed12, sealed12JSONL)
	corpus15 = parsed(SetCorpus15, corpus15JSONL)
	corpus16 = parsed(SetCorpus16, corpus16JSONL)
	sealed13 = parsed(SetSealed13, sealed13JSONL)
)

// parsed returns the set's logs, parsed once on the first call.
func parsed(set string, data []byte) func() []Log {
	return sync.OnceValue(func() []Log {
		parsedSets.Store(set, true)
		return mustParse(set, data)
	})
}

// parsedSets records which sets were parsed (set name → true), so that a
// test can hold All to parsing only its own.
var parsedSets sync.Map

// Labelled returns the shared fixture set (34 logs), in file order.
func Labelled() []Log {
	return slices.Clone(labelled())
}

// Extra returns the logs collected from public issues beyond the shared set.
func Extra() []Log {
	return slices.Clone(extra())
}

// Corpus returns the held-out corpus: logs collected and labelled before the
// analyzer was measured on them, from other CI systems, ecosystems and
// locales. Accuracy on it is ccm's own estimate of accuracy on logs it has
// never seen; it is not part of All, which holds the logs the rules were
// written against.
func Corpus() []Log {
	return slices.Clone(corpus())
}

// Corpus2 returns the second held-out corpus, collected and measured
// (before any rule change for it) after the rules had been tuned on Corpus:
// the estimate Corpus could no longer give.
func Corpus2() []Log {
	return slices.Clone(corpus2())
}

// Corpus3 returns the third held-out corpus, collected after the rules
// were tuned on Corpus2 and measured before any change for it.
func Corpus3() []Log {
	return slices.Clone(corpus3())
}

// Corpus4 returns the fourth corpus, collected with Sealed2 and first
// measured before any rule changed for it.
func Corpus4() []Log {
	return slices.Clone(corpus4())
}

// Corpus5 returns the fifth corpus (150 logs), collected blind after the
// learned guess was chosen, and first measured before any rule or the
// guess's model changed for it.
func Corpus5() []Log {
	return slices.Clone(corpus5())
}

// Corpus6 returns the sixth corpus (125 logs), collected blind on
// 2026-12-06 with Sealed4, and first measured before any rule or the
// guess's model changed for it.
func Corpus6() []Log {
	return slices.Clone(corpus6())
}

// Corpus7 returns the seventh corpus (84 logs), collected blind on
// 2026-12-06 with Sealed6, and first measured before any rule or the
// guess's model changed for it.
func Corpus7() []Log {
	return slices.Clone(corpus7())
}

// Corpus8 returns the eighth corpus (90 logs), collected blind in the
// second 2026-12-06 session from Q&A pages and less common stacks (Elixir,
// Haskell, Scala, Nim, OCaml, R, Flutter…), and first measured before any
// rule or the guess's model changed for it.
func Corpus8() []Log {
	return slices.Clone(corpus8())
}

// Corpus9 returns the ninth corpus (76 logs), collected blind at the end
// of the second 2026-12-06 session with Sealed7, and first measured before
// any rule or the guess's model changed for it.
func Corpus9() []Log {
	return slices.Clone(corpus9())
}

// Corpus10 returns the tenth corpus (91 logs), collected blind at the
// start of the third 2026-12-06 session with Sealed8 (46 GitHub Actions
// logs across ecosystems; 45 from other CI systems and local builds), and
// first measured before any rule or the guess's model changed for it.
func Corpus10() []Log {
	return slices.Clone(corpus10())
}

// Corpus11 returns the eleventh corpus (157 logs), collected blind later
// in the third 2026-12-06 session (GitHub Actions and popular actions'
// own trackers; Jenkins, Azure, Buildbot and other CI systems; excerpts
// pasted into build and test tools' trackers; and 12 logs collected for a
// sealed set that the search budget cut short), and first measured before
// any rule or the guess's model changed for it.
func Corpus11() []Log {
	return slices.Clone(corpus11())
}

// Corpus12 returns the twelfth corpus (84 logs), collected blind at the
// start of the fourth 2026-12-06 session with Sealed9 (logs pasted into
// build, test and package tools' trackers; mid-sized projects' own CI),
// and first measured before any rule or the guess's model changed for it.
func Corpus12() []Log {
	return slices.Clone(corpus12())
}

// Corpus13 returns the thirteenth corpus (59 logs), collected blind later
// in that session (CI vendors' forums and issue threads; less common
// stacks: Zig, OCaml, Haskell, D, Erlang, Scala, Meson, Bazel, Godot), and
// first measured with corpus12's first families in, before any change for
// it.
func Corpus13() []Log {
	return slices.Clone(corpus13())
}

// Corpus14 returns the fourteenth corpus (18 logs), collected blind late
// in the fourth 2026-12-06 session from CI systems whose own line format
// is less common (AWS CodeBuild, Cloud Build, Cirrus, Bitrise, Buildkite,
// Homebrew's test-bot), and first measured before any change for it.
func Corpus14() []Log {
	return slices.Clone(corpus14())
}

// Corpus15 returns the fifteenth corpus (100 logs), collected blind at
// the start of the fifth 2026-12-06 session with sealed12: logs from
// Chinese-speaking projects' trackers, mobile, embedded and build-system
// tooling, passing-looking and multi-error logs, and widely used actions'
// own trackers (mostly config and infrastructure); first measured before
// any rule changed for it.
func Corpus15() []Log {
	return slices.Clone(corpus15())
}

// Corpus16 returns the sixteenth corpus (44 logs), collected blind later
// in the fifth 2026-12-06 session: CI vendors' forums and Q&A pages, and
// test failures in projects' own CI where the thread decides between a
// bug, a flaky test and a test's time limit (JVM, Scala, .NET, Swift,
// C/C++, PHP, JavaScript); first measured before any change for it.
func Corpus16() []Log {
	return slices.Clone(corpus16())
}

// Visible returns every set but the sealed ones, in the order they were
// collected: what rules may be written against and models trained on.
func Visible() [][]Log {
	return [][]Log{Labelled(), Extra(), Corpus(), Corpus2(), Corpus3(), Corpus4(), Corpus5(), Corpus6(), Corpus7(), Corpus8(), Corpus9(), Corpus10(), Corpus11(), Corpus12(), Corpus13(), Corpus14(), Corpus15(), Corpus16()}
}

// All returns Labelled followed by Extra.
func All() []Log {
	return slices.Concat(labelled(), extra())
}

// mustParse panics: the data is compiled in, so a bad line is a build
// defect that no caller could recover from.
func mustParse(set string, data []byte) []Log {
	logs, err := Parse(set, data)
	if err != nil {
		panic(fmt.Sprintf("cilogs: embedded %s.jsonl is malformed: %v", set, err))
	}
	return logs
}

// Parse reads one JSON object a line (the files' format; measuring tools
// read other sets with it), skipping blank lines. Unknown fields
// are refused so that a misspelt key is caught rather than read as empty.
func Parse(set string, data []byte) ([]Log, error) {
	var out []Log
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var l Log
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, fmt.Errorf("line %d: trailing data after the object", n)
		}
		if l.ID == "" || l.Category == "" || l.KeyLine == "" || l.Log == "" {
			return nil, fmt.Errorf("line %d (%q): id, category, key_line and log are required", n, l.ID)
		}
		l.Set = set
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return out, nil
}
