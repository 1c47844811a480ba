package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/rules/internal/sigfile"
)

const familyYAML = `# header kept

- name: disk-full
  category: infrastructure
  tier: platform
  risk: 2
  effort: low
  confidence: 90
  fix:
    - 'Free space.'
  patterns:
    - match: 'no space left on device'
    - match: 'disk full'
      not: 'warning'
`

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// attach adds each valid row once, rejects lines that do not match (or
// hit the exclusion), skips rows without a line or with a suggested
// pattern, keeps the file's header, and adds nothing on a second run.
func TestAttach(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "platform.yaml"), familyYAML)
	rows := filepath.Join(dir, "rows.jsonl")
	write(t, rows, strings.Join([]string{
		`{"signature":"disk-full","pattern":"no space left on device","line":"OSError: [Errno 28] No space left on device","url":"https://github.com/o/r/issues/1"}`,
		`{"signature":"disk-full","pattern":"no space left on device","line":"OSError: [Errno 28] No space left on device","url":"https://github.com/o/r/issues/2"}`,
		`{"signature":"disk-full","pattern":"disk full","line":"ERROR: disk full","url":"https://x.org/a"}`,
		`{"signature":"disk-full","pattern":"disk full","line":"Warning: disk full soon","url":"https://x.org/b"}`,
		`{"signature":"disk-full","pattern":"disk full","line":"all good","url":"https://x.org/c"}`,
		`{"signature":"nope","pattern":"disk full","line":"disk full","url":"https://x.org/d"}`,
		`{"signature":"disk-full","pattern":"disk full"}`,
		`{"signature":"disk-full","pattern":"disk full","suggested_pattern":"disks? full","line":"disks full","url":"https://x.org/e"}`,
		``,
	}, "\n"))
	var out strings.Builder
	err := run(dir, []string{rows}, false, &out)
	if err == nil || !strings.Contains(err.Error(), "3 rows rejected") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	for _, want := range []string{"added 2, already there 1, skipped 2", "matches the exclusion", "does not match", "no such signature"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "platform.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := sigfile.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := sigfile.Header(b); len(got) != 1 || got[0] != "header kept" {
		t.Errorf("header = %q", got)
	}
	if n0, n1 := len(sigs[0].Patterns[0].Examples), len(sigs[0].Patterns[1].Examples); n0 != 1 || n1 != 1 {
		t.Errorf("examples per pattern = %d, %d, want 1, 1:\n%s", n0, n1, b)
	}

	out.Reset()
	_ = run(dir, []string{rows}, false, &out)
	if !strings.Contains(out.String(), "added 0, already there 3") {
		t.Errorf("second run:\n%s", out.String())
	}
	b2, _ := os.ReadFile(filepath.Join(dir, "platform.yaml"))
	if string(b2) != string(b) {
		t.Errorf("second run changed the file")
	}
}
