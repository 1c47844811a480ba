package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrNotConnected is returned when an envelope is sent while no Socket
// Mode client is connected.
var ErrNotConnected = errors.New("slacksim: no Socket Mode connection")

// writeTimeout bounds one WebSocket write: a client that stops reading
// must not wedge a test.
const writeTimeout = 5 * time.Second

// disconnectGrace is how long the server waits, after a disconnect
// envelope, for the client to go before it cuts the connection itself.
const disconnectGrace = 5 * time.Second

// sockConn is one Socket Mode connection.
type sockConn struct {
	id     int
	ws     *websocket.Conn
	opened time.Time
	wmu    sync.Mutex // gorilla allows one concurrent writer
	done   chan struct{}
	once   sync.Once
}

// writeJSON writes one message; stamp, if set, runs once the write lock
// is held, so a delivery's send time excludes the wait behind other
// writers (200 concurrent clicks queue here), and can still call the
// write off by returning false.
func (c *sockConn) writeJSON(v []byte, stamp func() bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if stamp != nil && !stamp() {
		return nil
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, v); err != nil {
		return fmt.Errorf("writing to socket connection %d: %w", c.id, err)
	}
	return nil
}

// kill closes the TCP connection without a close frame: what a client
// sees when the network drops.
func (c *sockConn) kill() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.NetConn().Close()
	})
}

// serveSocket upgrades a dial of a URL apps.connections.open handed out.
// Each URL works once, so a client that lost its connection has to ask
// for a new one, as with Slack.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		s.mu.Lock()
		s.rejectedDials++
		s.notifyLocked()
		s.mu.Unlock()
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.addUnexpected("socket upgrade: %v", err)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.NetConn().Close()
		return
	}
	s.connTotal++
	c := &sockConn{id: s.connTotal, ws: ws, opened: time.Now(), done: make(chan struct{})}
	live := len(s.conns) + 1
	s.sockWG.Add(2)
	s.mu.Unlock()

	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": live,
		"debug_info": map[string]any{
			"host": "applink-sim", "build_number": 1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.cfg.AppID},
	})
	helloErr := c.writeJSON(hello, nil)
	// Registered only after hello, so no envelope can overtake it.
	s.mu.Lock()
	registered := helloErr == nil && !s.closed
	if registered {
		s.conns[c.id] = c
	}
	s.notifyLocked()
	s.mu.Unlock()
	if !registered {
		c.kill()
	}
	go s.readLoop(c)
	go s.pingLoop(c)
}

// readLoop records acks until the connection ends.
func (s *Server) readLoop(c *sockConn) {
	defer s.sockWG.Done()
	defer s.dropConn(c)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		s.recordAck(c, data)
	}
}

// pingLoop sends the WebSocket PINGs slack-go's client relies on to know
// the connection is alive.
func (s *Server) pingLoop(c *sockConn) {
	defer s.sockWG.Done()
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(writeTimeout)); err != nil {
				c.kill()
				return
			}
		}
	}
}

func (s *Server) dropConn(c *sockConn) {
	c.kill()
	s.mu.Lock()
	delete(s.conns, c.id)
	s.notifyLocked()
	s.mu.Unlock()
}

// DropConnection cuts every Socket Mode connection abruptly (no close
// frame, no disconnect envelope) and returns how many it cut. A client
// must reconnect through apps.connections.open.
func (s *Server) DropConnection() int {
	s.mu.Lock()
	conns := make([]*sockConn, 0, len(s.conns))
	for id, c := range s.conns {
		conns = append(conns, c)
		// Gone at once, so nothing is sent to it while its reader winds down.
		delete(s.conns, id)
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	return len(conns)
}

// SendDisconnect sends a disconnect envelope on the newest connection
// (the one envelopes go to), reason "refresh_requested" (Slack rotates
// connections every few hours) or "warning" (it will soon); the server
// cuts the connection if it is still open after a grace period, as Slack
// does.
func (s *Server) SendDisconnect(reason string) error {
	msg, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "applink-sim"},
	})
	s.mu.Lock()
	c := s.liveConnLocked()
	if c == nil || s.closed {
		s.mu.Unlock()
		return ErrNotConnected
	}
	s.sockWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.sockWG.Done()
		t := time.NewTimer(disconnectGrace)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			c.kill()
		}
	}()
	return c.writeJSON(msg, nil)
}

// Connections is the number of live Socket Mode connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// ConnectionCount is the number of Socket Mode connections ever accepted.
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connTotal
}

// RejectedDials counts WebSocket dials with a missing or already used
// ticket: a client that reconnects without calling apps.connections.open.
func (s *Server) RejectedDials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejectedDials
}

// WaitConnected waits until the total-th connection ever accepted (or a
// later one) is live and has been sent hello: 2 after a drop means the
// client came back. Envelopes sent after it returns go to that connection.
func (s *Server) WaitConnected(total int, timeout time.Duration) error {
	if !s.waitFor(timeout, func() bool {
		c := s.liveConnLocked()
		return c != nil && c.id >= total
	}) {
		return fmt.Errorf("waiting for Socket Mode connection #%d: %w", total, ErrTimeout)
	}
	return nil
}

// liveConnLocked picks the connection envelopes go to: the newest, which
// is the one a reconnecting client reads.
func (s *Server) liveConnLocked() *sockConn {
	var best *sockConn
	for _, c := range s.conns {
		if best == nil || c.id > best.id {
			best = c
		}
	}
	return best
}
