// Package redisurl reads REDIS_URL: one Redis server (redis://, rediss://,
// unix://, go-redis's own forms) or a master found through Redis Sentinel
// (redis+sentinel://), so config validation, the service and the CLI all
// accept exactly the same URLs and open them the same way.
//
// The Sentinel form is
//
//	redis+sentinel://[[user]:password@]host1[:port][,host2[:port]...]/master[/db][?options]
//	rediss+sentinel://...  (TLS to sentinels and servers)
//
// The hosts are the sentinels (port 26379 when omitted); master is the name
// the sentinels monitor (`sentinel monitor <master> ...`); db defaults to 0.
// The user and password are the Redis servers' (as in redis://), so moving
// from redis:// to redis+sentinel:// keeps them where they were; sentinels
// that require a password of their own take the sentinel_password (and
// sentinel_username) option. Other options are go-redis's (dial_timeout,
// read_timeout, pool_size, ...), checked by go-redis's parser.
//
// go-redis's own failover form, a redis:// or rediss:// URL with a
// master_name option (redis://sentinel1:26379/0?master_name=mymaster&addr=sentinel2:26379),
// is accepted as is.
package redisurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"
)

// DefaultSentinelPort is Redis Sentinel's port.
const DefaultSentinelPort = "26379"

// Target is where a REDIS_URL points: one server, or a master through its
// sentinels. Exactly one of Single and Failover is set.
type Target struct {
	Single   *redis.Options
	Failover *redis.FailoverOptions
}

// Parse reads raw. Its errors never hold the URL, which may carry a
// password.
func Parse(raw string) (Target, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, errors.New("not a URL (want scheme://...)")
	}
	switch strings.ToLower(scheme) {
	case "redis+sentinel", "rediss+sentinel":
		fo, err := parseSentinel(raw)
		if err != nil {
			return Target{}, err
		}
		return Target{Failover: fo}, checkPool(fo.PoolSize, fo.MinIdleConns, fo.MaxIdleConns, fo.MaxActiveConns)
	case "redis", "rediss", "unix":
	default:
		return Target{}, fmt.Errorf("scheme %q is not redis, rediss, unix, redis+sentinel or rediss+sentinel", scheme)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, errors.New("does not parse as a URL")
	}
	if strings.EqualFold(scheme, "unix") && u.Path == "" || !strings.EqualFold(scheme, "unix") && u.Host == "" {
		return Target{}, errors.New("names no host (or, for unix://, no socket path)")
	}
	if u.Query().Has("master_name") {
		fo, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return Target{}, safeErr(err)
		}
		return Target{Failover: fo}, checkPool(fo.PoolSize, fo.MinIdleConns, fo.MaxIdleConns, fo.MaxActiveConns)
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return Target{}, safeErr(err)
	}
	return Target{Single: o}, checkPool(o.PoolSize, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns)
}

// maxPool bounds the connection-pool options: go-redis parses any integer
// and then panics building the pool on a negative or huge one.
const maxPool = 100_000

// checkPool refuses pool options go-redis would panic on, naming the
// option, never the URL.
func checkPool(size, minIdle, maxIdle, maxActive int) error {
	for _, o := range []struct {
		name string
		v    int
	}{{"pool_size", size}, {"min_idle_conns", minIdle}, {"max_idle_conns", maxIdle}, {"max_active_conns", maxActive}} {
		if o.v < 0 || o.v > maxPool {
			return fmt.Errorf("option %s=%d is out of range (0-%d)", o.name, o.v, maxPool)
		}
	}
	return nil
}

