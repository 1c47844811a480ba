package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	ccmsandbox "github.com/ccm-ci/ccm/sandbox"
	"github.com/ccm-ci/ccm/state/statetest"
)

// Every sandbox scenario through the built `ccm serve`, as deployed: the
// built `ccm sandbox --binary <itself> --json` runs serve as a child on a
// database of the test Redis and every scenario reaches its end. serve
// keeps its production pacing (a Slack post per channel per second,
// asynq's one-second queue check), which makes the 9 scenarios take about
// 70 s in a row (measured); they play as two sandboxes at once, each with
// its own serve and database, so the test stays well under a minute.
func TestServeSandboxScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCCM(t, "-s -w")
	halves := [][]string{
		{"registry-outage", "app-code", "approved", "shadow"},
		{"flaky-rerun", "protected", "stranger", "expired", "verify-fails"},
	}
	type run struct {
		rep    ccmsandbox.Report
		pid    int
		stderr string
		err    error
	}
	runs := make([]run, len(halves))
	urls := sandboxRedisURLs(t, len(halves))
	// A hung sandbox must fail the test, not hold it to go test's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i, names := range halves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, bin, "sandbox", "--binary", bin, "--json", "--scenario", strings.Join(names, ","))
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			if urls[i] != "" {
				cmd.Env = append(cmd.Env, "REDIS_URL="+urls[i])
			}
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			r := &runs[i]
			if r.err = cmd.Run(); r.err == nil {
				r.err = json.Unmarshal(out.Bytes(), &r.rep)
			}
			if cmd.Process != nil { // nil when it could not start
				r.pid = cmd.Process.Pid
			}
			r.stderr = errOut.String()
		}()
	}
	wg.Wait()
	took := time.Since(start)
	reached := 0
	for i, r := range runs {
		if r.err != nil {
			t.Errorf("ccm sandbox --binary --scenario %s: %v\nstderr:\n%s", strings.Join(halves[i], ","), r.err, r.stderr)
			continue
		}
		if r.rep.Served != "external" || r.rep.ServePID == 0 || r.rep.ServePID == r.pid {
			t.Errorf("served by %q, pid %d (the sandbox's: %d): want an external ccm serve of its own", r.rep.Served, r.rep.ServePID, r.pid)
		}
		// The expiry scenario's approval_timeout is applied by ccm serve
		// reloading its file, and set back for the next: two reloads.
		if wantReloads := 2 * strings.Count(strings.Join(halves[i], ","), "expired"); r.rep.AuditTotal == 0 || r.rep.Audit["config"] != wantReloads {
			t.Errorf("audit %v: want ccm serve's entries, %d config reloads among them", r.rep.Audit, wantReloads)
		}
		for _, s := range r.rep.Scenarios {
			if s.Reached && s.Audit > 0 {
				reached++
			}
			took := "-"
			if s.TookMS != nil {
				took = (time.Duration(*s.TookMS) * time.Millisecond).String()
			}
			t.Logf("%-16s %6s %3d audit entries, reached %v %s", s.Name, took, s.Audit, s.Reached, s.Stopped)
		}
	}
	if reached != len(ccmsandbox.Scenarios()) {
		t.Errorf("%d scenarios reached their end through ccm serve, want all %d", reached, len(ccmsandbox.Scenarios()))
	}
	t.Logf("9 scenarios through ccm serve, two sandboxes at once: %s wall", took.Round(time.Millisecond))
}

// A ccm serve that dies makes the sandbox say so at once, with the end of
// its log, instead of waiting out the deadlines: exit 2 when it never got
// ready (a binary that exits at start), exit 1 when it dies mid-run.
func TestServeSandboxChildDies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCCM(t, "-s -w")
	t.Run("exits at start", func(t *testing.T) {
		script := filepath.Join(t.TempDir(), "ccm")
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'ccm: broken on purpose' >&2\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "sandbox", "--binary", script, "--scenario", "app-code")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("exit %v, want 2", err)
		}
		for _, want := range []string{"exited with status 1 before it was ready", "broken on purpose"} {
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
			}
		}
		if took > 10*time.Second {
			t.Errorf("took %s to notice", took)
		}
	})
	t.Run("killed mid-run", func(t *testing.T) {
		cmd := exec.Command(bin, "sandbox", "--binary", bin, "--scenario", "approved,expired")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		var out, errOut syncWriter
		cmd.Stdout, cmd.Stderr = &out, &errOut
		proc := startServe(t, cmd)
		re := regexp.MustCompile("`[^`]+ serve` \\(pid (\\d+)\\)")
		var pid int
		waitUntil(t, 30*time.Second, "the header naming ccm serve's pid", func() bool {
			if m := re.FindStringSubmatch(out.String()); m != nil {
				pid, _ = strconv.Atoi(m[1])
			}
			return pid > 0
		})
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		proc.waitExit(t, 1, 15*time.Second, "the sandbox after ccm serve's death", &errOut)
		t.Logf("the sandbox exited %s after ccm serve was killed", time.Since(killed).Round(time.Millisecond))
		want := "ccm serve (pid " + strconv.Itoa(pid) + ") was killed by signal 9 (killed) during the scenario approved"
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	})
}

// sandboxRedisURLs are n empty databases of the test Redis for
// sandboxes (each wants one empty, and empties it when it ends), claimed
// by claimEmptyDB: its lease, outside the database, keeps them this
// test's while the markers inside are dropped (a sandbox insists on 0
// keys), so no other test claims one and sees it flushed; ""
// each (the sandbox embeds a Redis and shares it with ccm serve) when
// there is no real one, a failure under CCM_REQUIRE_REDIS.
func sandboxRedisURLs(t *testing.T, n int) []string {
	t.Helper()
	urls := make([]string, n)
	if !statetest.Real(t) {
		if os.Getenv(statetest.EnvRequireRedis) != "" {
			statetest.RequireRealRedis(t)
		}
		t.Log("no real Redis: each sandbox embeds one and shares it with its ccm serve")
		return urls
	}
	for i := range urls {
		u, ok := claimEmptyDB(t)
		if !ok {
			statetest.SkipUnlessRequired(t, "not enough empty databases on the test Redis")
		}
		urls[i] = u
	}
	for _, u := range urls {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		err = rdb.Del(context.Background(), "ccmtest:claimed").Err()
		_ = rdb.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return urls
}

// A database claimed for a sandbox stays claimed once emptied of its
// marker: another claimEmptyDB passes it by, so a sandbox's final flush
// never wipes another test's keys.
func TestClaimEmptyDBHoldsAnEmptiedDB(t *testing.T) {
	if !statetest.Real(t) {
		t.Skip("claims databases of the real test Redis")
	}
	urls := sandboxRedisURLs(t, 1)
	t.Run("second claim", func(t *testing.T) {
		if u, ok := claimEmptyDB(t); ok && u == urls[0] {
			t.Errorf("claimEmptyDB gave %s again, emptied but still claimed", u)
		}
	})
}
