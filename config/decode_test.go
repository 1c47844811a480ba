package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The file from the bug report: one unknown key, one value of the wrong
// type and two bad values used to cost four restarts.
func TestLoad_NamesEveryKindOfProblemAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, "pol_interval: 5m\nrisk_threshold: 11\nmode: yolo\nwebhook: {enabled: maybe}\n")
	_, err := Load(path)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load = %v, want a *ValidationError", err)
	}
	want := []string{
		`pol_interval: line 1: unknown field "pol_interval", did you mean poll_interval?`,
		`webhook.enabled: line 4: expected true or false, got a string ("maybe")`,
		`risk_threshold: 11 is outside 0-10`,
		`mode: "yolo" is not one of [shadow approve auto]`,
	}
	if diff := cmp.Diff(want, ve.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, p := range want {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("Error() %q misses %q", err, p)
		}
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	// Callers that show one located problem still get the first, with its line.
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Path != "pol_interval" || pe.Line != 1 {
		t.Errorf("errors.As ParseError = %+v, want pol_interval at line 1", pe)
	}
}

func TestParse_EveryTypeErrorNamed(t *testing.T) {
	src := `risk_threshold: high
max_reruns: 2.5
approvers: U012ABCDEF
channels: [a]
retry:
  max_attempts: "3"
  initial_backoff: [1]
  max_backoff: 1ms
webhook: {enabled: yes}
repositories:
  - name: acme/web
    risk_threshold: [1]
    auto_actions: [cancel_run, {x: 1}]
  - acme/api
mode: yolo
`
	type at struct {
		Path string
		Line int
	}
	want := []at{
		{"risk_threshold", 1}, {"max_reruns", 2}, {"approvers", 3}, {"channels", 4},
		{"retry.max_attempts", 6}, {"retry.initial_backoff", 7}, {"webhook.enabled", 9},
		{"repositories[0].risk_threshold", 12}, {"repositories[0].auto_actions[1]", 13},
		{"repositories[1]", 14},
	}
	_, err := Parse([]byte(src))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse = %v, want a *ValidationError", err)
	}
	var got []at
	for _, pe := range ve.Located {
		got = append(got, at{pe.Path, pe.Line})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("located problems (-want +got):\n%s", diff)
	}
	// The fields that did read are still validated; the ones that did not
	// keep their defaults and raise nothing more (no "initial_backoff 1s is
	// longer than max_backoff", no "repositories[1].name is missing").
	if diff := cmp.Diff(len(want)+1, len(ve.Problems)); diff != "" {
		t.Errorf("problem count (-want +got):\n%s\n%q", diff, ve.Problems)
	}
	if !hasProblemAt(ve.Problems, "mode") {
		t.Errorf("mode not named in %q", ve.Problems)
	}
}

func TestParse_UnknownKeysAtEveryDepth(t *testing.T) {
	src := `Mode: auto
colour: blue
retry:
  attempts: 3
llm: {timout: 5s}
repositories:
  - name: acme/web
    treshold: 3
  - name: acme/api
    channels: {alert: "#api"}
    max_rerun: 2
risk_threshold: 11
`
	want := []string{
		`Mode: line 1: unknown field "Mode", did you mean mode?`,
		`colour: line 2: unknown field "colour"`,
		`retry.attempts: line 4: unknown field "attempts"`,
		`llm.timout: line 5: unknown field "timout", did you mean timeout?`,
		`repositories[0].treshold: line 8: unknown field "treshold"`,
		`repositories[1].channels.alert: line 10: unknown field "alert", did you mean alerts?`,
		`repositories[1].max_rerun: line 11: unknown field "max_rerun", did you mean max_reruns?`,
		`risk_threshold: 11 is outside 0-10`,
	}
	if diff := cmp.Diff(want, problemsOf(t, src)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestParse_RetentionNamesEveryConflict(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"both at the default approval timeout", "retention: 2h\ndedup_window: 24h\n",
			"retention: 2h is shorter than approval_timeout 24h and dedup_window 24h"},
		{"approval timeout only", "retention: 2h\ndedup_window: 1h\n",
			"retention: 2h is shorter than approval_timeout 24h"},
		{"dedup window only", "retention: 2h\napproval_timeout: 1h\ndedup_window: 48h\n",
			"retention: 2h is shorter than dedup_window 48h"},
		{"a bad dedup window is not compared", "retention: 2h\ndedup_window: soon\n",
			"retention: 2h is shorter than approval_timeout 24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := problemsOf(t, tt.src)
			if !slices.Contains(problems, tt.want) {
				t.Errorf("problems %q lack %q", problems, tt.want)
			}
		})
	}
}

