package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
)

// loadClicks is how many interactions arrive at once.
const loadClicks = 200

// BenchmarkAckLatency drives 200 concurrent Approve clicks (each on its
// own pending request) through the simulator and reports the ack latency
// p50 and p99, against a baseline measured in the same run: slack-go's
// bare socketmode client acking in its own loop and doing nothing else.
// Every click is also checked to have been handled (approved, once).
//
//	go test ./bot -run '^$' -bench AckLatency -benchtime 3x
func BenchmarkAckLatency(b *testing.B) {
	var bot50, bot99, base50, base99 time.Duration
	for range b.N {
		b.StopTimer()
		h := newHarness(b, harnessOpt{})
		var tss []string
		var ids []string
		for i := range loadClicks {
			a, ts := h.pending(int64(1000 + i))
			tss, ids = append(tss, ts), append(ids, a.ID)
		}
		b.StartTimer()
		acks := clickAll(b, h.sim, tss)
		b.StopTimer()
		bot50, bot99 = bot50+slacksim.Percentile(acks, 50), bot99+slacksim.Percentile(acks, 99)
		if !eventually(func() bool {
			for _, id := range ids {
				if h.approval(id).Status != state.ApprovalApproved {
					return false
				}
			}
			return true
		}) {
			b.Fatal("not every click was handled")
		}
		p50, p99 := baseline(b, tss)
		base50, base99 = base50+p50, base99+p99
	}
	n := time.Duration(b.N)
	ms := func(d time.Duration) float64 { return float64(d/n) / float64(time.Millisecond) }
	b.ReportMetric(ms(bot50), "p50-ms")
	b.ReportMetric(ms(bot99), "p99-ms")
	b.ReportMetric(ms(base50), "base-p50-ms")
	b.ReportMetric(ms(base99), "base-p99-ms")
	if base99 > 0 {
		b.ReportMetric(float64(bot99)/float64(base99), "p99-ratio")
	}
}

// clickAll clicks Approve on every message at once and returns the acks.
func clickAll(b *testing.B, sim *slacksim.Server, tss []string) []slacksim.Ack {
	b.Helper()
	ids := make([]string, len(tss))
	var wg sync.WaitGroup
	for i, ts := range tss {
		wg.Go(func() {
			sent, err := sim.ClickButton(alice, approvCh, ts, slackmsg.ActionApprove)
			if err != nil {
				b.Error(err)
				return
			}
			ids[i] = sent.EnvelopeID
		})
	}
	wg.Wait()
	acks, err := sim.WaitAcks(ids, waitFor)
	if err != nil {
		b.Fatal(err)
	}
	return acks
}

// baseline is the same burst against a bare socketmode client that acks
// every envelope in its event loop and does nothing else.
func baseline(b *testing.B, tss []string) (p50, p99 time.Duration) {
	b.Helper()
	sim := slacksim.NewServer(slacksim.Config{Channels: []string{approvCh}})
	defer sim.Close()
	api := slack.New(sim.Config().BotToken, slack.OptionAppLevelToken(sim.Config().AppToken), slack.OptionAPIURL(sim.URL()))
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = sm.RunContext(ctx) }()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				if evt.Request != nil && evt.Request.EnvelopeID != "" {
					_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
				}
			}
		}
	}()
	if err := sim.WaitConnected(1, waitFor); err != nil {
		b.Fatal(err)
	}
	c, err := slackmsg.New(slackmsg.Options{Token: sim.Config().BotToken, APIURL: sim.URL()})
	if err != nil {
		b.Fatal(err)
	}
	own := make([]string, len(tss))
	for i := range tss {
		msg := slackmsg.Message{Text: "x", Blocks: []slack.Block{slack.NewActionBlock("b",
			slack.NewButtonBlockElement(slackmsg.ActionApprove, "v", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)))}}
		ref, err := c.Post(ctx, approvCh, "", msg)
		if err != nil {
			b.Fatal(err)
		}
		own[i] = ref.TS
	}
	acks := clickAll(b, sim, own)
	return slacksim.Percentile(acks, 50), slacksim.Percentile(acks, 99)
}
