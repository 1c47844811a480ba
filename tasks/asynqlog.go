package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// AsynqLogger adapts slog to asynq's Logger, so asynq's own lines are JSON
// like ours instead of its home-made format.
type AsynqLogger struct{ L *slog.Logger }

func (a AsynqLogger) log(level slog.Level, args []any) {
	a.L.Log(context.Background(), level, fmt.Sprint(args...), "component", "asynq")
}

// Debug logs at debug level.
func (a AsynqLogger) Debug(args ...any) { a.log(slog.LevelDebug, args) }

// Info logs at info level.
func (a AsynqLogger) Info(args ...any) { a.log(slog.LevelInfo, args) }

// Warn logs at warn level, except asynq's note that a task was revoked:
// ccm revokes a task on purpose when it defers a copy of itself (see
// Handlers.observe), so that line is routine.
func (a AsynqLogger) Warn(args ...any) {
	if len(args) > 0 && strings.HasPrefix(fmt.Sprint(args[0]), "revoke task") {
		a.log(slog.LevelDebug, args)
		return
	}
	a.log(slog.LevelWarn, args)
}

// Error logs at error level.
func (a AsynqLogger) Error(args ...any) { a.log(slog.LevelError, args) }

// Fatal logs and exits, as asynq's contract requires.
func (a AsynqLogger) Fatal(args ...any) {
	a.log(slog.LevelError, args)
	os.Exit(1)
}
