package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/openaisim"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
)

// The people of the sandbox's Slack workspace. Alice is the configured
// approver (and admin), the one the simulator clicks as; Mallory is not
// allowed to decide anything.
const (
	UserApprover = "U0ALICE"
	UserStranger = "U0MALLORY"
)

var people = map[string]string{UserApprover: "alice", UserStranger: "mallory"}

// SetupError is a problem starting the sandbox that only the person
// running it can fix (the port is taken, REDIS_URL points nowhere): the
// CLI exits 2 for it, as for a bad flag.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// World is ccm built exactly as `ccm serve` builds it (service.New, the
// bot and worker roles, the HTTP endpoints and the webhook receiver), or
// a built binary's `ccm serve` run as its own process, with every outside
// party simulated on loopback: GitHub, Slack (Web API and Socket Mode)
// and, unless a real key is given, the OpenAI API.
type World struct {
	GitHub *githubsim.Server
	// Slack is the simulated workspace (`--slack-ui` draws it with
	// sim/slacksim/slackui).
	Slack *slacksim.Server
	AI    *openaisim.Server // nil with a real model
	// Store reads ccm's state on the Redis ccm uses; the queue client and
	// inspector reach its queues there.
	Store     *state.Store
	queue     *asynq.Client
	inspector *asynq.Inspector
	// ccm is the ccm under test: in this process, or `ccm serve` run as
	// its own process (WorldOptions.Binary).
	ccm underTest
	// redisNote says whose Redis it is, for the header.
	redisNote string
	// closeStore and mini are the world's own connection and embedded
	// Redis when ccm runs as its own process (in-process, ccm's are used).
	closeStore func() error
	mini       *miniredis.Miniredis

	base   *config.Config // the config every scenario starts from
	secret []byte
	hook   string // the webhook URL
	client *http.Client

	redis *redis.Client // REDIS_URL's database, emptied at the end; nil when embedded
	// owner is the token the sandbox claimed REDIS_URL's database with
	// (claimRedis): it empties the database only while the claim is its.
	owner string
	// hold, while set, keeps the simulated model from answering; done
	// lets it go when the world closes.
	hold   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	nextID int64
	// heads lists the head SHAs of the runs seeded per repository and
	// branch (scenarios play one at a time).
	heads map[string][]string
}

// WorldOptions say how to build the world.
type WorldOptions struct {
	// Env is the process environment: REDIS_URL (unset: embedded),
	// OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL (set: the real
	// model answers). Everything else is the simulators'.
	Env config.Env
	// HTTPAddr is where ccm's HTTP endpoints listen (webhooks, /metrics);
	// "" picks a free loopback port.
	HTTPAddr string
	Config   *config.Config
	Logger   *slog.Logger
	// Binary, when set, is a ccm binary: the world runs `Binary serve`
	// as its own process, as deployed, instead of building ccm in this
	// process, with its config in a file the world rewrites and, without
	// REDIS_URL, a Redis the world embeds and shares with it.
	Binary string
}

// StartWorld starts the simulators and ccm, and waits until ccm's Slack
// bot is connected. Close stops everything it started.
func StartWorld(ctx context.Context, opt WorldOptions) (_ *World, err error) {
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w := &World{base: opt.Config, client: &http.Client{Timeout: 10 * time.Second}, heads: map[string][]string{}}
	// Run IDs start from the clock, so a second sandbox run against the
	// same REDIS_URL does not find its failures already recorded.
	w.nextID = 7_000_000_000 + time.Now().Unix()%1_000_000*1000
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	w.GitHub = githubsim.NewServer()
	// Trigger IDs never expire: a loaded machine must not fail a demo on
	// Slack's 3 s (each scenario adds its own channels).
	w.Slack = slacksim.NewServer(slacksim.Config{Users: people, TriggerTTL: -1})
	w.secret = []byte(randomHex(16))

	env := config.Env{
		GitHubToken: "sandbox", GitHubAPIURL: w.GitHub.URL, GitHubWebhookSecret: string(w.secret),
		SlackBotToken: w.Slack.Config().BotToken, SlackAppToken: w.Slack.Config().AppToken, SlackAPIURL: w.Slack.URL(),
		RedisURL: opt.Env.RedisURL,
	}
	if opt.Env.OpenAIAPIKey != "" {
		env.OpenAIAPIKey, env.OpenAIBaseURL, env.OpenAIModel = opt.Env.OpenAIAPIKey, opt.Env.OpenAIBaseURL, opt.Env.OpenAIModel
	} else {
		// The OpenAI fake takes no key, like Ollama or vLLM; it answers
		// with the rules' verdict on the log ccm actually sent.
		w.AI = openaisim.NewServer()
		w.done = make(chan struct{})
		w.AI.Default(func(req openai.ChatCompletionRequest) openaisim.Reply {
			w.waitModel()
			return modelAnswer(req)
		})
		env.OpenAIBaseURL = w.AI.URL
	}
	if opt.Env.RedisURL != "" {
		if w.redis, w.owner, err = claimRedis(ctx, opt.Env.RedisURL); err != nil {
			return nil, err
		}
	}
	addr := opt.HTTPAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	storeLog := slog.New(atLeast{logger.Handler(), slog.LevelError})
	if opt.Binary != "" {
		err = w.startServe(ctx, opt.Binary, opt.Config, env, addr, storeLog)
	} else {
		err = w.startInProcess(ctx, env, opt.Config, addr, logger, storeLog)
	}
	if err != nil {
		return nil, err
	}
	w.hook = "http://" + w.ccm.Addr() + "/webhooks/github"
	// Socket Mode connects after /readyz: wait for it, unless ccm died.
	for end := time.Now().Add(15 * time.Second); ; {
		err := w.Slack.WaitConnected(1, 250*time.Millisecond)
		switch {
		case err == nil:
			return w, nil
		case ctx.Err() != nil:
			return nil, ErrInterrupted
		case w.died(ctx):
			return nil, &SetupError{Err: &ServeDiedError{Err: fmt.Errorf("%w before its Slack bot connected", w.ccm.Cause()), Log: w.ccm.Log()}}
		case time.Now().After(end):
			return nil, fmt.Errorf("sandbox: ccm's Slack bot did not connect to the Slack simulator: %w", err)
		}
	}
}

