package triage

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// labelledLog is one line of testdata/ci-logs*.jsonl.
type labelledLog struct {
	ID         string   `json:"id"`
	Source     string   `json:"source"`
	CI         string   `json:"ci"`
	Category   Category `json:"category"`
	Transient  bool     `json:"transient"`
	KeyLine    string   `json:"key_line"`
	Log        string   `json:"log"`
	LabelBasis string   `json:"label_basis"`
}

func loadLabelled(t testing.TB, name string) []labelledLog {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("open fixtures: %v", err)
	}
	defer f.Close()
	var out []labelledLog
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 4<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l labelledLog
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: bad line: %v", name, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return out
}

// score counts correct classifications per category.
type score struct{ right, total map[Category]int }

func newScore() score { return score{map[Category]int{}, map[Category]int{}} }

func (s score) add(want, got Category) {
	s.total[want]++
	if want == got {
		s.right[want]++
	}
}

func (s score) sum() (right, total int) {
	for _, c := range Categories {
		right += s.right[c]
		total += s.total[c]
	}
	return right, total
}

func (s score) log(t *testing.T, label string) {
	t.Helper()
	for _, c := range Categories {
		if s.total[c] > 0 {
			t.Logf("%-8s %-15s %2d/%-2d", label, c, s.right[c], s.total[c])
		}
	}
	r, n := s.sum()
	t.Logf("%-8s %-15s %2d/%-2d (%.0f%%)", label, "all", r, n, 100*float64(r)/float64(n))
}

func TestFixturesSchema(t *testing.T) {
	for _, file := range []string{"ci-logs.jsonl", "ci-logs-extra.jsonl"} {
		ids := map[string]bool{}
		for _, l := range loadLabelled(t, file) {
			if ids[l.ID] {
				t.Errorf("%s: duplicate id %q", file, l.ID)
			}
			ids[l.ID] = true
			if !l.Category.Valid() {
				t.Errorf("%s %s: invalid category %q", file, l.ID, l.Category)
			}
			if !strings.Contains(l.Log, l.KeyLine) {
				t.Errorf("%s %s: key_line not in log", file, l.ID)
			}
			if !strings.HasPrefix(l.Source, "https://") && file == "ci-logs-extra.jsonl" {
				t.Errorf("%s %s: source %q is not a URL", file, l.ID, l.Source)
			}
			if !slices.Contains([]string{"github-actions", "gitlab", "jenkins", "circleci", "other"}, l.CI) {
				t.Errorf("%s %s: unknown ci %q", file, l.ID, l.CI)
			}
		}
	}
}

// TestClassifyFixtures reports accuracy per category on the labelled real
// logs and fails when it drops below what the analyzer reaches today.
func TestClassifyFixtures(t *testing.T) {
	floors := map[string]struct{ right int }{
		"ci-logs.jsonl":       {right: 34},
		"ci-logs-extra.jsonl": {right: 35},
	}
	all := newScore()
	for _, file := range []string{"ci-logs.jsonl", "ci-logs-extra.jsonl"} {
		s := newScore()
		for _, l := range loadLabelled(t, file) {
			got := Classify(Input{Text: l.Log})
			if err := got.Validate(); err != nil {
				t.Errorf("%s: invalid result: %v", l.ID, err)
			}
			s.add(l.Category, got.Category)
			all.add(l.Category, got.Category)
			if got.Category != l.Category {
				t.Logf("MISS %s: want %s got %s (conf %d): %s", l.ID, l.Category, got.Category, got.Confidence, got.Reasoning)
			}
			if got.Category == l.Category && !slices.ContainsFunc(got.Evidence, func(e string) bool {
				return strings.Contains(l.KeyLine, e) || strings.Contains(e, strings.TrimSpace(l.KeyLine))
			}) {
				t.Logf("note %s: evidence %q does not include key line %q", l.ID, got.Evidence, l.KeyLine)
			}
		}
		s.log(t, strings.TrimSuffix(file, ".jsonl"))
		if r, _ := s.sum(); r < floors[file].right {
			t.Errorf("%s: %d correct, floor is %d", file, r, floors[file].right)
		}
	}
	all.log(t, "both")
}

// TestFixturesTransientActions checks that logs labelled transient get a
// re-run when classified correctly, and deterministic ones do not, except
// the categories whose rules deliberately re-run (flaky tests, test
// timeouts).
func TestFixturesTransientActions(t *testing.T) {
	agree, total := 0, 0
	for _, file := range []string{"ci-logs.jsonl", "ci-logs-extra.jsonl"} {
		for _, l := range loadLabelled(t, file) {
			got := Classify(Input{Text: l.Log})
			if got.Category != l.Category {
				continue
			}
			total++
			rerun := slices.ContainsFunc(got.Actions, func(a Action) bool { return a.Type == ActionRerunFailedJobs })
			if rerun == l.Transient {
				agree++
			} else {
				t.Logf("transient mismatch %s: labelled %v, rerun %v", l.ID, l.Transient, rerun)
			}
		}
	}
	t.Logf("re-run decision agrees with the transient label on %d/%d correctly classified logs", agree, total)
	if float64(agree) < 0.8*float64(total) {
		t.Errorf("re-run agreement %d/%d below 80%%", agree, total)
	}
}
