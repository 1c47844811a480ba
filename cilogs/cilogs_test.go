package cilogs

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

func TestCounts(t *testing.T) {
	tests := []struct {
		name string
		logs []Log
		set  string
		want int
	}{
		{name: "labelled", logs: Labelled(), set: SetLabelled, want: 34},
		{name: "extra", logs: Extra(), set: SetExtra, want: 35},
		{name: "corpus", logs: Corpus(), set: SetCorpus, want: 136},
		{name: "corpus2", logs: Corpus2(), set: SetCorpus2, want: 100},
		{name: "sealed", logs: Sealed(), set: SetSealed, want: 60},
		{name: "corpus3", logs: Corpus3(), set: SetCorpus3, want: 80},
		{name: "sealed2", logs: Sealed2(), set: SetSealed2, want: 80},
		{name: "sealed3", logs: Sealed3(), set: SetSealed3, want: 83},
		{name: "corpus4", logs: Corpus4(), set: SetCorpus4, want: 98},
		{name: "corpus5", logs: Corpus5(), set: SetCorpus5, want: 150},
		{name: "corpus6", logs: Corpus6(), set: SetCorpus6, want: 125},
		{name: "sealed4", logs: Sealed4(), set: SetSealed4, want: 79},
		{name: "sealed5", logs: Sealed5(), set: SetSealed5, want: 70},
		{name: "corpus7", logs: Corpus7(), set: SetCorpus7, want: 84},
		{name: "sealed6", logs: Sealed6(), set: SetSealed6, want: 74},
		{name: "corpus8", logs: Corpus8(), set: SetCorpus8, want: 90},
		{name: "corpus9", logs: Corpus9(), set: SetCorpus9, want: 76},
		{name: "sealed7", logs: Sealed7(), set: SetSealed7, want: 41},
		{name: "corpus10", logs: Corpus10(), set: SetCorpus10, want: 91},
		{name: "sealed8", logs: Sealed8(), set: SetSealed8, want: 54},
		{name: "sealed9", logs: Sealed9(), set: SetSealed9, want: 52},
		{name: "corpus12", logs: Corpus12(), set: SetCorpus12, want: 84},
		{name: "corpus13", logs: Corpus13(), set: SetCorpus13, want: 59},
		{name: "sealed10", logs: Sealed10(), set: SetSealed10, want: 29},
		{name: "corpus14", logs: Corpus14(), set: SetCorpus14, want: 18},
		{name: "sealed11", logs: Sealed11(), set: SetSealed11, want: 24},
		{name: "sealed12", logs: Sealed12(), set: SetSealed12, want: 35},
		{name: "corpus15", logs: Corpus15(), set: SetCorpus15, want: 100},
		{name: "corpus16", logs: Corpus16(), set: SetCorpus16, want: 44},
		{name: "sealed13", logs: Sealed13(), set: SetSealed13, want: 44},
		{name: "corpus11", logs: Corpus11(), set: SetCorpus11, want: 157},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.logs) != tt.want {
				t.Errorf("%d logs, want %d", len(tt.logs), tt.want)
			}
			for _, l := range tt.logs {
				if l.Set != tt.set {
					t.Errorf("%s: Set %q, want %q", l.ID, l.Set, tt.set)
				}
			}
		})
	}
	all := All()
	if want := slices.Concat(Labelled(), Extra()); !slices.Equal(all, want) {
		t.Errorf("All() is not Labelled() then Extra()")
	}
}

