package slacksim

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults used when a Config field is empty. Tests can refer to them
// instead of repeating literals.
const (
	DefaultBotToken  = "xoxb-0000-sim-bot"
	DefaultAppToken  = "xapp-1-A0CCMSIM-0000-sim"
	DefaultTeamID    = "T0CCMSIM"
	DefaultTeamName  = "ccm-sim"
	DefaultBotUserID = "U0CCMBOT"
	DefaultBotID     = "B0CCMBOT"
	DefaultBotName   = "ccm"
	DefaultAppID     = "A0CCMSIM"
)

// Config describes the workspace the simulator pretends to be. Zero fields
// take the Default* values; Channels and Users are created up front.
type Config struct {
	BotToken  string // xoxb-: every Web API method but apps.connections.open
	AppToken  string // xapp-: apps.connections.open only
	TeamID    string
	TeamName  string // also the workspace domain, <name>.slack.com
	BotUserID string
	BotID     string
	BotName   string
	AppID     string
	// Channels are created up front, by name with or without '#', with
	// made-up IDs unless ChannelIDs fixes them (name without '#' -> ID),
	// for config that names channels by ID.
	Channels   []string
	ChannelIDs map[string]string
	// Users are added up front, id -> display name.
	Users map[string]string
	// PingInterval is how often the Socket Mode half sends a WebSocket
	// PING; slack-go drops a connection that sees none for 30s (its
	// default OptionPingInterval). 0 means 2s.
	PingInterval time.Duration
	// RedeliverAfter, when > 0, makes the server redeliver an events_api
	// envelope that is not acked within it (retry_attempt 1, 2, 3,
	// retry_reason "timeout"), as Slack does; 0 never redelivers on its
	// own (use Server.Redeliver).
	RedeliverAfter time.Duration
	// TriggerTTL is how long a trigger_id handed out in a payload stays
	// valid for views.open. Slack's is 3s; 0 means 3s, negative never
	// expires (for slow -race runs that do not test expiry).
	TriggerTTL time.Duration
}

func (c Config) withDefaults() Config {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.BotToken, DefaultBotToken)
	def(&c.AppToken, DefaultAppToken)
	def(&c.TeamID, DefaultTeamID)
	def(&c.TeamName, DefaultTeamName)
	def(&c.BotUserID, DefaultBotUserID)
	def(&c.BotID, DefaultBotID)
	def(&c.BotName, DefaultBotName)
	def(&c.AppID, DefaultAppID)
	if c.PingInterval <= 0 {
		c.PingInterval = 2 * time.Second
	}
	if c.TriggerTTL == 0 {
		c.TriggerTTL = 3 * time.Second
	}
	return c
}

// Server is a running fake Slack: the Web API under URL(), the Socket Mode
// WebSocket endpoint handed out by apps.connections.open, and response_url
// endpoints. All methods are safe for concurrent use.
type Server struct {
	cfg      Config
	hs       *httptest.Server
	base     string // http://127.0.0.1:port
	upgrader websocket.Upgrader
	started  time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every recorded change
	closed  bool

	// Web API
	methods   map[string]handler // set once in NewServer
	calls     []Call
	faults    []*faultEntry
	latency   map[string]time.Duration // by method; "" = every method
	postRate  float64                  // chat.postMessage per channel a second; 0 = unlimited
	postBurst int
	buckets   map[string]*bucket // by channel ID

	// workspace model
	nextID     int
	tsSeq      int64
	channels   map[string]*channel // by ID
	order      []string            // channel IDs in creation order
	users      map[string]string   // id -> name
	groups     map[string][]string // user group ID -> members
	ephemerals []Ephemeral
	views      map[string]*View // by view ID
	homes      map[string]string
	triggers   map[string]time.Time // trigger_id -> issued
	responses  map[string]*responseTarget
	respPosts  []ResponsePost

	// Socket Mode
	tickets       map[string]bool // issued by apps.connections.open, unused
	conns         map[int]*sockConn
	connTotal     int
	rejectedDials int
	envelopes     map[string]*envelope
	acks          []Ack
	timers        map[string]*time.Timer // pending redeliveries by envelope ID
	sockWG        sync.WaitGroup
	unexpected    []string
}

