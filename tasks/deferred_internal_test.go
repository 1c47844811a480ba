package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/internal/logtest"
)

// A task that defers a copy of itself (asynq.RevokeTask) is waiting, not
// failing: counted "deferred", logged at debug, and asynq's own "revoke
// task" line is demoted too; a real failure still warns.
func TestDeferredTaskIsNotAFailure(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantOutcome string
		wantWarn    bool
	}{
		{"deferred", fmt.Errorf("channel had a post less than 1s ago: %w", asynq.RevokeTask), "deferred", false},
		// A context without asynq's retry count is the last attempt.
		{"failed", fmt.Errorf("slack: internal_error"), "failed", true},
		{"success", nil, "success", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf logtest.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
			h := NewHandlers(Deps{Logger: log})
			err := h.observe(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return tc.err })).
				ProcessTask(context.Background(), asynq.NewTask(TypeNotify, nil))
			if err != tc.err {
				t.Fatalf("observe changed the error: %v", err)
			}
			if got := outcome(context.Background(), tc.err); got != tc.wantOutcome {
				t.Errorf("outcome = %q, want %q", got, tc.wantOutcome)
			}
			if warned := strings.Contains(buf.String(), `"level":"WARN"`); warned != tc.wantWarn {
				t.Errorf("warned %v, want %v: %s", warned, tc.wantWarn, buf.String())
			}
		})
	}
	var buf logtest.Buffer
	a := AsynqLogger{L: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	a.Warn("revoke task id=notify:1-0")
	if buf.String() != "" {
		t.Errorf("asynq's revoke line was logged at warn: %s", buf.String())
	}
	a.Warn("lease expired")
	if !strings.Contains(buf.String(), `"level":"WARN"`) {
		t.Errorf("asynq's other warnings must stay warnings: %q", buf.String())
	}
}

// A worker without Slack (a mixed fleet, a rolling deploy) hands a
// notification back for a retry that may reach a worker with Slack; it
// never drops it as done.
func TestNotifyWithoutSlackIsHandedBack(t *testing.T) {
	h := NewHandlers(Deps{Logger: slog.New(slog.DiscardHandler)})
	task, err := NewNotifyTask(NotifyPayload{FailureID: "acme/web#1.1", EntryID: "1-0"}, "notify:1-0")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.HandleNotify(context.Background(), task); err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") {
		t.Fatalf("HandleNotify without Slack = %v, want an error to retry", err)
	}
}
