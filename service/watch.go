package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/state"
)

// newWatcher hot-reloads the config file: a bad edit is rejected, logged
// and audited, and the old config stays.
func newWatcher(path string, cfg *config.Config, store *state.Store, m *metrics.Metrics, logger *slog.Logger) (*config.Watcher, error) {
	audit := func(outcome, errText string, details map[string]any) {
		ev := state.AuditEntry{Timestamp: time.Now().UTC(), Actor: "ccm/config", ActionType: state.ActionConfig,
			Outcome: outcome, Error: errText, Details: details}
		if _, err := store.Audit(context.Background(), ev); err != nil {
			logger.Error("audit config reload", "err", err)
		}
	}
	w, err := config.NewWatcher(path, cfg, logger,
		func(err error) {
			m.ConfigReloads.WithLabelValues("rejected").Inc()
			audit(state.OutcomeFailure, err.Error(), map[string]any{"path": path, "result": "rejected; previous config kept"})
		},
		func(prev, next *config.Config) {
			m.ConfigReloads.WithLabelValues("applied").Inc()
			audit(state.OutcomeSuccess, "", map[string]any{"path": path, "changed": config.Changes(prev, next)})
		})
	if err != nil {
		return nil, fmt.Errorf("config watcher: %w", err)
	}
	return w, nil
}

// reloadOnHUP re-reads the config on SIGHUP, the Unix habit for "reload".
func reloadOnHUP(ctx context.Context, w *config.Watcher, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := w.Reload(); err != nil {
				logger.Error("config reload on SIGHUP rejected; previous config kept", "err", err)
			}
		}
	}
}

// redisLogOnce guards go-redis's logger, which is one per process: the
// first service built in a process owns it (a second setter would race
// with the connection pools already logging through it).
var redisLogOnce sync.Once

// setRedisLogger sends go-redis's own messages (pool and reconnect
// trouble) to the JSON log instead of its plain stderr lines.
func setRedisLogger(l *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{l}) })
}

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}
