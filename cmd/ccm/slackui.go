package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/sim/slacksim/slackui"
)

// slackUI serves `ccm sandbox --slack-ui ADDR`: a web page drawing the
// simulated Slack as the team would see it. It listens before the sandbox
// starts (a taken port is a usage error, not a half-run sandbox) and
// shows the simulator once there is one.
type slackUI struct {
	srv  *http.Server
	sim  atomic.Pointer[slacksim.Server]
	URL  string
	done chan struct{}
}

// startSlackUI listens on addr and serves the page; a taken or malformed
// address exits 2 with what to do about it.
func startSlackUI(addr string, logger *slog.Logger) (*slackUI, error) {
	if _, err := strconv.Atoi(addr); err == nil {
		// A bare port stays on loopback: the page shows CI logs, and has
		// no login.
		addr = net.JoinHostPort("127.0.0.1", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		hint := "want HOST:PORT or PORT, such as 127.0.0.1:8090"
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = "another sandbox may hold it: pick another port, or 127.0.0.1:0 for any free one"
		}
		return nil, &exitError{code: 2, err: fmt.Errorf("sandbox: --slack-ui %s: %w (%s)", addr, err, hint)}
	}
	ui := &slackUI{URL: "http://" + ln.Addr().String() + "/", done: make(chan struct{})}
	src := slackui.SourceFunc(func() slacksim.Workspace {
		if s := ui.sim.Load(); s != nil {
			return s.Snapshot()
		}
		return slacksim.Workspace{TeamName: "ccm sandbox"}
	})
	ui.srv = &http.Server{Handler: slackui.New(src, slackui.Options{Logger: logger}), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(ui.done)
		if err := ui.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("sandbox: the Slack web view stopped", "addr", addr, "err", err)
		}
	}()
	return ui, nil
}

// Show makes the page draw sim (the sandbox's, once it runs).
func (u *slackUI) Show(sim *slacksim.Server) { u.sim.Store(sim) }

// Close stops serving, giving open page loads a moment to finish.
func (u *slackUI) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := u.srv.Shutdown(ctx); err != nil {
		_ = u.srv.Close() // a poll still open after 2s is dropped
	}
	<-u.done
}
