package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun scores a two-log file: one the rules classify right with the
// labelled line as reason, one labelled (wrongly, on purpose) as config.
func TestRun(t *testing.T) {
	const jsonl = `{"id":"x-oom","source":"https://example.com/1","ci":"github-actions","category":"infrastructure","transient":true,"key_line":"Error: The runner has received a shutdown signal.","log":"Run make test\nError: The runner has received a shutdown signal."}
{"id":"x-wrong","source":"https://example.com/2","ci":"github-actions","category":"config","transient":false,"key_line":"Error: The runner has received a shutdown signal.","log":"Run make test\nError: The runner has received a shutdown signal."}
`
	got := runOn(t, jsonl, rulesAnswer, true)
	wantAll(t, got, "2 logs", "category    1/2", "reason      2/2", "confused config→infrastructure", "MISS x-wrong  category want config got infrastructure",
		"signatures whose verdicts were wrong", "infrastructure 2               2   1  config 1, infrastructure 1")
	if strings.Contains(got, "MISS x-oom") {
		t.Errorf("x-oom was right and is listed as a miss:\n%s", got)
	}
}

func TestRunRefusesNothing(t *testing.T) {
	if err := run(nil, false, false, false, rulesAnswer, &bytes.Buffer{}); err == nil {
		t.Fatal("no files and no -sets: want an error")
	}
}

// runOn measures the JSON Lines jsonl with ans, misses listed, and
// returns what run printed.
func runOn(t *testing.T, jsonl string, ans answerer, bySig bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "new.jsonl")
	if err := os.WriteFile(path, []byte(jsonl), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run([]string{path}, false, true, bySig, ans, &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// wantAll fails t for each of wants that got lacks.
func wantAll(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
