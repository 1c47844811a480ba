package slacksim

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
)

// Envelope types, as in the "type" field Slack sends.
const (
	TypeEventsAPI     = "events_api"
	TypeSlashCommands = "slash_commands"
	TypeInteractive   = "interactive"
)

// Sent describes an envelope the simulator delivered, with the IDs it made
// up for it, so a test can follow what the client does with them.
type Sent struct {
	EnvelopeID  string
	Type        string
	TS          string // the message ts of an app_mention
	EventID     string // events_api only; the same on redelivery
	TriggerID   string // slash commands and interactions
	ResponseURL string // slash commands and block actions
}

// Ack is a client's acknowledgement of an envelope.
type Ack struct {
	EnvelopeID string
	Type       string          // the envelope's type
	Payload    json.RawMessage // nil when acked without one
	// Latency runs from the write of the (latest) delivery to the ack.
	Latency time.Duration
	At      time.Time
	Conn    int // the connection it came on
}

type envelope struct {
	sent       Sent
	accepts    bool
	payload    json.RawMessage
	retries    int
	reason     string
	lastSent   time.Time
	channel    string // for a slash command's response payload
	user       string
	viewID     string // the modal of a view_submission
	deliveries int
	acked      bool // effects of an ack apply once, as redeliveries are dropped
}

// wire is an envelope exactly as Slack writes it; retry fields only on
// events_api.
func (e *envelope) wire() ([]byte, error) {
	m := map[string]any{
		"envelope_id":              e.sent.EnvelopeID,
		"type":                     e.sent.Type,
		"payload":                  e.payload,
		"accepts_response_payload": e.accepts,
	}
	if e.sent.Type == TypeEventsAPI || e.retries > 0 {
		m["retry_attempt"], m["retry_reason"] = e.retries, e.reason
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding %s envelope: %w", e.sent.Type, err)
	}
	return b, nil
}

// deliver registers e and writes it on the newest live connection.
func (s *Server) deliver(e *envelope) (Sent, error) {
	s.mu.Lock()
	if e.sent.EnvelopeID == "" {
		e.sent.EnvelopeID = newEnvelopeID()
	}
	s.envelopes[e.sent.EnvelopeID] = e
	s.mu.Unlock()
	return e.sent, s.write(e, false)
}

// write delivers e on the newest connection; an automatic redelivery is
// called off if the ack arrived meanwhile.
func (s *Server) write(e *envelope, auto bool) error {
	s.mu.Lock()
	c := s.liveConnLocked()
	b, err := e.wire() // under s.mu: Redeliver changes the retry fields
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("sending %s %s: %w", e.sent.Type, e.sent.EnvelopeID, ErrNotConnected)
	}
	if err != nil {
		return err
	}
	return c.writeJSON(b, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if auto && e.acked {
			return false
		}
		e.deliveries++
		e.lastSent = time.Now()
		s.scheduleRedeliveryLocked(e)
		return true
	})
}

// Redeliver sends an envelope again with the same envelope_id (and
// event_id), retry_attempt one higher and retry_reason reason ("" =
// "timeout"), as Slack does when an ack does not arrive in time.
func (s *Server) Redeliver(envelopeID, reason string) error {
	return s.redeliver(envelopeID, reason, false)
}

func (s *Server) redeliver(envelopeID, reason string, auto bool) error {
	if reason == "" {
		reason = "timeout"
	}
	s.mu.Lock()
	e, ok := s.envelopes[envelopeID]
	if ok {
		e.retries++
		e.reason = reason
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("redelivering %s: unknown envelope", envelopeID)
	}
	return s.write(e, auto)
}

// Deliveries is how often an envelope was written to a client.
func (s *Server) Deliveries(envelopeID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.envelopes[envelopeID]; ok {
		return e.deliveries
	}
	return 0
}

// SendRaw delivers an envelope of any type with a payload the test built
// (any JSON-encodable value), for shapes the typed helpers do not cover.
func (s *Server) SendRaw(typ string, payload any, acceptsResponsePayload bool) (Sent, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Sent{}, fmt.Errorf("encoding raw %s payload: %w", typ, err)
	}
	return s.deliver(&envelope{sent: Sent{Type: typ}, payload: b, accepts: acceptsResponsePayload})
}

