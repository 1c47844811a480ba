package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/integrations/slack"
)

// The watchdog pages once when Redis has been silent past its threshold,
// never for a blip, tries a refused page again, and pages once more when
// Redis answers again.
func TestRedisWatchPagesOncePerOutage(t *testing.T) {
	down := errors.New("dial tcp 127.0.0.1:6379: connection refused")
	type ping struct {
		at      time.Duration // since the start
		err     error
		postErr error
	}
	tests := []struct {
		name  string
		pings []ping
		want  []string // the pages, in order (substrings)
	}{
		{"a blip pages nothing", []ping{{0, nil, nil}, {5 * time.Second, down, nil}, {10 * time.Second, nil, nil}}, nil},
		{"an outage pages once, and its end", []ping{
			{0, down, nil}, {20 * time.Second, down, nil}, {30 * time.Second, down, nil}, {35 * time.Second, down, nil},
			{40 * time.Second, down, nil}, {45 * time.Second, nil, nil}, {50 * time.Second, nil, nil},
		}, []string{"has not answered for 30s", "answers again after 45s"}},
		{"a refused page is tried again", []ping{
			{0, down, nil}, {30 * time.Second, down, errors.New("slack down")}, {35 * time.Second, down, nil},
			{40 * time.Second, down, nil},
		}, []string{"has not answered for 35s"}},
		{"no recovery page without an outage page", []ping{{0, down, nil}, {10 * time.Second, nil, nil}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
			var now time.Time
			var postErr error
			var pages []string
			w := &redisWatch{
				post: func(_ context.Context, channel string, m slack.Message) error {
					if channel != "#ops-critical" {
						t.Errorf("paged %q", channel)
					}
					if postErr != nil {
						return postErr
					}
					pages = append(pages, m.Text)
					return nil
				},
				channel: func() string { return "#ops-critical" },
				log:     slog.New(slog.DiscardHandler), after: 30 * time.Second,
				now: func() time.Time { return now },
			}
			for _, p := range tc.pings {
				now, postErr = start.Add(p.at), p.postErr
				w.step(context.Background(), p.err)
			}
			if len(pages) != len(tc.want) {
				t.Fatalf("pages %q, want %d", pages, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.Contains(pages[i], want) {
					t.Errorf("page %d = %q, want %q", i, pages[i], want)
				}
			}
		})
	}
}
