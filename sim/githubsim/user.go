package githubsim

import "net/http"

// DefaultLogin is the login the token authenticates as until SetLogin
// says otherwise: the user GET /user answers with, and the
// triggering_actor of every re-run the API makes.
const DefaultLogin = "ccm-operator"

// SetLogin sets the login of the user the token belongs to. GitHub records
// whoever sent a re-run as the new attempt's triggering_actor, which is
// how a client tells its own re-run from one a person made.
func (s *Server) SetLogin(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.login = login
}

func (s *Server) loginLocked() string {
	if s.login == "" {
		return DefaultLogin
	}
	return s.login
}

// handleUser answers GET /user: the authenticated user.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u := user(s.loginLocked())
	s.mu.Unlock()
	s.writeJSON(w, r, http.StatusOK, u)
}
