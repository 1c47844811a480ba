package llm

import (
	"sync"
	"time"
)

// Breaker defaults.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 60 * time.Second
)

// Breaker is a circuit breaker in front of the model (seed design, error
// recovery: stop retrying after a threshold). After Failures consecutive
// analyses in which the model gave no usable answer (transport or HTTP
// errors, timeouts, invalid answers), a Chain skips the model for the
// cooldown and answers with the rules; then one trial analysis may call it
// again: success closes the breaker, failure opens it for another
// cooldown. Analyses that never reached the model (no log text) or that
// the caller cancelled do not count. Safe for concurrent use.
type Breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu        sync.Mutex
	streak    int       // consecutive failures
	openUntil time.Time // while streak >= failures: no call before this
	trial     bool      // a trial call is in flight
}

// NewBreaker returns a closed Breaker; failures <= 0 and cooldown <= 0
// take the defaults.
func NewBreaker(failures int, cooldown time.Duration) *Breaker {
	if failures <= 0 {
		failures = DefaultBreakerFailures
	}
	if cooldown <= 0 {
		cooldown = DefaultBreakerCooldown
	}
	return &Breaker{failures: failures, cooldown: cooldown, now: time.Now}
}

// pass is what allow hands out: whether the model may be called, and if
// this call is the one trial after a cooldown.
type pass struct {
	ok    bool
	trial bool
	// streak and until explain a refusal.
	streak int
	until  time.Time
}

// allow says whether an analysis may call the model now. A nil Breaker
// always allows.
func (b *Breaker) allow() pass {
	if b == nil {
		return pass{ok: true}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.streak < b.failures {
		return pass{ok: true}
	}
	if b.trial || b.now().Before(b.openUntil) {
		return pass{streak: b.streak, until: b.openUntil}
	}
	b.trial = true
	return pass{ok: true, trial: true}
}

// outcome of one analysis, as the breaker counts it.
type outcome int

const (
	outcomeSuccess outcome = iota
	outcomeFailure
	outcomeNeutral // the model was not (fully) tried: does not count
)

// record books the outcome of a call allow let through. It reports
// whether this outcome opened the breaker.
func (b *Breaker) record(p pass, o outcome) (opened bool) {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.trial {
		b.trial = false
	}
	switch o {
	case outcomeSuccess:
		b.streak = 0
	case outcomeFailure:
		b.streak++
		if b.streak >= b.failures {
			opened = b.streak == b.failures || p.trial
			b.openUntil = b.now().Add(b.cooldown)
		}
	}
	return opened
}

func (b *Breaker) openUntilTime() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.openUntil
}
