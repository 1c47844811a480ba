package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
)

// Property 43 for the one critical error ccm's own alert path cannot
// carry: with Redis gone, no audit entry can be written, so the watchdog
// pages the critical channel straight through Slack.
func TestRedisOutagePagesTheCriticalChannel(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ops-critical"}})
	gh := githubsim.New(t)
	redisSrv := miniredis.RunT(t)
	opt, logs := options(t, gh)
	opt.Env.RedisURL = "redis://" + redisSrv.Addr() + "/0"
	opt.Env.SlackBotToken, opt.Env.SlackAPIURL = sim.Config().BotToken, sim.URL()
	opt.RedisWatch = 20 * time.Millisecond
	started(t, opt, "")

	time.Sleep(100 * time.Millisecond) // healthy pings page nothing
	if got := sim.Messages("#ops-critical"); len(got) != 0 {
		t.Fatalf("paged while Redis answers: %+v", got)
	}
	redisSrv.Close()
	m, err := sim.WaitForMessage("#ops-critical", func(m slacksim.Message) bool { return strings.Contains(m.Text, "has not answered") }, 10*time.Second)
	if err != nil {
		t.Fatalf("no page about Redis: %v\n%s", err, logs)
	}
	if !strings.Contains(m.Text, "REDIS_URL") {
		t.Errorf("page %q does not name REDIS_URL", m.Text)
	}
	if err := redisSrv.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.WaitForMessage("#ops-critical", func(m slacksim.Message) bool { return strings.Contains(m.Text, "answers again") }, 10*time.Second); err != nil {
		t.Fatalf("no page when Redis answers again: %v\n%s", err, logs)
	}
	if n := len(sim.Messages("#ops-critical")); n != 2 {
		t.Errorf("%d pages for one outage, want 2 (down, up)", n)
	}
}
