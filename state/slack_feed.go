package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The audit stream read as a feed by a consumer group (the Slack notifier
// reads every entry once across replicas, and an entry read by a replica
// that died before acknowledging it is claimed by another).

// EnsureAuditGroup creates consumer group on the audit stream, starting
// at entries added from now on (the history before ccm's Slack was set up
// is not announced). An existing group is left as it is.
func (s *Store) EnsureAuditGroup(ctx context.Context, group string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.k.audit(), group, "$").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create audit consumer group %s: %w", group, err)
	}
	return nil
}

// ReadAuditGroup returns up to count entries no consumer of group has
// read yet, waiting up to block for one (0: not at all). Each stays pending until
// AckAudit. An entry that cannot be decoded comes back with only its ID
// (ActionType ""), so the caller acknowledges it rather than read it
// forever.
func (s *Store) ReadAuditGroup(ctx context.Context, group, consumer string, count int64, block time.Duration) ([]AuditEntry, error) {
	if block <= 0 {
		block = -1 // go-redis sends BLOCK 0 for 0, which waits forever
	}
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{s.k.audit(), ">"}, Count: count, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil && strings.Contains(err.Error(), "NOGROUP") {
		// The stream was deleted (and the group with it): start again.
		if gerr := s.EnsureAuditGroup(ctx, group); gerr != nil {
			return nil, gerr
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit group %s: %w", group, err)
	}
	var out []AuditEntry
	for _, st := range res {
		out = append(out, s.decodeFeed(st.Messages)...)
	}
	return out, nil
}

// ClaimAuditPending takes over up to count entries of group that another
// consumer read more than minIdle ago without acknowledging (it crashed).
// Entries deleted meanwhile (retention) are acknowledged here.
func (s *Store) ClaimAuditPending(ctx context.Context, group, consumer string, minIdle time.Duration, count int64) ([]AuditEntry, error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: s.k.audit(), Group: group, Consumer: consumer, MinIdle: minIdle, Start: "0-0", Count: count,
	}).Result()
	if err != nil {
		if strings.Contains(err.Error(), "NOGROUP") {
			return nil, nil
		}
		return nil, fmt.Errorf("claim pending audit entries of %s: %w", group, err)
	}
	return s.decodeFeed(msgs), nil
}

// AckAudit acknowledges entries of group: they are done.
func (s *Store) AckAudit(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.XAck(ctx, s.k.audit(), group, ids...).Err(); err != nil {
		return fmt.Errorf("ack audit entries of %s: %w", group, err)
	}
	return nil
}

func (s *Store) decodeFeed(msgs []redis.XMessage) []AuditEntry {
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		e, err := decodeAudit(m)
		if err != nil {
			s.log.Warn("audit entry cannot be decoded; skipped by the feed", "id", m.ID, "err", err)
			e = AuditEntry{ID: m.ID}
		}
		out = append(out, e)
	}
	return out
}
