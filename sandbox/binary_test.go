package sandbox

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildCCM builds ccm for the tests that play against `ccm serve` run as
// its own process. A build failure fails them: --binary is a product mode.
func buildCCM(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ccm")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/ccm-ci/ccm/cmd/ccm").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/ccm: %v\n%s", err, out)
	}
	return bin
}

// RunScenarios against a built `ccm serve` (--binary), in this package so
// -race sees the sandbox's side of it: a scenario reaches its end and
// serve stops cleanly; a serve killed mid-run makes every scenario a miss
// that says so, and the report tells it.
func TestScenariosAgainstBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs ccm")
	}
	bin := buildCCM(t)
	t.Run("reaches its end", func(t *testing.T) {
		start := time.Now()
		var out syncBuffer
		rep, err := RunScenarios(context.Background(), ScenarioOptions{Binary: bin, Only: []string{"app-code"}, Deadline: ExternalScenarioDeadline, Out: &out})
		if err != nil || len(rep.Scenarios) != 1 || !rep.Scenarios[0].Reached {
			t.Fatalf("err %v, scenarios %+v: want app-code reached\nserve's log:\n%s", err, rep.Scenarios, rep.ServeLog)
		}
		if rep.Served != "external" || rep.ServePID == 0 || rep.ServeExit != "exit status 0 on SIGTERM" {
			t.Errorf("served by %q (pid %d), exit %q: want an external serve that exited 0 on SIGTERM", rep.Served, rep.ServePID, rep.ServeExit)
		}
		if !strings.Contains(out.String(), "ccm serve:  exit status 0 on SIGTERM\n") {
			t.Errorf("the summary does not say how serve exited:\n%s", out.String())
		}
		t.Logf("app-code through ccm serve: %s", time.Since(start).Round(time.Millisecond))
	})
	t.Run("killed", func(t *testing.T) {
		rep, err := RunScenarios(context.Background(), ScenarioOptions{Binary: bin, Only: []string{"app-code", "approved"},
			Deadline: ExternalScenarioDeadline, OnStart: func(w *World) {
				c, _ := w.external()
				_ = syscall.Kill(c.PID(), syscall.SIGKILL)
				<-c.Died()
			}})
		var died *ServeDiedError
		if !errors.As(err, &died) || died.Scenario != "app-code" {
			t.Fatalf("err %v: want a ServeDiedError during app-code", err)
		}
		if len(rep.Scenarios) != 2 || len(rep.Missed()) != 2 {
			t.Fatalf("scenarios %+v: want both recorded as missed", rep.Scenarios)
		}
		for _, s := range rep.Scenarios {
			if !strings.Contains(s.Stopped, "was killed by signal 9 (killed)") {
				t.Errorf("%s stopped %q: want how serve died", s.Name, s.Stopped)
			}
		}
		if !strings.HasPrefix(rep.ServeExit, "had exited by itself") {
			t.Errorf("serve_exit %q: want it to say serve exited by itself", rep.ServeExit)
		}
	})
}