// Close stops ccm first (its in-flight tasks may still call the
// simulators), then the simulators.
func (w *World) Close() {
	if w.done != nil {
		close(w.done) // a held model answer must not hold the shutdown
	}
	if w.ccm != nil {
		_ = w.ccm.Shutdown()
	}
	if w.Slack != nil {
		w.Slack.Close()
	}
	if w.GitHub != nil {
		w.GitHub.Close()
	}
	if w.AI != nil {
		w.AI.Close()
	}
	if w.closeStore != nil {
		_ = w.closeStore()
	}
	if w.mini != nil {
		w.mini.Close()
	}
	if w.redis != nil {
		// The database was empty when the sandbox began: leave it so,
		// or the next run would meet this one's threads and tallies.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = releaseRedis(ctx, w.redis, w.owner)
		cancel()
		_ = w.redis.Close()
	}
}

// Addr is where ccm's HTTP endpoints listen.
func (w *World) Addr() string { return w.ccm.Addr() }

// HoldModel keeps the simulated model from answering until release is
// called (a real model is not held): the failures of an outage that
// arrive together are then all recorded before the first is decided,
// whatever the machine's speed.
func (w *World) HoldModel() (release func()) {
	if w.AI == nil {
		return func() {}
	}
	ch := make(chan struct{})
	w.mu.Lock()
	w.hold = ch
	w.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			w.hold = nil
			w.mu.Unlock()
			close(ch)
		})
	}
}

func (w *World) waitModel() {
	w.mu.Lock()
	ch := w.hold
	w.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-w.done:
	}
}

func (w *World) runID() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	return w.nextID
}

// webhook delivers a signed workflow_run "completed" delivery for run, as
// GitHub would the moment it fails.
func (w *World) webhook(ctx context.Context, repo string, run githubsim.Run) error {
	body := githubsim.WorkflowRunEventBody(repo, run, "completed")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hook, strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("webhook for %s#%d: %w", repo, run.ID, err)
	}
	req.Header.Set("X-GitHub-Event", "workflow_run")
	req.Header.Set("X-GitHub-Delivery", randomHex(8))
	req.Header.Set("X-Hub-Signature-256", githubsim.SignWebhook(w.secret, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook for %s#%d: %w", repo, run.ID, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("webhook for %s#%d: ccm answered %s", repo, run.ID, resp.Status)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errStopped is returned by a wait cut short by the context (Ctrl-C).
var errStopped = errors.New("interrupted")

// settle waits, up to limit, until ccm has nothing queued, running or
// waiting to retry (work scheduled for later aside) on three checks in a
// row: the Slack threads then show where the scenario ended, not a step
// behind it (notifications follow the audit stream).
func (w *World) settle(ctx context.Context, limit time.Duration) {
	end := time.Now().Add(limit)
	idle := 0
	for idle < 3 && time.Now().Before(end) && ctx.Err() == nil && !w.died(ctx) {
		busy := 0
		queues, err := w.inspector.Queues()
		if err != nil {
			return
		}
		for _, q := range queues {
			info, err := w.inspector.GetQueueInfo(q)
			if err != nil {
				return
			}
			busy += info.Pending + info.Active + info.Retry
		}
		if busy == 0 {
			idle++
		} else {
			idle = 0
		}
		time.Sleep(40 * time.Millisecond)
	}
}
