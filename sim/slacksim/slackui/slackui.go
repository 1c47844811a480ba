// Package slackui serves a web page that draws the simulated Slack
// workspace of a [slacksim.Server] the way Slack would: channels on the
// left, messages with their Block Kit blocks, threads under their root,
// buttons, edits and ephemeral messages. `ccm sandbox --slack-ui ADDR`
// serves it so a person sees what their team will see.
//
// Everything on the page comes from CI logs and people, so everything is
// escaped, and a Content-Security-Policy lets only the page's own script
// run. The page polls state.json and reloads when the workspace changes.
// It loads nothing from elsewhere: it works offline.
package slackui

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"time"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

// Source is what the page draws: a *slacksim.Server, or a [SourceFunc]
// for a simulator that starts later.
type Source interface {
	Snapshot() slacksim.Workspace
}

// SourceFunc adapts a function to Source; an empty Workspace draws "Waiting
// for the workspace".
type SourceFunc func() slacksim.Workspace

// Snapshot calls f.
func (f SourceFunc) Snapshot() slacksim.Workspace { return f() }

// Options tune the page.
type Options struct {
	// Viewer is the user whose ephemeral messages show, marked "Only
	// visible to you"; "" shows everyone's, each naming its reader. The
	// query parameter ?as=USERID overrides it.
	Viewer string
	// Poll is how often the page asks whether anything changed; 0 is 1s.
	Poll time.Duration
	// Logger records pages that could not be written; nil discards.
	Logger *slog.Logger
}

type handler struct {
	src Source
	opt Options
	mux *http.ServeMux
}

// New returns the handler: the page at "/" (?c=CHANNELID picks the
// channel, ?as=USERID the viewer) and "/state.json", the workspace's
// revision the page polls. Mount it under a prefix with http.StripPrefix:
// its links are relative.
func New(src Source, opt Options) http.Handler {
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{src: src, opt: opt, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.page)
	h.mux.HandleFunc("GET /state.json", h.state)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// revision changes whenever anything the page could draw changes.
func revision(ws slacksim.Workspace) string {
	b, err := json.Marshal(ws)
	if err != nil {
		// Unreachable (the workspace is plain data); a constant would
		// stop the page refreshing, so make every call differ instead.
		return time.Now().String()
	}
	f := fnv.New64a()
	_, _ = f.Write(b) // a hash never fails to write
	return fmt.Sprintf("%016x", f.Sum64())
}

func (h *handler) state(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(map[string]string{"rev": revision(h.src.Snapshot())}); err != nil {
		h.opt.Logger.Debug("slackui: writing state.json", "err", err)
	}
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	ws := h.src.Snapshot()
	viewer := h.opt.Viewer
	if as := r.URL.Query().Get("as"); as != "" {
		viewer = as
	}
	v := build(ws, r.URL.Query().Get("c"), viewer)
	v.Rev = revision(ws)
	v.PollMS = h.opt.Poll.Milliseconds()
	v.Nonce = nonce()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Only the script carrying this response's nonce runs: were some text
	// ever left unescaped, a script in it would still not.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "+
		"connect-src 'self'; script-src 'nonce-"+v.Nonce+"'; base-uri 'none'; form-action 'none'")
	if err := pageTmpl.Execute(w, v); err != nil {
		h.opt.Logger.Warn("slackui: writing the page", "err", err)
	}
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return base64.RawURLEncoding.EncodeToString(b)
}