func (s *Server) recordAck(c *sockConn, data []byte) {
	var res struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &res); err != nil || res.EnvelopeID == "" {
		s.addUnexpected("socket connection %d: not an ack: %.200s", c.id, data)
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.envelopes[res.EnvelopeID]
	if !ok {
		s.unexpected = append(s.unexpected, fmt.Sprintf("ack for unknown envelope %s", res.EnvelopeID))
		return
	}
	if t := s.timers[res.EnvelopeID]; t != nil {
		t.Stop()
		delete(s.timers, res.EnvelopeID)
	}
	if string(res.Payload) == "null" {
		res.Payload = nil
	}
	s.acks = append(s.acks, Ack{
		EnvelopeID: res.EnvelopeID, Type: e.sent.Type, Payload: res.Payload,
		Latency: now.Sub(e.lastSent), At: now, Conn: c.id,
	})
	switch {
	case e.viewID != "" && !e.acked:
		s.applyViewResponseLocked(e, res.Payload)
	case e.sent.Type == TypeSlashCommands && len(res.Payload) > 0 && !e.acked:
		s.applyCommandResponseLocked(e, res.Payload)
	}
	e.acked = true
	s.notifyLocked()
}

// applyCommandResponseLocked shows a slash command's ack payload the way
// Slack does: ephemeral to the user unless response_type is in_channel.
func (s *Server) applyCommandResponseLocked(e *envelope, payload json.RawMessage) {
	var b responseBody
	if json.Unmarshal(payload, &b) != nil {
		s.unexpected = append(s.unexpected, fmt.Sprintf("slash command ack %s: undecodable payload", e.sent.EnvelopeID))
		return
	}
	var blocks json.RawMessage
	if len(b.Blocks) > 0 && string(b.Blocks) != "null" {
		var code string
		if blocks, code = checkBlocks(string(b.Blocks), maxBlocks); code != "" {
			s.unexpected = append(s.unexpected, fmt.Sprintf("slash command ack %s: %s", e.sent.EnvelopeID, code))
			return
		}
	}
	if b.Text == "" && blocks == nil {
		return
	}
	s.respondLocked(e.channel, e.user, b.ResponseType, "", b.Text, blocks)
}

// Acks returns every ack received, in arrival order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// AckFor returns the first ack of an envelope.
func (s *Server) AckFor(envelopeID string) (Ack, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ackForLocked(envelopeID)
}

func (s *Server) ackForLocked(id string) (Ack, bool) {
	for _, a := range s.acks {
		if a.EnvelopeID == id {
			return a, true
		}
	}
	return Ack{}, false
}

// WaitAck waits for the ack of an envelope.
func (s *Server) WaitAck(envelopeID string, timeout time.Duration) (Ack, error) {
	var a Ack
	if !s.waitFor(timeout, func() bool {
		var ok bool
		a, ok = s.ackForLocked(envelopeID)
		return ok
	}) {
		return Ack{}, fmt.Errorf("waiting for the ack of %s: %w", envelopeID, ErrTimeout)
	}
	return a, nil
}

// WaitAcks waits until every listed envelope is acked and returns the acks
// in the order of ids.
func (s *Server) WaitAcks(ids []string, timeout time.Duration) ([]Ack, error) {
	out := make([]Ack, len(ids))
	missing := 0
	ok := s.waitFor(timeout, func() bool {
		missing = 0
		for i, id := range ids {
			a, ok := s.ackForLocked(id)
			if !ok {
				missing++
			}
			out[i] = a
		}
		return missing == 0
	})
	if !ok {
		return out, fmt.Errorf("waiting for %d acks, %d missing: %w", len(ids), missing, ErrTimeout)
	}
	return out, nil
}

// Percentile returns the p-th percentile (0 < p <= 100, nearest rank) of
// the acks' latencies; 0 when there are none.
func Percentile(acks []Ack, p float64) time.Duration {
	if len(acks) == 0 {
		return 0
	}
	ds := make([]time.Duration, len(acks))
	for i, a := range acks {
		ds[i] = a.Latency
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := int(math.Ceil(p/100*float64(len(ds)))) - 1
	rank = max(0, min(rank, len(ds)-1))
	return ds[rank]
}

// newEnvelopeID makes an ID shaped like Slack's (a UUID).
func newEnvelopeID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
