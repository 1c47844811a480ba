package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// waitTimeout bounds how long a test waits for the watcher to act; it is a
// ceiling on failure, not a claim about speed.
const waitTimeout = 10 * time.Second

// recorder collects the watcher's callbacks.
type recorder struct {
	mu      sync.Mutex
	applied [][2]*Config
	rejects []error
}

func (r *recorder) onApply(old, new *Config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied = append(r.applied, [2]*Config{old, new})
}

func (r *recorder) onReject(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejects = append(r.rejects, err)
}

func (r *recorder) counts() (applied, rejected int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.applied), len(r.rejects)
}

// startWatcher runs a watcher on path until the test ends, then checks
// that Run returned and left no goroutine behind.
func startWatcher(t *testing.T, path string, opts ...WatcherOption) (*Watcher, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts = append([]WatcherOption{WithDebounce(20 * time.Millisecond), WithPollInterval(0)}, opts...)
	w, err := NewWatcher(path, nil, nil, rec.onReject, rec.onApply, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		goleak.VerifyNone(t)
	})
	return w, rec
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func threshold(n int) string {
	return "risk_threshold: " + string(rune('0'+n)) + "\n"
}

func TestWatcher_AppliesEditsAndRejectsBadOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, threshold(3))
	w, rec := startWatcher(t, path)
	first := w.Current()

	atomicSave(t, path, threshold(7))
	// The snapshot is stored before onApply runs, so wait for both.
	eventually(t, "good edit applied", func() bool { a, _ := rec.counts(); return a >= 1 && w.Current().RiskThreshold == 7 })
	if a, _ := rec.counts(); a != 1 {
		t.Errorf("onApply called %d times, want 1", a)
	}
	if rec.applied[0][0] != first || rec.applied[0][1] != w.Current() {
		t.Error("onApply did not get (old, new)")
	}

	good := w.Current()
	atomicSave(t, path, "risk_threshold: 11\nmode: nope\n")
	eventually(t, "bad edit rejected", func() bool { _, r := rec.counts(); return r >= 1 })
	if w.Current() != good {
		t.Error("a rejected edit replaced the configuration")
	}
	var ve *ValidationError
	if !errors.As(rec.rejects[0], &ve) || !hasProblemAt(ve.Problems, "risk_threshold") || !hasProblemAt(ve.Problems, "mode") {
		t.Errorf("reject error %v does not name both fields", rec.rejects[0])
	}

	atomicSave(t, path, threshold(2))
	eventually(t, "fixed edit applied", func() bool { return w.Current().RiskThreshold == 2 })
}

// TestWatcher_InPlaceWrite edits the file where it is, as `echo >` or
// kubectl cp do. A reader may catch the file half-written, so only the
// outcome is checked.
func TestWatcher_InPlaceWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, threshold(3))
	w, _ := startWatcher(t, path)
	for _, n := range []int{7, 2} {
		writeFile(t, path, threshold(n))
		eventually(t, "in-place edit applied", func() bool { return w.Current().RiskThreshold == n })
	}
}

func TestWatcher_AtomicRenameSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, threshold(3))
	w, _ := startWatcher(t, path)
	for _, n := range []int{4, 5, 6} { // the watch must survive each replacement
		atomicSave(t, path, threshold(n))
		eventually(t, "renamed file applied", func() bool { return w.Current().RiskThreshold == n })
	}
}

// TestWatcher_KubernetesSymlinkSwap mimics a ConfigMap volume:
// ccm.yaml -> ..data/ccm.yaml, ..data -> ..<timestamp>, updated by
// creating a new timestamped dir and renaming a ..data_tmp symlink.
func TestWatcher_KubernetesSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	swap := func(gen, content string) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, gen), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, gen, "ccm.yaml"), content)
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(gen, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	swap("..2024_01_01", threshold(3))
	path := filepath.Join(dir, "ccm.yaml")
	if err := os.Symlink(filepath.Join("..data", "ccm.yaml"), path); err != nil {
		t.Fatal(err)
	}
	w, _ := startWatcher(t, path)
	if w.Current().RiskThreshold != 3 {
		t.Fatalf("initial threshold %d", w.Current().RiskThreshold)
	}
	swap("..2024_01_02", threshold(8))
	if err := os.RemoveAll(filepath.Join(dir, "..2024_01_01")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "swapped config applied", func() bool { return w.Current().RiskThreshold == 8 })
	swap("..2024_01_03", threshold(1))
	eventually(t, "second swap applied", func() bool { return w.Current().RiskThreshold == 1 })
}

