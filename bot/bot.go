package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Store is what the bot reads from (and, for refusals and dedup, writes
// to) Redis.
type Store interface {
	GetFailure(ctx context.Context, id string) (state.FailureRecord, error)
	ListFailures(ctx context.Context, q state.FailureQuery) ([]state.FailureRecord, error)
	GetApproval(ctx context.Context, id string) (state.Approval, error)
	ApprovalForFailure(ctx context.Context, failureID string) (state.Approval, error)
	PendingApprovals(ctx context.Context) ([]state.Approval, error)
	QueryAudit(ctx context.Context, q state.AuditQuery) ([]state.AuditEntry, error)
	Aggregate(ctx context.Context, q state.MetricsQuery) (state.Aggregate, error)
	OpenIncidents(ctx context.Context) ([]string, error)
	// Scorecards is the shadow scorecard of every repository that has one.
	Scorecards(ctx context.Context) ([]state.Scorecard, error)
	Setting(ctx context.Context, key string) (string, bool, error)
	Audit(ctx context.Context, e state.AuditEntry) (string, error)
	Lease(ctx context.Context, name string, ttl time.Duration) (func(context.Context) error, bool, error)
	// The answers `analyze` owes in threads, kept so that a restart or
	// another replica still posts them (see followups.go).
	AddSlackFollowUp(ctx context.Context, f state.SlackFollowUp) error
	SlackFollowUps(ctx context.Context) ([]state.SlackFollowUp, error)
	ClaimSlackFollowUp(ctx context.Context, key string) (bool, error)
	DropSlackFollowUps(ctx context.Context, before time.Time) (int, error)
}

var _ Store = (*state.Store)(nil)

// Pipeline is what the bot asks of the task handlers; every decision and
// every piece of work goes through them (tasks.Handlers satisfies it).
type Pipeline interface {
	Approve(ctx context.Context, requestID, actor string) (state.Approval, error)
	Reject(ctx context.Context, requestID, actor, reason string) (state.Approval, error)
	EnqueueRemediate(ctx context.Context, failureID string) error
	SetRiskThreshold(ctx context.Context, repo string, threshold int, actor string) ([]tasks.Reevaluation, error)
	ThresholdInForce(ctx context.Context, repo string) (int, policy.ThresholdSource, *int, error)
	PollNow(ctx context.Context, repo string) error
	Regate(ctx context.Context, failureID, actor string) (string, error)
	IngestRun(ctx context.Context, repo string, runID int64, attempt int) (bool, error)
}

var _ Pipeline = (*tasks.Handlers)(nil)

// Queues reads asynq's queue sizes (asynq.Inspector satisfies it).
type Queues interface {
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// LatestAttempt tells which attempt of a run is the latest, for a run URL
// that names none (the GitHub client's GetRun with attempt 0 does).
type LatestAttempt func(ctx context.Context, repo string, runID int64) (int, error)

// Options configure a Bot. AppToken, BotToken, Store, Pipeline and Config
// are required.
type Options struct {
	// AppToken (xapp-…) opens the Socket Mode connection; BotToken
	// (xoxb-…) calls the Web API. APIURL is the Web API base ending in
	// /api/ ("" is Slack's).
	AppToken, BotToken, APIURL string
	// GitHubAPIURL is GITHUB_API_URL: a run URL on another server is
	// refused (its token would go to the wrong host).
	GitHubAPIURL string
	Store        Store
	Pipeline     Pipeline
	Queues       Queues
	Latest       LatestAttempt
	Config       func() *config.Config
	Logger       *slog.Logger
	HTTPClient   *http.Client
	// Workers handle envelopes after their ack (default twice the CPUs,
	// at least 4: the work waits on Redis and Slack, and more workers
	// only take CPU from the socket reader whose acks Slack times);
	// Backlog is how many acked envelopes may wait for one (default 512).
	Workers, Backlog int
	// DedupTTL is how long a delivered envelope is remembered (default
	// 1 h; Slack retries within minutes). GroupTTL is how long a user
	// group's members are cached (default 5 min).
	DedupTTL, GroupTTL time.Duration
	// FollowUp is how long `analyze` waits for the analysis before it
	// says it gave up (default 15 min); FollowUpEvery how often it looks
	// (default 3 s); FollowUpSweep how often the bot resumes, from Redis,
	// follow-ups it does not watch (a restart's, another replica's;
	// default 1 min, and at start).
	FollowUp, FollowUpEvery, FollowUpSweep time.Duration
	Now                                    func() time.Time
}

// Bot is ccm in Slack. New builds it, Check proves both tokens, Run
// connects and serves until its context ends.
type Bot struct {
	opt  Options
	log  *slog.Logger
	api  *slack.Client
	sm   *socketmode.Client
	http *http.Client
	who  identity
	auth *resolver

	jobs   chan job
	runCtx context.Context // the workers' context, for work outliving a handler
	follow watchSet        // the follow-ups watched here, bounded
	wg     sync.WaitGroup
}

// identity is who we are in Slack: the workspace and bot user from
// auth.test, the app from the Socket Mode hello. Interactions for any
// other workspace or app are refused.
type identity struct {
	mu                   sync.RWMutex
	team, botUser, appID string
	ready                bool
}

func (w *identity) get() (team, user, app string) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.team, w.botUser, w.appID
}

// TokenError is a token Slack rejected: only the operator can fix it, so
// ccm serve exits 2. Env names the variable.
type TokenError struct {
	Env string
	Err error
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("%s was rejected by Slack (revoked, expired or mistyped): %v", e.Env, e.Err)
}
func (e *TokenError) Unwrap() error { return e.Err }

// New builds the bot; nothing connects until Check or Run.
func New(opt Options) (*Bot, error) {
	switch {
	case opt.AppToken == "" || opt.BotToken == "":
		return nil, errors.New("bot: SLACK_APP_TOKEN and SLACK_BOT_TOKEN are both required")
	case opt.Store == nil || opt.Pipeline == nil || opt.Config == nil:
		return nil, errors.New("bot: Store, Pipeline and Config are required")
	}
	if opt.APIURL != "" && !strings.HasSuffix(opt.APIURL, "/") {
		opt.APIURL += "/" // slack-go appends method names to it
	}
	opt.Workers = orDefault(opt.Workers, max(4, 2*runtime.GOMAXPROCS(0)))
	opt.Backlog = orDefault(opt.Backlog, 512)
	opt.DedupTTL = orDefault(opt.DedupTTL, time.Hour)
	opt.GroupTTL = orDefault(opt.GroupTTL, 5*time.Minute)
	opt.FollowUp = orDefault(opt.FollowUp, 15*time.Minute)
	opt.FollowUpEvery = orDefault(opt.FollowUpEvery, 3*time.Second)
	opt.FollowUpSweep = orDefault(opt.FollowUpSweep, time.Minute)
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	b := &Bot{opt: opt, log: opt.Logger, http: opt.HTTPClient}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.log = b.log.With("component", "slack")
	slackOpts := []slack.Option{slack.OptionAppLevelToken(opt.AppToken), slack.OptionHTTPClient(opt.HTTPClient)}
	if opt.APIURL != "" {
		slackOpts = append(slackOpts, slack.OptionAPIURL(opt.APIURL))
	}
	b.api = slack.New(opt.BotToken, slackOpts...)
	b.sm = socketmode.New(b.api)
	b.auth = newResolver(b.api, opt.GroupTTL, opt.Now, b.log)
	b.jobs = make(chan job, opt.Backlog)
	return b, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// rejectedAuth are the errors Slack gives a token it will never accept.
var rejectedAuth = []string{"invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired", "not_allowed_token_type"}

func isRejected(err error) bool {
	for _, code := range rejectedAuth {
		if err != nil && strings.Contains(err.Error(), code) {
			return true
		}
	}
	return false
}

// Check proves both tokens once at start: auth.test with the bot token
// (which also says our workspace and bot user), apps.connections.open
// with the app token. A token Slack rejects is a *TokenError; Slack being
// unreachable is an ordinary error.
func (b *Bot) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	at, err := b.api.AuthTestContext(ctx)
	if isRejected(err) {
		return &TokenError{Env: "SLACK_BOT_TOKEN", Err: err}
	}
	if err != nil {
		return fmt.Errorf("slack auth.test: %w", err)
	}
	if _, _, err := b.sm.OpenContext(ctx); isRejected(err) {
		return &TokenError{Env: "SLACK_APP_TOKEN", Err: err}
	} else if err != nil {
		return fmt.Errorf("slack apps.connections.open: %w", err)
	}
	b.who.mu.Lock()
	b.who.team, b.who.botUser, b.who.ready = at.TeamID, at.UserID, true
	b.who.mu.Unlock()
	b.log.Info("Slack tokens accepted", "team_id", at.TeamID, "bot_user", at.UserID)
	return nil
}