// New starts a simulator that is closed when the test ends; anything it
// could not serve honestly (unknown methods, undecodable bodies, acks for
// unknown envelopes) fails the test then.
func New(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := NewServer(cfg)
	t.Cleanup(func() {
		s.Close()
		for _, u := range s.Unexpected() {
			t.Errorf("slacksim: %s", u)
		}
	})
	return s
}

// NewServer starts a simulator outside a test (ccm sandbox); the caller
// must Close it.
func NewServer(cfg Config) *Server {
	s := &Server{
		cfg:       cfg.withDefaults(),
		started:   time.Now(),
		changed:   make(chan struct{}),
		latency:   map[string]time.Duration{},
		channels:  map[string]*channel{},
		users:     map[string]string{},
		groups:    map[string][]string{},
		views:     map[string]*View{},
		homes:     map[string]string{},
		triggers:  map[string]time.Time{},
		responses: map[string]*responseTarget{},
		tickets:   map[string]bool{},
		conns:     map[int]*sockConn{},
		envelopes: map[string]*envelope{},
		buckets:   map[string]*bucket{},
		timers:    map[string]*time.Timer{},
	}
	// Slack's Socket Mode clients send Origin: https://api.slack.com; the
	// simulator accepts any origin since it only listens on loopback.
	s.methods = s.handlers()
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.users[s.cfg.BotUserID] = s.cfg.BotName
	for id, name := range s.cfg.Users {
		s.users[id] = name
	}
	for _, name := range s.cfg.Channels {
		name = strings.TrimPrefix(name, "#")
		s.addChannelLocked(name, s.cfg.ChannelIDs[name])
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.base = s.hs.URL
	return s
}

// URL is the Web API base, ending in "/api/" as slack.OptionAPIURL wants.
func (s *Server) URL() string { return s.base + "/api/" }

// Config returns the configuration in effect (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// Close cuts every Socket Mode connection, waits for their goroutines and
// shuts the HTTP server down.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for _, t := range s.timers {
		t.Stop()
	}
	conns := make([]*sockConn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	s.sockWG.Wait()
	s.hs.Close()
}

// Unexpected lists what the simulator could not serve honestly.
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

func (s *Server) addUnexpected(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unexpected) < 1000 {
		s.unexpected = append(s.unexpected, fmt.Sprintf(format, args...))
	}
}

// notifyLocked wakes every waiter; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ErrTimeout is returned (wrapped) by the Wait* helpers.
var ErrTimeout = errors.New("slacksim: timed out")

// waitFor polls cond under s.mu each time the simulator records a change,
// until it holds or timeout passes.
func (s *Server) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// WaitUntil waits until cond holds, checking it each time the simulator
// records something (a call, a message, an ack, a connection). cond may
// call the Server's accessors.
func (s *Server) WaitUntil(timeout time.Duration, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		// Read changed before cond, so a change made while cond runs
		// still wakes the loop.
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("waiting for a condition: %w", ErrTimeout)
		}
	}
}

// serveHTTP routes the three halves: /api/<method>, the Socket Mode
// WebSocket at /link/ and response URLs at /actions/.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		s.serveAPI(w, r, strings.TrimPrefix(r.URL.Path, "/api/"))
	case r.URL.Path == "/link/" || r.URL.Path == "/link":
		s.serveSocket(w, r)
	case strings.HasPrefix(r.URL.Path, "/actions/"):
		s.serveResponseURL(w, r, strings.TrimPrefix(r.URL.Path, "/actions/"))
	default:
		s.addUnexpected("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	}
}

// newID returns a Slack-looking ID with the given prefix (C, D, V, ...).
func (s *Server) newIDLocked(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s0SIM%05d", prefix, s.nextID)
}

// nextTSLocked returns a message timestamp strictly greater than every one
// handed out before: Slack's "seconds.micros" form, anchored at start.
func (s *Server) nextTSLocked() string {
	s.tsSeq++
	us := s.started.UnixMicro() + s.tsSeq
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}
