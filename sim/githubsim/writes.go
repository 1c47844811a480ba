package githubsim

import (
	"net/http"
	"time"
)

// Write is one request that could change GitHub's state (any method but
// GET and HEAD), kept so a test can count what a remediation wrote.
type Write struct {
	Method string
	Path   string // as received, including /api/v3
	Route  string // the matched route, e.g. RouteRerunFailedJobs; "" when unknown
	At     time.Time
	// Status is what the client was answered; 0 when it got no answer (a
	// dropped connection, a hang it gave up on).
	Status int
	// Applied says the change took effect: the handler ran and succeeded,
	// even if a fault then replaced or swallowed its answer.
	Applied bool
}

func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// statusWriter remembers the status the client was sent.
type statusWriter struct {
	http.ResponseWriter
	status     int
	wrote      bool
	ranHandler bool
	applied    bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (hijack for
// Disconnect faults, flush for stalls).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) recordWrite(r *http.Request, route string, sw *statusWriter) {
	status := sw.status
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.writes) >= maxRecorded {
		s.writes = s.writes[1:]
	}
	s.writes = append(s.writes, Write{
		Method: r.Method, Path: r.URL.Path, Route: route, At: s.now(),
		Status: status, Applied: sw.applied,
	})
}

// Writes returns the write requests the server received, oldest first,
// including those a fault answered.
func (s *Server) Writes() []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Write(nil), s.writes...)
}

// WritesTo returns the recorded writes whose Route is route.
func (s *Server) WritesTo(route string) []Write {
	var out []Write
	for _, w := range s.Writes() {
		if w.Route == route {
			out = append(out, w)
		}
	}
	return out
}

// ResetWrites forgets the recorded writes (ResetRequests does not).
func (s *Server) ResetWrites() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = nil
}
