package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Default timings of a Watcher.
const (
	DefaultDebounce     = 100 * time.Millisecond
	DefaultPollInterval = 30 * time.Second
)

// Watcher keeps the current configuration and replaces it when the file
// changes. A file that does not load is rejected and the old configuration
// kept; readers never see a half-applied one.
type Watcher struct {
	path     string
	logger   *slog.Logger
	onReject func(error)
	onApply  func(old, new *Config)
	debounce time.Duration
	poll     time.Duration

	cur atomic.Pointer[Config]

	mu           sync.Mutex // serialises reloads and guards the hashes
	appliedHash  [sha256.Size]byte
	rejectedHash [sha256.Size]byte
}

// WatcherOption tunes a Watcher.
type WatcherOption func(*Watcher)

// WithPollInterval sets the safety-net check that re-reads the file even
// when no event arrives (network filesystems, missed events). Zero or less
// turns it off.
func WithPollInterval(d time.Duration) WatcherOption { return func(w *Watcher) { w.poll = d } }

// WithDebounce sets how long the file must be quiet before it is read, so
// an editor's write-rename-chmod burst is read once.
func WithDebounce(d time.Duration) WatcherOption { return func(w *Watcher) { w.debounce = d } }

// NewWatcher watches path, starting from initial (loaded from path when
// nil). onReject gets every rejected edit and onApply every applied one;
// either may be nil. Callbacks run on the reloading goroutine, one at a
// time, and must not call Reload.
func NewWatcher(path string, initial *Config, logger *slog.Logger, onReject func(error), onApply func(old, new *Config), opts ...WatcherOption) (*Watcher, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		path: path, logger: logger, onReject: onReject, onApply: onApply,
		debounce: DefaultDebounce, poll: DefaultPollInterval,
	}
	for _, o := range opts {
		o(w)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("watch config: %w", err)
	}
	if initial == nil {
		if initial, err = Parse(data); err != nil {
			return nil, fmt.Errorf("watch config %s: %w", path, err)
		}
	}
	// Only claim the file's bytes as applied when they are what initial
	// holds; if the file changed since initial was loaded, the first check
	// must apply it.
	if c, err := Parse(data); err == nil && reflect.DeepEqual(c, initial) {
		w.appliedHash = sha256.Sum256(data)
	}
	w.cur.Store(initial)
	return w, nil
}

// Current returns the configuration in force. It never blocks.
func (w *Watcher) Current() *Config { return w.cur.Load() }

// Reload reads the file now (on SIGHUP, say). It returns the rejection
// error, if any, after reporting it to onReject.
func (w *Watcher) Reload() error { return w.reload(true) }

// reload applies the file if its bytes changed. An automatic check reports
// a given bad file once; an explicit Reload reports it every time.
func (w *Watcher) reload(explicit bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, err := readFile(w.path)
	if err != nil {
		// Hash the error so a file that stays missing is reported once.
		return w.reject(fmt.Errorf("reload config: %w", err), sha256.Sum256([]byte(err.Error())), explicit)
	}
	h := sha256.Sum256(data)
	if h == w.appliedHash {
		w.rejectedHash = [sha256.Size]byte{} // back to good: report the next bad edit again
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// An editor truncates before it writes; applying that instant's
		// empty file would silently drop every repository. To really go
		// back to the defaults, leave a comment in the file.
		return w.reject(fmt.Errorf("reload config %s: %w: the file is empty", w.path, ErrInvalid), h, explicit)
	}
	next, err := Parse(data)
	if err != nil {
		return w.reject(fmt.Errorf("reload config %s: %w", w.path, err), h, explicit)
	}
	w.appliedHash, w.rejectedHash = h, [sha256.Size]byte{}
	old := w.cur.Load()
	if reflect.DeepEqual(old, next) {
		w.logger.Debug("config file changed without changing the configuration", "path", w.path)
		return nil
	}
	w.cur.Store(next)
	w.logger.Info("config reloaded", "path", w.path, "changed", Changes(old, next))
	if w.onApply != nil {
		w.onApply(old, next)
	}
	return nil
}

func (w *Watcher) reject(err error, h [sha256.Size]byte, explicit bool) error {
	if !explicit && h == w.rejectedHash {
		return err
	}
	w.rejectedHash = h
	w.logger.Error("config change rejected; keeping the previous configuration", "path", w.path, "err", err)
	if w.onReject != nil {
		w.onReject(err)
	}
	return err
}

// Run reloads on file events until ctx is done, then returns nil. It
// watches the directory, not the file: editors save by renaming a new file
// over the old one and Kubernetes swaps a ..data symlink, and both would
// silently end a watch on the file itself. Without inotify (limits, odd
// filesystems) it falls back to polling alone.
func (w *Watcher) Run(ctx context.Context) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	fw, err := fsnotify.NewWatcher()
	if err == nil {
		if err = fw.Add(filepath.Dir(w.path)); err != nil {
			_ = fw.Close()
		}
	}
	if err != nil {
		if w.poll <= 0 {
			return fmt.Errorf("watch config %s: %w", w.path, err)
		}
		w.logger.Warn("config file events unavailable; polling only", "path", w.path, "interval", w.poll, "err", err)
	} else {
		defer fw.Close()
		events, errs = fw.Events, fw.Errors
	}

	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	var tick <-chan time.Time
	if w.poll > 0 {
		t := time.NewTicker(w.poll)
		defer t.Stop()
		tick = t.C
	}
	// A change made after NewWatcher read the file but before the watch
	// above existed sent no event: look once now.
	_ = w.reload(false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			// Any change in the directory may be ours (a symlink swap
			// renames ..data, not the file); the hash check sorts it out.
			w.logger.Debug("config directory event", "event", ev.String())
			debounce.Reset(w.debounce)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				debounce.Reset(w.debounce)
			}
			w.logger.Warn("config watch error", "path", w.path, "err", err)
		case <-debounce.C:
			_ = w.reload(false) // reported through onReject and the log
		case <-tick:
			_ = w.reload(false)
		}
	}
}
