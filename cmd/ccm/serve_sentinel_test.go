package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Issue 10: REDIS_URL=redis+sentinel://... runs ccm on a Sentinel-managed
// Redis. A master, a replica and one sentinel (quorum 1) of the test's own;
// `ccm serve` (built binary) records and analyzes webhooks through the
// failover URL; then the master is killed (SIGKILL), the sentinel promotes
// the replica, and ccm carries on by itself: what it recorded before is
// there, and new webhooks are recorded on the new master.
func TestServeOnSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary, redis-server and redis-sentinel")
	}
	needBinaries(t, "redis-server", "redis-sentinel")
	start := time.Now()
	bin := buildCCM(t, "-s -w")
	built := time.Now()
	ctx := context.Background()

	master := startRedis(t, "redis-server", "", "--appendonly", "yes")
	replica := startRedis(t, "redis-server", "", "--appendonly", "yes", "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	waitFor(t, "the replica to sync", func() bool { return replica.info("replication", "master_link_status") == "up" })
	const name = "mymaster"
	sentinel := startRedis(t, "redis-sentinel", fmt.Sprintf(
		"sentinel monitor %[1]s 127.0.0.1 %[2]d 1\nsentinel down-after-milliseconds %[1]s 1000\n"+
			"sentinel failover-timeout %[1]s 10000\nsentinel parallel-syncs %[1]s 1\n", name, master.port))
	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinel.addr()})
	defer sc.Close()
	// A sentinel learns the replicas from the master's INFO; failing over
	// before it has would have nothing to promote.
	waitFor(t, "the sentinel to know the replica", func() bool {
		rs, err := sc.Replicas(ctx, name).Result()
		return err == nil && len(rs) == 1 && rs[0]["flags"] == "slave"
	})
	masterAddr := func() string {
		a, err := sc.GetMasterAddrByName(ctx, name).Result()
		if err != nil || len(a) != 2 {
			return ""
		}
		return a[0] + ":" + a[1]
	}

	redisURL := fmt.Sprintf("redis+sentinel://%s/%s/0", sentinel.addr(), name)
	w := startWebhookServe(t, bin, redisURL)
	base, secret, repo, proc, stderr := w.base, w.secret, webhookRepo, w.proc, w.out
	defer func() {
		if t.Failed() {
			t.Logf("ccm serve output (last 20000 bytes):\n%s", tail(stderr.String(), 20000))
		}
	}()

	// The test reads ccm's state through the same URL: the store's own
	// basics (write, read, audit) on the failover client.
	st, _, closeStore, err := state.Open(ctx, redisURL, state.Options{})
	if err != nil {
		t.Fatalf("state.Open(%s): %v", redisURL, err)
	}
	defer closeStore()
	newFailure := w.newFailure
	settled := func(run githubsim.Run) bool {
		r, err := st.GetFailure(ctx, tasks.FailureID(repo, run.ID, 1))
		return err == nil && r.Status == state.StatusAnalyzed && r.Gate != nil
	}
	var before []githubsim.Run
	for i := range 5 {
		run := newFailure(i)
		sendWebhook(t, base, secret, repo, run)
		before = append(before, run)
	}
	waitFor(t, "the failures to be analyzed through Sentinel", func() bool {
		for _, r := range before {
			if !settled(r) {
				return false
			}
		}
		return true
	})
	for _, r := range before {
		countAudit(t, st, tasks.FailureID(repo, r.ID, 1))
	}

	// Replication is asynchronous: what the master acknowledged in the
	// last instant before a crash may not be on the replica. Wait until
	// the replica has it all, so what is checked below is ccm following
	// the promotion, not that window (see the report of issue 10).
	waitFor(t, "the replica to catch up", func() bool {
		return master.info("replication", "master_repl_offset") == replica.info("replication", "slave_repl_offset")
	})

	killedAt := time.Now()
	master.stop(syscall.SIGKILL)
	waitFor(t, "the sentinel to promote the replica", func() bool { return masterAddr() == replica.addr() })
	promoted := time.Now()
	waitFor(t, "/readyz after the failover", func() bool { code, _ := httpGet(base + "/readyz"); return code == http.StatusOK })
	readyAgain := time.Now()

	var after []githubsim.Run
	for i := range 5 {
		run := newFailure(100 + i)
		// A delivery refused while ccm finds the new master is what GitHub
		// redelivers; send it again until it is acknowledged.
		waitFor(t, "a webhook to be acknowledged after the failover", func() bool {
			return deliver(base, secret, repo, run) == http.StatusAccepted
		})
		after = append(after, run)
	}
	waitFor(t, "failures to be analyzed on the promoted master", func() bool {
		for _, r := range append(before, after...) {
			if !settled(r) {
				return false
			}
		}
		return true
	})
	for _, r := range after {
		countAudit(t, st, tasks.FailureID(repo, r.ID, 1))
	}
	// Written on the promoted master, not anywhere else.
	n, err := replica.client().Exists(ctx, "ccm:failure:"+tasks.FailureID(repo, after[0].ID, 1)).Result()
	if err != nil || n != 1 {
		t.Errorf("the failure recorded after the failover is not on the promoted replica: %d, %v", n, err)
	}
	// The CLI reads the same URL: `ccm audit` finds the promoted master.
	audit := exec.Command(bin, "audit", "--json", "--since", "", "--repo", repo)
	audit.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "REDIS_URL=" + redisURL}
	out, err := audit.Output()
	if err != nil {
		t.Errorf("ccm audit through Sentinel: %v", err)
	} else if !strings.Contains(string(out), tasks.FailureID(repo, after[0].ID, 1)) {
		t.Errorf("ccm audit through Sentinel lacks %s:\n%s", tasks.FailureID(repo, after[0].ID, 1), tail(string(out), 2000))
	}
	t.Logf("binary built in %s; failover: sentinel promoted the replica %s after SIGKILL of the master, ccm /readyz ready %s after the kill; %d failures before and %d after, none lost; whole test %s (build excluded: %s)",
		built.Sub(start).Round(time.Second), promoted.Sub(killedAt).Round(10*time.Millisecond), readyAgain.Sub(killedAt).Round(10*time.Millisecond),
		len(before), len(after), time.Since(start).Round(time.Second), time.Since(built).Round(100*time.Millisecond))
	proc.sigterm(t)
}
