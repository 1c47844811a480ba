package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ccm-ci/ccm/integrations/slack"
)

// How often the watchdog pings Redis, and how long Redis may stay silent
// before it pages (a restart or failover takes seconds; a page is for an
// outage).
const (
	redisPingEvery = 5 * time.Second
	redisDownAfter = 30 * time.Second
)

// redisWatch pages the critical channel straight through Slack when Redis
// stops answering. Every other alert of ccm is an audit entry in Redis
// that the notification tail turns into a page, so an outage of Redis
// itself would page no one. It pages once when Redis has been silent for
// after, and once when it answers again. The state is in-process (Redis is
// what is gone), so each replica pages for itself: a few pages per outage.
type redisWatch struct {
	ping    func(context.Context) error
	post    func(ctx context.Context, channel string, m slack.Message) error
	channel func() string // the global critical channel, read at each page (hot reload)
	log     *slog.Logger
	every   time.Duration
	after   time.Duration
	now     func() time.Time

	downSince time.Time
	lastErr   error
	paged     bool
}

// Run pings every w.every until ctx ends.
func (w *redisWatch) Run(ctx context.Context) error {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, w.every)
			err := w.ping(pctx)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			w.step(ctx, err)
		}
	}
}

// step takes one ping's answer: it notes when Redis went silent, pages once
// past w.after (a page Slack refuses is tried again at the next ping), and
// says so when Redis answers again after a page.
func (w *redisWatch) step(ctx context.Context, err error) {
	now := w.now()
	switch {
	case err == nil && w.paged:
		down := now.Sub(w.downSince).Round(time.Second)
		if w.page(ctx, fmt.Sprintf("Redis answers again after %s: ccm records, analyses and alerts again", down)) {
			w.log.Info("Redis answers again; recovery paged", "down_for", down.String())
			w.paged, w.downSince, w.lastErr = false, time.Time{}, nil
		}
	case err == nil:
		if !w.downSince.IsZero() {
			w.log.Info("Redis answers again", "down_for", now.Sub(w.downSince).Round(time.Second).String())
		}
		w.downSince, w.lastErr = time.Time{}, nil
	case w.downSince.IsZero():
		w.downSince, w.lastErr = now, err
		w.log.Error("Redis does not answer (REDIS_URL)", "err", err)
	case !w.paged && now.Sub(w.downSince) >= w.after:
		w.lastErr = err
		w.paged = w.page(ctx, fmt.Sprintf("Redis (REDIS_URL) has not answered for %s: ccm records, analyses, "+
			"remediates and alerts nothing until it does (%v)", now.Sub(w.downSince).Round(time.Second), err))
	}
}

func (w *redisWatch) page(ctx context.Context, summary string) bool {
	ch := w.channel()
	if ch == "" {
		w.log.Error("no critical channel to page", "summary", summary)
		return false
	}
	if err := w.post(ctx, ch, slack.Critical(summary, "", "", "", 0)); err != nil {
		w.log.Error("could not page the critical channel about Redis; trying again at the next ping", "err", err, "channel", ch)
		return false
	}
	return true
}

// startRedisWatch runs the watchdog in every process that can page (Slack
// on), whatever its roles: a bot-only replica sees the outage too.
func (s *Service) startRedisWatch(goRun func(string, func(context.Context) error)) {
	if s.Slack == nil {
		return
	}
	w := &redisWatch{
		ping: func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() },
		post: func(ctx context.Context, channel string, m slack.Message) error {
			_, err := s.Slack.Post(ctx, channel, "", m)
			return err
		},
		channel: func() string { return s.Config().Channels.Critical },
		log:     s.log, every: redisPingEvery, after: redisDownAfter, now: time.Now,
	}
	if s.opt.RedisWatch > 0 {
		w.every, w.after = s.opt.RedisWatch, 6*s.opt.RedisWatch
	}
	goRun("redis watchdog", w.Run)
}
