package service_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/tasks"
)

// TestMuxRoutesEveryTaskType: the worker that serve and sandbox start
// handles every task type the pipeline enqueues, the gate's included; an
// unrouted type would be retried and archived as "handler not found".
func TestMuxRoutesEveryTaskType(t *testing.T) {
	opt, _ := options(t, githubsim.New(t))
	svc, err := service.New(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Shutdown() }()
	mux := svc.Mux()
	for _, typ := range []string{tasks.TypePoll, tasks.TypeIngest, tasks.TypeAnalyze, tasks.TypeRetention,
		tasks.TypeGate, tasks.TypeExpire, tasks.TypeReevaluate, tasks.TypeRemediate, tasks.TypeVerify, tasks.TypeShadowCheck} {
		if _, pattern := mux.Handler(asynq.NewTask(typ, nil)); pattern != typ {
			t.Errorf("%s is routed to %q", typ, pattern)
		}
	}
}
