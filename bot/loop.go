package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// job is one acked envelope waiting for a worker.
type job struct {
	evt socketmode.Event
}

// drainTimeout is how long Run lets the workers finish acked envelopes
// after its context ends: each was acked, so Slack will not send it again.
const drainTimeout = 10 * time.Second

// Run connects over Socket Mode and serves until ctx ends. slack-go
// reconnects on its own (a dropped socket, a `disconnect` from Slack);
// Run returns an error only when Slack refuses the tokens (a *TokenError)
// or the connection cannot be made for good.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.checkUntilReady(ctx); err != nil || ctx.Err() != nil {
		return err
	}
	// Workers outlive ctx by drainTimeout, so envelopes already acked are
	// still answered during a shutdown.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	b.runCtx = workCtx
	// Follow-ups stop with the connection, not after the drain: they are
	// in Redis, and the next bot (this one rebuilt, or another replica)
	// resumes them.
	followCtx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	b.startFollowUps(followCtx)
	for range b.opt.Workers {
		b.wg.Go(func() { b.work(workCtx) })
	}
	smCtx, stopSM := context.WithCancel(ctx)
	defer stopSM()
	errc := make(chan error, 1)
	go func() { errc <- b.sm.RunContext(smCtx) }()
	b.log.Info("Slack bot starting (Socket Mode)", "workers", b.opt.Workers)

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			if ctx.Err() == nil {
				runErr = b.connErr(err)
			}
			break loop
		case evt := <-b.sm.Events:
			b.receive(ctx, evt)
		}
	}
	stopSM()
	stopFollow()
	close(b.jobs)
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		b.log.Warn("Slack bot: some acked envelopes were still being handled at shutdown")
		stopWork()
		<-done
	}
	b.wg.Wait()
	b.log.Info("Slack bot stopped")
	return runErr
}

// checkUntilReady runs Check until it passes: Slack unreachable at start
// is retried with backoff; a refused token ends it (a *TokenError).
func (b *Bot) checkUntilReady(ctx context.Context) error {
	wait := time.Second
	for {
		b.who.mu.RLock()
		ready := b.who.ready
		b.who.mu.RUnlock()
		if ready {
			return nil
		}
		err := b.Check(ctx)
		var te *TokenError
		if err == nil || errors.As(err, &te) {
			return err
		}
		b.log.Warn("cannot reach Slack; retrying", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

func (b *Bot) connErr(err error) error {
	if isRejected(err) {
		return &TokenError{Env: "SLACK_APP_TOKEN", Err: err}
	}
	return fmt.Errorf("slack socket mode: %w", err)
}

// receive handles one event from the socket: every envelope is acked at
// once by its envelope ID (Slack waits 3 s, then retries), then queued for
// a worker; connection events are logged.
func (b *Bot) receive(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		if err := b.sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			b.log.Error("ack failed: Slack will deliver this envelope again", "envelope_id", evt.Request.EnvelopeID, "err", err)
			return
		}
		select {
		case b.jobs <- job{evt: evt}:
		default:
			b.log.Warn("Slack bot backlog full: handling waits", "backlog", cap(b.jobs))
			select {
			case b.jobs <- job{evt: evt}:
			case <-ctx.Done():
			}
		}
	case socketmode.EventTypeHello:
		if evt.Request != nil {
			b.noteHello(evt.Request.ConnectionInfo.AppID)
		}
	case socketmode.EventTypeConnected:
		b.log.Info("Slack connected", "connection", eventConnectionCount(evt))
	case socketmode.EventTypeConnecting:
		b.log.Debug("Slack connecting")
	case socketmode.EventTypeConnectionError:
		b.log.Warn("Slack connection failed; retrying", "err", eventError(evt))
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack refused the app token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		b.log.Warn("Slack socket error", "type", evt.Type, "err", eventError(evt))
	}
}

func eventConnectionCount(evt socketmode.Event) int {
	if c, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
		return c.ConnectionCount
	}
	return 0
}

