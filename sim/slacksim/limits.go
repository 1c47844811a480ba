package slacksim

import (
	"math"
	"net/http"
	"time"
)

// codeChannelLimited, followed by the seconds to wait, is what a handler
// returns to have answer send a 429; it never reaches a client.
const codeChannelLimited = "\x00channel_rate_limited:"

// bucket is a token bucket for one channel's posts.
type bucket struct {
	tokens float64
	last   time.Time
}

// SetChannelPostLimit turns on Slack's per-channel limit for
// chat.postMessage: perSecond posts a second with bursts of up to burst;
// a post over it is answered 429 with Retry-After. 0 turns it off (the
// default, so tests that do not care are not slowed).
func (s *Server) SetChannelPostLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.postRate, s.postBurst = perSecond, burst
	s.buckets = map[string]*bucket{}
}

// takePostLocked spends a token of channel's bucket; it returns 0 when
// the post may go ahead, else the seconds to wait.
func (s *Server) takePostLocked(channel string) int {
	if s.postRate <= 0 {
		return 0
	}
	now := time.Now()
	b := s.buckets[channel]
	if b == nil {
		b = &bucket{tokens: float64(max(s.postBurst, 1)), last: now}
		s.buckets[channel] = b
	}
	b.tokens = math.Min(float64(max(s.postBurst, 1)), b.tokens+now.Sub(b.last).Seconds()*s.postRate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return int(math.Ceil((1 - b.tokens) / s.postRate))
}

// channelLimitedReply is the 429 of the per-channel limit.
func channelLimitedReply(retryAfter int) reply {
	return reply{status: http.StatusTooManyRequests, body: slackErr("ratelimited"), retryAfter: max(retryAfter, 1)}
}

// scheduleRedeliveryLocked arms Slack's retry of an events_api envelope
// that is not acked in time: up to maxRetries redeliveries, each
// RedeliverAfter after the previous one.
func (s *Server) scheduleRedeliveryLocked(e *envelope) {
	if s.cfg.RedeliverAfter <= 0 || e.sent.Type != TypeEventsAPI || e.retries >= maxRetries || s.closed {
		return
	}
	id, gen := e.sent.EnvelopeID, e.deliveries
	if t := s.timers[id]; t != nil {
		t.Stop()
	}
	s.timers[id] = time.AfterFunc(s.cfg.RedeliverAfter, func() {
		s.mu.Lock()
		// A newer delivery (a manual Redeliver) has its own timer.
		if s.closed || e.acked || e.deliveries != gen {
			s.mu.Unlock()
			return
		}
		// Counted so Close waits for a redelivery under way.
		s.sockWG.Add(1)
		s.mu.Unlock()
		defer s.sockWG.Done()
		_ = s.redeliver(id, "timeout", true)
	})
}

// maxRetries is how often Slack retries an event delivery.
const maxRetries = 3