// parseSentinel turns the redis+sentinel form into go-redis's failover URL
// and lets go-redis parse that, so every option means what go-redis says.
// The authority is split by hand: net/url refuses a list of IPv6 hosts.
func parseSentinel(raw string) (*redis.FailoverOptions, error) {
	scheme, rest, _ := strings.Cut(raw, "://")
	var userinfo string
	// The user info ends at the last "@" before the options; a "/" in it
	// (a base64 password) would otherwise cut the authority short and put
	// part of the password in the host list, and in an error message.
	head := rest
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		head = rest[:i]
	}
	if at := strings.LastIndex(head, "@"); at >= 0 {
		if strings.Contains(head[:at], "/") {
			return nil, errors.New("user info holds an unescaped \"/\": percent-encode it (%2F) in the password")
		}
		userinfo, rest = rest[:at], rest[at+1:]
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if authority == "" {
		return nil, errors.New("names no sentinel (want host[:port][,host[:port]...])")
	}
	var addrs []string
	for h := range strings.SplitSeq(authority, ",") {
		addr, err := sentinelAddr(h)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, addr)
	}
	u, err := url.Parse("x://h" + tail)
	if err != nil {
		return nil, errors.New("path or options do not parse")
	}
	if u.Fragment != "" {
		return nil, errors.New("has a #fragment")
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	master, db := parts[0], "0"
	switch {
	case master == "":
		return nil, errors.New("names no master (want .../<master name>[/<db>])")
	case len(parts) == 2:
		db = parts[1]
	case len(parts) > 2:
		return nil, errors.New("path has more than /<master>/<db>")
	}
	q := u.Query()
	if q.Has("master_name") || q.Has("addr") {
		return nil, errors.New("the master goes in the path and the sentinels in the host list, not in master_name or addr options")
	}
	// go-redis: the URL's user info is the sentinels', the username and
	// password options the servers'. ccm's form has it the other way.
	sentinelUser, sentinelPass := q.Get("sentinel_username"), q.Get("sentinel_password")
	q.Del("sentinel_username")
	q.Del("sentinel_password")
	if userinfo != "" {
		ui, err := url.Parse("x://" + userinfo + "@h")
		if err != nil || ui.User == nil {
			return nil, errors.New("user info does not parse (escape special characters in the password)")
		}
		if name := ui.User.Username(); name != "" {
			q.Set("username", name)
		}
		if pw, ok := ui.User.Password(); ok {
			q.Set("password", pw)
		}
	}
	q.Set("master_name", master)
	for _, a := range addrs[1:] {
		q.Add("addr", a)
	}
	gr := url.URL{Scheme: strings.TrimSuffix(strings.ToLower(scheme), "+sentinel"), Host: addrs[0], Path: "/" + db, RawQuery: q.Encode()}
	switch {
	case sentinelPass != "":
		gr.User = url.UserPassword(sentinelUser, sentinelPass)
	case sentinelUser != "":
		gr.User = url.User(sentinelUser)
	}
	fo, err := redis.ParseFailoverURL(gr.String())
	if err != nil {
		return nil, safeErr(err)
	}
	return fo, nil
}

func sentinelAddr(h string) (string, error) {
	if h == "" {
		return "", errors.New("has an empty sentinel in its host list")
	}
	if host, port, err := net.SplitHostPort(h); err == nil {
		if host == "" || port == "" {
			return "", errors.New("a sentinel in the host list lacks a host or a port")
		}
		return h, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.ContainsAny(host, "[]/ ") {
		return "", errors.New("a sentinel in the host list is not host[:port]")
	}
	return net.JoinHostPort(host, DefaultSentinelPort), nil
}

// invalidOption is go-redis's "invalid <name> option" message.
var invalidOption = regexp.MustCompile(`^invalid (\w+) `)

// safeErr keeps go-redis's reason (an option name, a database number) but
// drops anything after a colon that could be a credential-bearing value.
func safeErr(err error) error {
	msg := strings.TrimPrefix(err.Error(), "redis: ")
	// A message that quotes the input (net/url's `parse "…": invalid
	// port ":abc"`) may quote a password: say only what kind of problem.
	if m := invalidOption.FindStringSubmatch(msg); m != nil && !strings.Contains(m[1], "password") {
		return fmt.Errorf("invalid %s option", m[1]) // the option's name, never its value
	}
	if strings.ContainsAny(msg, "@\"") || strings.Contains(msg, "password") || strings.HasPrefix(msg, "parse ") {
		return errors.New("is not a valid Redis URL (check host, port, database and options; percent-encode special characters in the password)")
	}
	return errors.New(msg)
}

// IsSentinel reports whether t goes through Sentinel.
func (t Target) IsSentinel() bool { return t.Failover != nil }

// NewClient opens a client on t: go-redis's failover client (it asks the
// sentinels for the master and follows a promotion) or a plain one.
func (t Target) NewClient() *redis.Client {
	if t.Failover != nil {
		return redis.NewFailoverClient(t.Failover)
	}
	return redis.NewClient(t.Single)
}

// Clone is a copy of t whose options can be changed without changing t's.
func (t Target) Clone() Target {
	if t.Failover != nil {
		fo := *t.Failover
		fo.SentinelAddrs = append([]string(nil), t.Failover.SentinelAddrs...)
		return Target{Failover: &fo}
	}
	o := *t.Single
	return Target{Single: &o}
}

// DialOnce makes a client of t fail at once (one dial, no retries): for a
// person at a terminal, or a readiness probe, not for the work of a
// service that rides out a restart.
func (t Target) DialOnce() {
	if t.Failover != nil {
		t.Failover.MaxRetries, t.Failover.DialerRetries = -1, 1
		return
	}
	t.Single.MaxRetries, t.Single.DialerRetries = -1, 1
}

// Network and Addrs are what to dial to see that t is reachable: the
// server, or each sentinel.
func (t Target) Network() string {
	if t.Single != nil && t.Single.Network != "" {
		return t.Single.Network
	}
	return "tcp"
}

// Addrs: see Network.
func (t Target) Addrs() []string {
	if t.Failover != nil {
		return t.Failover.SentinelAddrs
	}
	return []string{t.Single.Addr}
}

// String names t for a log line or an error, without credentials.
func (t Target) String() string {
	if t.Failover != nil {
		return fmt.Sprintf("master %q via sentinels %s", t.Failover.MasterName, strings.Join(t.Failover.SentinelAddrs, ","))
	}
	return t.Single.Addr
}