func eventError(evt socketmode.Event) any {
	switch d := evt.Data.(type) {
	case *slack.ConnectionErrorEvent:
		return d.ErrorObj
	case *slack.IncomingEventError:
		return d.ErrorObj
	case *socketmode.ErrorBadMessage:
		return d.Cause
	case *socketmode.ErrorWriteFailed:
		return d.Cause
	}
	return evt.Data
}

// noteHello records our app ID from the Socket Mode hello: Slack names
// the app the app-level token belongs to in connection_info.app_id, which
// is what every envelope for us carries as api_app_id.
func (b *Bot) noteHello(appID string) {
	if appID == "" {
		b.log.Warn("Slack hello without connection_info.app_id: interactions are refused until it is known")
		return
	}
	b.who.mu.Lock()
	changed := b.who.appID != appID
	b.who.appID = appID
	b.who.mu.Unlock()
	if changed {
		b.log.Info("Slack app identified", "app_id", appID)
	}
}

func (b *Bot) work(ctx context.Context) {
	for j := range b.jobs {
		b.handle(ctx, j.evt)
	}
}

// handleTimeout bounds one envelope's handling: slow work goes to asynq.
const handleTimeout = time.Minute

// handle runs one envelope once: a redelivery (same event, interaction or
// envelope) is dropped, and a panic is logged, never fatal.
func (b *Bot) handle(ctx context.Context, evt socketmode.Event) {
	ctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("Slack handler panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	key := deliveryKey(evt)
	if !b.firstDelivery(ctx, key) {
		b.log.Info("Slack redelivery ignored", "key", key, "retry_attempt", evt.Request.RetryAttempt)
		return
	}
	var err error
	switch d := evt.Data.(type) {
	case slackevents.EventsAPIEvent:
		err = b.onEvent(ctx, d)
	case slack.SlashCommand:
		err = b.onSlash(ctx, d)
	case slack.InteractionCallback:
		err = b.onInteraction(ctx, d)
	}
	if err != nil {
		b.log.Error("Slack request failed", "type", evt.Type, "err", err)
	}
}

// deliveryKey names what a redelivery repeats: the event ID of an Events
// API event, the trigger of a command or interaction (one per click or
// submission), else the envelope ID.
func deliveryKey(evt socketmode.Event) string {
	switch d := evt.Data.(type) {
	case slackevents.EventsAPIEvent:
		if cb, ok := d.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
			return "event:" + cb.EventID
		}
	case slack.SlashCommand:
		if d.TriggerID != "" {
			return "trigger:" + d.TriggerID
		}
	case slack.InteractionCallback:
		if d.TriggerID != "" {
			return "trigger:" + d.TriggerID
		}
	}
	return "envelope:" + evt.Request.EnvelopeID
}

// firstDelivery takes the key in Redis (SET NX with a TTL): true for the
// first delivery only. When Redis cannot answer it says true: handling an
// envelope twice is safe (decisions are compare-and-set, enqueues carry
// task IDs), losing one is not.
func (b *Bot) firstDelivery(ctx context.Context, key string) bool {
	_, ok, err := b.opt.Store.Lease(ctx, "slack:delivery:"+key, b.opt.DedupTTL)
	if err != nil {
		b.log.Warn("Slack dedup unavailable; handling the envelope anyway", "key", key, "err", err)
		return true
	}
	return ok
}

// errForeign is an envelope for another workspace or app.
var errForeign = errors.New("not for this workspace and app")

// ours checks an envelope's workspace and app against ours: auth.test's
// team, the hello's app. Until the app is known nothing is ours.
func (b *Bot) ours(team, app string) error {
	myTeam, _, myApp := b.who.get()
	switch {
	case myApp == "":
		return fmt.Errorf("%w: our app ID is not known yet (no Socket Mode hello)", errForeign)
	case team != myTeam:
		return fmt.Errorf("%w: workspace %q, ours is %q", errForeign, team, myTeam)
	case app != myApp:
		return fmt.Errorf("%w: app %q, ours is %q", errForeign, app, myApp)
	}
	return nil
}