// TestWatcher_PollCatchesWhatEventsMiss edits the target of a symlink
// that lives in another directory: no event reaches the watched directory,
// so only the periodic check can see it.
func TestWatcher_PollCatchesWhatEventsMiss(t *testing.T) {
	target := filepath.Join(t.TempDir(), "real.yaml")
	writeFile(t, target, threshold(3))
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	w, _ := startWatcher(t, path, WithPollInterval(20*time.Millisecond))
	writeFile(t, target, threshold(9))
	eventually(t, "poll applied the edit", func() bool { return w.Current().RiskThreshold == 9 })
}

func TestWatcher_Reload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, threshold(3))
	rec := &recorder{}
	w, err := NewWatcher(path, nil, nil, rec.onReject, rec.onApply)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		content     string // "" leaves the file alone
		explicit    bool
		wantErr     bool
		wantApplied int
		wantRejects int
		wantRisk    int
	}{
		{"unchanged file does nothing", "", true, false, 0, 0, 3},
		{"same bytes rewritten does nothing", threshold(3), true, false, 0, 0, 3},
		{"comment-only edit changes nothing", "# note\n" + threshold(3), true, false, 0, 0, 3},
		{"good edit applies", threshold(6), true, false, 1, 0, 6},
		{"bad edit is rejected", "risk_threshold: 12\n", true, true, 1, 1, 6},
		{"automatic check reports a bad file once", "", false, true, 1, 1, 6},
		{"explicit reload reports it again", "", true, true, 1, 2, 6},
		{"fixed file applies", threshold(4), false, false, 2, 2, 4},
		{"the same bad edit later is reported again", "risk_threshold: 12\n", false, true, 2, 3, 4},
		{"an emptied file is rejected, not read as defaults", " \n", false, true, 2, 4, 4},
		{"a comment-only file means the defaults", "# reset\n", false, false, 3, 4, 5},
	}
	for _, s := range steps {
		if s.content != "" {
			writeFile(t, path, s.content)
		}
		err := w.reload(s.explicit)
		if (err != nil) != s.wantErr {
			t.Errorf("%s: err = %v, want error %v", s.name, err, s.wantErr)
		}
		a, r := rec.counts()
		if a != s.wantApplied || r != s.wantRejects || w.Current().RiskThreshold != s.wantRisk {
			t.Errorf("%s: applied %d rejected %d risk %d, want %d %d %d",
				s.name, a, r, w.Current().RiskThreshold, s.wantApplied, s.wantRejects, s.wantRisk)
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Reload(); err == nil || w.Current().RiskThreshold != 5 {
		t.Errorf("deleted file: err %v, risk %d; want an error and the old config", err, w.Current().RiskThreshold)
	}
}

func TestNewWatcher(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, threshold(3))
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "risk_threshold: 99\n")

	if _, err := NewWatcher(bad, nil, nil, nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad file: %v, want ErrInvalid", err)
	}
	if _, err := NewWatcher(filepath.Join(dir, "missing.yaml"), Default(), nil, nil, nil); err == nil {
		t.Error("missing file: no error")
	}

	// initial was loaded before the file changed: the first check applies.
	stale := mustParse(t, threshold(1))
	rec := &recorder{}
	w, err := NewWatcher(good, stale, nil, nil, rec.onApply)
	if err != nil {
		t.Fatal(err)
	}
	if w.Current() != stale {
		t.Fatal("Current is not the initial config")
	}
	if err := w.Reload(); err != nil || w.Current().RiskThreshold != 3 {
		t.Errorf("Reload: %v, risk %d, want 3", err, w.Current().RiskThreshold)
	}
	if a, _ := rec.counts(); a != 1 {
		t.Errorf("onApply called %d times, want 1", a)
	}
}

func TestWatcher_RunStopsWithoutEvents(t *testing.T) {
	defer goleak.VerifyNone(t)
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, threshold(3))
	w, err := NewWatcher(path, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Run(ctx); err != nil {
		t.Errorf("Run = %v", err)
	}
}