func TestParse_AnchorsInABadFile(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"aliases are followed", `approvers: &team [U012ABCDEF]
admins: *team
risk_threshold: high
repositories:
  - &web {name: acme/web, mode: approve}
  - *web
`, []string{
			`risk_threshold: line 3: expected an integer, got the string "high"`,
			`repositories[1].name: "acme/web" is already listed at repositories[0]`,
		}},
		{"merged keys are checked, and go-yaml's own refusal kept", `approvers: [U012ABCDEF]
repositories:
  - &web
    name: acme/web
    mode: approve
  - <<: *web
    name: acme/api
    mdoe: auto
`, []string{
			`repositories[1].name: line 7: duplicate key "name"`,
			`repositories[1].mdoe: line 8: unknown field "mdoe", did you mean mode?`,
		}},
		{"an alias of itself stops", "repositories:\n  - &a {<<: *a, nme: x}\n", []string{
			`repositories[0]: line 2: is nested too deeply (does an alias refer to itself?)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, problemsOf(t, tt.src)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// Nested aliases multiply: eight levels of eight references is 8^8 values.
// The file is refused before any decoder expands it.
func TestParse_AliasBombRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("colour: x\nrepositories:\n  - &a0 {name: a/b}\n")
	for i := 1; i <= 8; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 8), ", ")
		fmt.Fprintf(&b, "  - &a%d {<<: [%s], max_reruns: [%s]}\n", i, refs, refs)
	}
	_, err := Parse([]byte(b.String()))
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "aliases expand the file") || !errors.Is(err, ErrInvalid) {
		t.Errorf("Parse(alias bomb) = %v, want a ParseError about expanding aliases", err)
	}
}

// go-yaml v1.19 dereferences nil on a tagged list that is not indented;
// a bad edit like this must be named, not crash the watcher.
func TestParse_DecoderPanicIsAProblem(t *testing.T) {
	problems := problemsOf(t, "admins: !x\n0\nmode: yolo\n")
	if len(problems) != 2 || !strings.HasPrefix(problems[0], "admins: line 1: cannot be read") || !hasProblemAt(problems, "mode") {
		t.Errorf("problems %q, want admins (line 1) and mode", problems)
	}
}

// The unknown-key check reads fileConfig's tags; it must accept exactly
// the keys Config (what operators see documented and marshalled) has.
func TestFileConfig_AcceptsExactlyConfigKeys(t *testing.T) {
	if diff := cmp.Diff(keyPaths(reflect.TypeFor[Config](), ""), keyPaths(reflect.TypeFor[fileConfig](), "")); diff != "" {
		t.Errorf("keys (-Config +fileConfig):\n%s", diff)
	}
}

func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		key := join(prefix, yamlName(t.Field(i)))
		out = append(out, key)
		out = append(out, keyPaths(t.Field(i).Type, key)...)
	}
	slices.Sort(out)
	return out
}

func TestSuggest(t *testing.T) {
	known := []string{"poll_interval", "risk_threshold", "mode", "max_reruns", "log", "llm"}
	tests := []struct {
		name, key, want string
	}{
		{"dropped letter", "pol_interval", "poll_interval"},
		{"swapped letters", "mdoe", "mode"},
		{"wrong case", "Risk_Threshold", "risk_threshold"},
		{"two edits", "pol_intreval", "poll_interval"},
		{"first of a tie", "lom", "log"},
		{"a fragment is another word", "interval", ""},
		{"unrelated", "colour", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggest(tt.key, known); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}