// TestSchema holds every log to what its README promises.
func TestSchema(t *testing.T) {
	ids := map[string]bool{}
	sources := map[string]string{}
	for _, l := range slices.Concat(All(), Corpus(), Corpus2(), Sealed(), Corpus3(), Sealed2(), Corpus4(), Corpus5(), Sealed3(), Corpus6(), Sealed4(), Sealed5(), Corpus7(), Sealed6(), Corpus8(), Corpus9(), Sealed7(), Corpus10(), Sealed8(), Corpus11(), Sealed9(), Corpus12(), Corpus13(), Sealed10(), Corpus14(), Sealed11(), Sealed12(), Corpus15(), Corpus16(), Sealed13()) {
		if l.Set != SetLabelled {
			if prev, ok := sources[l.Source]; ok {
				t.Errorf("%s %s: source %s already used by %s", l.Set, l.ID, l.Source, prev)
			}
			sources[l.Source] = l.ID
		}
		if ids[l.ID] {
			t.Errorf("%s: duplicate id %q", l.Set, l.ID)
		}
		ids[l.ID] = true
		if !analysis.Category(l.Category).Valid() {
			t.Errorf("%s %s: invalid category %q", l.Set, l.ID, l.Category)
		}
		if !strings.Contains(l.Log, l.KeyLine) {
			t.Errorf("%s %s: key_line not in log", l.Set, l.ID)
		}
		if !strings.HasPrefix(l.Source, "https://") && l.Set != SetLabelled {
			t.Errorf("%s %s: source %q is not a URL", l.Set, l.ID, l.Source)
		}
		if !slices.Contains([]string{"github-actions", "gitlab", "jenkins", "circleci", "other"}, l.CI) {
			t.Errorf("%s %s: unknown ci %q", l.Set, l.ID, l.CI)
		}
		if l.Set != SetLabelled && l.Set != SetExtra && (l.Locale == "" || !slices.Contains([]string{"full", "excerpt", "multi", "passing-looking"}, l.Shape)) {
			t.Errorf("%s %s: locale %q, shape %q", l.Set, l.ID, l.Locale, l.Shape)
		}
	}
}

// Callers may edit what they get back; the next caller must not see it.
func TestReturnsCopies(t *testing.T) {
	tests := []struct {
		name string
		get  func() []Log
	}{
		{name: "Labelled", get: Labelled},
		{name: "Extra", get: Extra},
		{name: "All", get: All},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := tt.get()
			want := first[0].ID
			first[0].ID = "changed"
			if got := tt.get()[0].ID; got != want {
				t.Errorf("second call sees ID %q, want %q", got, want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const good = `{"id":"a","source":"s","ci":"other","category":"code","transient":false,"key_line":"k","log":"x\nk","label_basis":"b"}`
	tests := []struct {
		name    string
		data    string
		want    int
		wantErr string
	}{
		{name: "two lines and a blank", data: good + "\n\n" + good + "\n", want: 2},
		{name: "empty", data: "", want: 0},
		{name: "garbage", data: good + "\n{not json\n", wantErr: "line 2"},
		{name: "unknown field", data: `{"id":"a","category":"code","key_line":"k","log":"k","labels":"x"}`, wantErr: `unknown field "labels"`},
		{name: "missing log", data: `{"id":"a","category":"code","key_line":"k"}`, wantErr: "required"},
		{name: "trailing data", data: good + ` {}`, wantErr: "trailing data"},
		{name: "wrong type", data: `{"id":"a","category":"code","key_line":"k","log":"k","transient":"yes"}`, wantErr: "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("test", []byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("%d logs, want %d", len(got), tt.want)
			}
			for _, l := range got {
				if l.Set != "test" {
					t.Errorf("Set %q, want %q", l.Set, "test")
				}
			}
		})
	}
}

func TestMustParsePanicsClearly(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "extra.jsonl is malformed") || !strings.Contains(msg, "line 1") {
			t.Errorf("panic %q, want it to name the file and line", msg)
		}
	}()
	mustParse(SetExtra, []byte("{"))
}

// TestLateSealedShareNoKeyLine holds sealed5 to sealed13 to what
// cilogs/README.md says of them: no key line of their logs is another
// set's, whitespace aside (their labels and lines are only read in
// aggregate: nothing is printed).
func TestLateSealedShareNoKeyLine(t *testing.T) {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	all := slices.Concat(Visible(), SealedSets())
	for _, set := range []string{SetSealed5, SetSealed6, SetSealed7, SetSealed8, SetSealed9, SetSealed10, SetSealed11, SetSealed12, SetSealed13} {
		others := map[string]bool{}
		var mine []Log
		for _, logs := range all {
			for _, l := range logs {
				if l.Set == set {
					mine = append(mine, l)
				} else {
					others[norm(l.KeyLine)] = true
				}
			}
		}
		shared := 0
		for _, l := range mine {
			if others[norm(l.KeyLine)] {
				shared++
			}
		}
		if len(mine) == 0 || shared > 0 {
			t.Errorf("%s: %d logs, %d key lines are also another set's", set, len(mine), shared)
		}
	}
}
