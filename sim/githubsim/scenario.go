package githubsim

import (
	"time"
)

// attemptScript says how the attempts re-runs add to one run end.
type attemptScript struct {
	from        int // the latest attempt when scripted; later ones follow the script
	after       time.Duration
	conclusions []string
}

// ScriptAttempts decides how the attempts that re-runs will add to a run
// end, so a verification test (or `ccm serve` against the fake) can watch
// a re-run pass or fail without driving it by hand: the n-th new attempt
// completes with conclusions[n-1] (the last one repeats) once after has
// passed on the server's clock since it started. It takes effect when the
// run is next read. [Server.FinishRun] ends the newest attempt at once
// instead.
func (s *Server) ScriptAttempts(repo string, runID int64, after time.Duration, conclusions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.repoLocked(repo)
	if rs.scripts == nil {
		rs.scripts = map[int64]*attemptScript{}
	}
	from := 0
	if a := rs.runs[runID]; len(a) > 0 {
		from = a[len(a)-1].Attempt
	}
	rs.scripts[runID] = &attemptScript{from: from, after: after, conclusions: conclusions}
}

// settleLocked completes the scripted attempts whose time has come.
func (s *Server) settleLocked(rs *repoState) {
	if len(rs.scripts) == 0 {
		return
	}
	now := s.now()
	for id, sc := range rs.scripts {
		attempts := rs.runs[id]
		for i := range attempts {
			a := &attempts[i]
			n := a.Attempt - sc.from
			if n <= 0 || a.Status == "completed" || len(sc.conclusions) == 0 || now.Before(a.RunStartedAt.Add(sc.after)) {
				continue
			}
			c := sc.conclusions[min(n, len(sc.conclusions))-1]
			a.Status, a.Conclusion, a.UpdatedAt = "completed", c, now
			for j := range a.Jobs {
				if a.Jobs[j].Status != "completed" {
					a.Jobs[j].Status, a.Jobs[j].Conclusion, a.Jobs[j].CompletedAt = "completed", c, now
				}
			}
		}
	}
}
