package redisurl

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Quiet drops go-redis's own log lines for the whole process. Its pool
// logs every failed dial to stderr itself ("redis: ... pool.go:770: ...
// connection refused"), several lines before a command's own error; a
// command that reports Redis trouble as its error says it once.
// go-redis's logger is one per process: call Quiet before any client is
// built (a later setter races with pools already logging).
func Quiet() { redis.SetLogger(quiet{}) }

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
