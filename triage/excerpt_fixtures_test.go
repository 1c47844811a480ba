package triage

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// ciFixture is one labelled real CI log from testdata/ci-logs.jsonl (a copy
// of the shared fixtures; see their README for the fields).
type ciFixture struct {
	ID       string `json:"id"`
	CI       string `json:"ci"`
	Category string `json:"category"`
	KeyLine  string `json:"key_line"`
	Log      string `json:"log"`
}

func loadCIFixtures(t testing.TB) []ciFixture {
	t.Helper()
	f, err := os.Open("testdata/ci-logs.jsonl")
	if err != nil {
		t.Fatalf("open fixtures: %v", err)
	}
	defer f.Close()
	var out []ciFixture
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var fx ciFixture
		if err := json.Unmarshal(sc.Bytes(), &fx); err != nil {
			t.Fatalf("decode fixture: %v", err)
		}
		out = append(out, fx)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read fixtures: %v", err)
	}
	return out
}

// reasonKey puts a reason and a key line on the same footing: normalized,
// marker stripped, whitespace collapsed.
func reasonKey(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(NormalizeLine(s)), "##[error]")
	return strings.Join(strings.Fields(s), " ")
}

// TestExtract_FixtureReasons measures how often the extracted reason is the
// line the fixture's labeller picked (or contains it, or is contained in
// it). The floor guards against regressions; the log lists every miss.
func TestExtract_FixtureReasons(t *testing.T) {
	fixtures := loadCIFixtures(t)
	hits := 0
	for _, fx := range fixtures {
		ex, err := Extract(strings.NewReader(fx.Log), Options{})
		if err != nil {
			t.Fatalf("%s: %v", fx.ID, err)
		}
		if ex.Reason == "" {
			t.Errorf("%s: empty reason", fx.ID)
		}
		got, want := reasonKey(ex.Reason), reasonKey(fx.KeyLine)
		if strings.Contains(got, want) || strings.Contains(want, got) && got != "" {
			hits++
			continue
		}
		t.Logf("miss %-45s\n   got:  %q\n   want: %q", fx.ID, got, want)
	}
	t.Logf("reason hit rate: %d/%d (%.0f%%)", hits, len(fixtures), 100*float64(hits)/float64(len(fixtures)))
	if min := len(fixtures) * 7 / 10; hits < min {
		t.Errorf("reason hit rate %d/%d, want at least %d", hits, len(fixtures), min)
	}
}
