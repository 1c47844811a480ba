package state_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/internal/redisurl"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// CheckPersistence warns exactly when Redis keeps no append-only file:
// whatever the test Redis runs with, the warning must say the truth.
func TestCheckPersistence(t *testing.T) {
	url := statetest.RequireRealRedis(t)
	ctx := context.Background()
	target, err := redisurl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	probe := target.NewClient()
	defer probe.Close()
	res, err := probe.ConfigGet(ctx, "appendonly").Result()
	if err != nil {
		t.Skipf("CONFIG GET refused (%v): nothing to compare with", err)
	}
	var logs bytes.Buffer
	st := state.New(probe, state.Options{Prefix: "ccmtest:persist:", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	st.CheckPersistence(ctx)
	warned := strings.Contains(logs.String(), "appendonly no")
	if want := res["appendonly"] == "no"; warned != want {
		t.Errorf("appendonly %q: warned %v, want %v; logs:\n%s", res["appendonly"], warned, want, logs.String())
	}
}
