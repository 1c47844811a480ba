package redisurl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSentinel(t *testing.T) {
	tests := []struct {
		name, raw           string
		master              string
		sentinels           []string
		db                  int
		user, pass          string // the servers'
		sentinelU, sentinel string // the sentinels'
		tls                 bool
	}{
		{name: "one sentinel, default port and db", raw: "redis+sentinel://s1/mymaster",
			master: "mymaster", sentinels: []string{"s1:26379"}},
		{name: "three sentinels, db, password", raw: "redis+sentinel://:pw@s1:26379,s2:26380,s3/mymaster/3",
			master: "mymaster", sentinels: []string{"s1:26379", "s2:26380", "s3:26379"}, db: 3, pass: "pw"},
		{name: "acl user and sentinel credentials",
			raw:    "redis+sentinel://ccm:pw@s1:26379/m?sentinel_username=sen&sentinel_password=spw&dial_timeout=2s",
			master: "m", sentinels: []string{"s1:26379"}, user: "ccm", pass: "pw", sentinelU: "sen", sentinel: "spw"},
		{name: "ipv6 sentinels", raw: "redis+sentinel://[::1]:26379,[::1]:26380,[::1]/m/1",
			master: "m", sentinels: []string{"[::1]:26379", "[::1]:26380", "[::1]:26379"}, db: 1},
		{name: "tls", raw: "rediss+sentinel://s1:26379/m",
			master: "m", sentinels: []string{"s1:26379"}, tls: true},
		{name: "go-redis's own form", raw: "redis://s1:26379/2?master_name=m&addr=s2:26379&password=pw",
			master: "m", sentinels: []string{"s1:26379", "s2:26379"}, db: 2, pass: "pw"},
		{name: "percent-escaped password", raw: "redis+sentinel://:p%40ss%2Fw@s1/m",
			master: "m", sentinels: []string{"s1:26379"}, pass: "p@ss/w"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tg.IsSentinel() {
				t.Fatalf("Parse(%q) is not a Sentinel target", tt.raw)
			}
			fo := tg.Failover
			got := []any{fo.MasterName, fo.SentinelAddrs, fo.DB, fo.Username, fo.Password, fo.SentinelUsername, fo.SentinelPassword, fo.TLSConfig != nil}
			want := []any{tt.master, tt.sentinels, tt.db, tt.user, tt.pass, tt.sentinelU, tt.sentinel, tt.tls}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("master, sentinels, db, user, password, sentinel user, sentinel password, tls (-want +got):\n%s", diff)
			}
			if s := tg.String(); strings.Contains(s, "pw") {
				t.Errorf("String() %q shows a password", s)
			}
		})
	}
}

func TestParseSingle(t *testing.T) {
	for _, raw := range []string{"redis://localhost:6379/0", "rediss://:pw@redis.internal:6380/2", "unix:///run/redis.sock?db=1", "redis://h"} {
		tg, err := Parse(raw)
		if err != nil {
			t.Errorf("Parse(%q): %v", raw, err)
			continue
		}
		if tg.IsSentinel() || tg.Single == nil {
			t.Errorf("Parse(%q) = %+v, want a single server", raw, tg)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tt := range []struct{ name, raw, why string }{
		{"no scheme", "localhost:6379", "not a URL"},
		{"http", "http://redis:6379", "scheme"},
		{"no host", "redis:///0", "no host"},
		{"unix without path", "unix://", "no host"},
		{"unknown option", "redis://h:6379?bogus=1", "unexpected option"},
		{"bad db", "redis://h:6379/x", "database"},
		{"sentinel without master", "redis+sentinel://s1:26379", "no master"},
		{"sentinel with empty master", "redis+sentinel://s1:26379/", "no master"},
		{"sentinel without hosts", "redis+sentinel:///m", "no sentinel"},
		{"sentinel empty host in list", "redis+sentinel://s1,,s2/m", "empty sentinel"},
		{"sentinel port without host", "redis+sentinel://:26379/m", "lacks a host"},
		{"sentinel bad db", "redis+sentinel://s1/m/zero", "database"},
		{"sentinel deep path", "redis+sentinel://s1/m/0/x", "more than"},
		{"sentinel master_name option", "redis+sentinel://s1/m?master_name=n", "in the path"},
		{"sentinel unknown option", "redis+sentinel://s1/m?bogus=1", "unexpected option"},
		{"sentinel bad timeout", "redis+sentinel://s1/m?dial_timeout=soon", "dial_timeout"},
		{"go-redis form bad addr", "redis://s1:26379?master_name=m&addr=nope", "addr"},
		{"negative pool", "redis://h:6379/0?pool_size=-1", "pool_size"},
		{"huge pool", "redis://h:6379/0?pool_size=99999999999", "pool_size"},
		{"sentinel negative idle", "redis+sentinel://s1/m?min_idle_conns=-3", "min_idle_conns"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.raw)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want one about %q", tt.raw, tt.why)
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("Parse(%q) = %q, want it to say %q", tt.raw, err, tt.why)
			}
		})
	}
}

func TestParseErrorsHideCredentials(t *testing.T) {
	for _, raw := range []string{
		"redis+sentinel://:hunter2@s1/m?bogus=1",
		"redis+sentinel://:hunter2@s1/m/x",
		"redis+sentinel://s1/m?sentinel_password=hunter2&bogus=1",
		"redis://:hunter2@h:6379/x",
		"redis://h:6379?master_name=m&password=hunter2&addr=bad",
		// A "/" in the password: part of it would have become a host.
		"redis+sentinel://:hun/ter2@s1:26379/mymaster",
		"redis+sentinel://ccm:hun/ter2@s1",
		"redis://ccm:hun/ter2@h:6379/0",
	} {
		_, err := Parse(raw)
		if err == nil {
			t.Errorf("Parse(%q): want an error", raw)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "hun") || strings.Contains(err.Error(), "ter2") {
			t.Errorf("Parse error %q leaks the password", err)
		}
	}
}

func TestDialOnce(t *testing.T) {
	for _, raw := range []string{"redis://h:6379", "redis+sentinel://s1/m"} {
		tg, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		tg.DialOnce()
		c := tg.NewClient()
		o := c.Options()
		_ = c.Close()
		if o.MaxRetries > 0 || o.DialerRetries != 1 { // go-redis stores -1 (none) as 0
			t.Errorf("%s after DialOnce: MaxRetries %d DialerRetries %d, want none and 1", raw, o.MaxRetries, o.DialerRetries)
		}
	}
}
