package githubsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// OtherAttempt is a fault for [RouteGetAttempt]: a 200 that carries
// attempt `served` of the run instead of the attempt the path asks for — what a server, proxy or cache
// that loses the attempt number would answer, and how a run re-run before
// ccm first saw it could be recorded under the wrong attempt. It panics
// when the fake has no such attempt: that is a mistake in the test.
func (s *Server) OtherAttempt(repo string, runID int64, served int) Fault {
	s.mu.Lock()
	var run Run
	found := false
	if rs := s.repos[strings.ToLower(repo)]; rs != nil {
		for _, a := range rs.runs[runID] {
			if a.Attempt == served {
				run, found = a, true
			}
		}
	}
	s.mu.Unlock()
	if !found {
		panic(fmt.Sprintf("githubsim: OtherAttempt: %s has no run %d attempt %d", repo, runID, served))
	}
	body, err := json.Marshal(s.runJSON(repo, run))
	if err != nil {
		panic(fmt.Sprintf("githubsim: OtherAttempt: %v", err))
	}
	return Fault{Status: http.StatusOK, Body: string(body)}
}
