package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The incident keys: defaults from the issue (3 repositories, 10 runs,
// 15 minutes), set values taken, bad ones named by their path.
func TestIncident_DefaultsAndParse(t *testing.T) {
	d := Default().Incident
	if d != (Incident{Repositories: 3, Runs: 10, Window: 15 * time.Minute}) {
		t.Errorf("defaults = %+v, want 3 repositories, 10 runs, 15m", d)
	}
	c, err := Parse([]byte("incident:\n  repositories: 5\n  runs: 40\n  window: 1h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Incident != (Incident{Repositories: 5, Runs: 40, Window: time.Hour}) {
		t.Errorf("parsed = %+v", c.Incident)
	}
	c, err = Parse([]byte("incident:\n  runs: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Incident != (Incident{Repositories: 3, Runs: 4, Window: 15 * time.Minute}) {
		t.Errorf("one key set = %+v; the others keep their defaults", c.Incident)
	}
}

func TestIncident_Validation(t *testing.T) {
	for _, tc := range []struct{ src, path string }{
		{"incident:\n  repositories: 1\n", "incident.repositories"},
		{"incident:\n  repositories: 0\n", "incident.repositories"},
		{"incident:\n  runs: 1\n", "incident.runs"},
		{"incident:\n  runs: -3\n", "incident.runs"},
		{"incident:\n  window: 0s\n", "incident.window"},
		{"incident:\n  window: 30s\n", "incident.window"},
		{"incident:\n  window: 25h\n", "incident.window"},
		{"incident:\n  window: soon\n", "incident.window"},
		{"incident:\n  quiet: 1h\n", "quiet"},
	} {
		_, err := Parse([]byte(tc.src))
		var ve *ValidationError
		if !errors.As(err, &ve) && err == nil {
			t.Errorf("%q accepted", tc.src)
			continue
		}
		if !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%q: error %q does not name %s", tc.src, err, tc.path)
		}
	}
}

// A reload that changes only the incident block is reported as such in
// the reload's audit entry.
func TestIncident_Changes(t *testing.T) {
	a, b := Default(), Default()
	b.Incident.Runs = 20
	got := Changes(a, b)
	if len(got) != 1 || got[0] != "incident" {
		t.Errorf("Changes = %v, want [incident]", got)
	}
}
