package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	ccmsandbox "github.com/ccm-ci/ccm/sandbox"
)

// How a scenario run ends becomes the exit and, with --json, the report:
// a ccm serve that died mid-run or did not stop cleanly still prints the
// report (which says so) and exits 1.
func TestScenariosEnd(t *testing.T) {
	reached := ccmsandbox.ScenarioResult{Name: "app-code", Reached: true}
	missed := ccmsandbox.ScenarioResult{Name: "approved", Stopped: "ccm serve (pid 7) exited: signal: killed"}
	died := &ccmsandbox.ServeDiedError{Scenario: "approved", Err: errors.New("(pid 7) exited: signal: killed"), Log: "last line"}
	exit := &ccmsandbox.ServeExitError{Err: errors.New("ccm serve (pid 7) exited with exit status 3 on SIGTERM, want status 0")}
	for _, tt := range []struct {
		name     string
		rep      ccmsandbox.Report
		err      error
		json     bool   // the report is printed
		code     int    // 0: nil; -1: a plain error (exit 1)
		inStderr string // in the error
	}{
		{"all reached", ccmsandbox.Report{Scenarios: []ccmsandbox.ScenarioResult{reached}, ServeExit: "exit status 0 on SIGTERM"}, nil, true, 0, ""},
		{"serve died mid-run", ccmsandbox.Report{Scenarios: []ccmsandbox.ScenarioResult{reached, missed}, ServeExit: "had exited by itself"}, died, true, -1, "during the scenario approved"},
		{"serve did not stop cleanly", ccmsandbox.Report{Scenarios: []ccmsandbox.ScenarioResult{reached}, ServeExit: "exit status 3 on SIGTERM"}, exit, true, -1, "exit status 3 on SIGTERM"},
		{"missed and bad exit", ccmsandbox.Report{Scenarios: []ccmsandbox.ScenarioResult{missed}}, errors.Join(ccmsandbox.ErrMissed, exit), true, -1, "1 of 1 scenarios did not reach"},
		{"setup", ccmsandbox.Report{}, &ccmsandbox.SetupError{Err: errors.New("port taken")}, false, 2, "port taken"},
		{"interrupted", ccmsandbox.Report{}, ccmsandbox.ErrInterrupted, false, 130, "interrupted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := scenariosEnd(tt.rep, tt.err, true, &out)
			var ee *exitError
			switch {
			case tt.code == 0 && err != nil:
				t.Errorf("err %v, want nil", err)
			case tt.code > 0 && (!errors.As(err, &ee) || ee.code != tt.code):
				t.Errorf("err %v, want exit %d", err, tt.code)
			case tt.code < 0 && (err == nil || errors.As(err, &ee)):
				t.Errorf("err %v, want a plain error (exit 1)", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.inStderr) {
				t.Errorf("err %q lacks %q", err, tt.inStderr)
			}
			var rep ccmsandbox.Report
			if tt.json != (out.Len() > 0) || (tt.json && json.Unmarshal(out.Bytes(), &rep) != nil) {
				t.Fatalf("stdout %q: want the JSON report: %v", out.String(), tt.json)
			}
			if tt.json && (len(rep.Scenarios) != len(tt.rep.Scenarios) || rep.ServeExit != tt.rep.ServeExit) {
				t.Errorf("report %+v: want %d scenarios and serve_exit %q", rep, len(tt.rep.Scenarios), tt.rep.ServeExit)
			}
		})
	}
}
