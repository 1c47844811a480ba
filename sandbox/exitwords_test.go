package sandbox

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Every message about how ccm serve ended uses one wording, and says so
// when its log is empty instead of ending on "the end of its log:".
func TestExitWords(t *testing.T) {
	wait := func(script string) error {
		t.Helper()
		return exec.Command("/bin/sh", "-c", script).Run()
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"status 0", nil, "exited with status 0"},
		{"status 3", wait("exit 3"), "exited with status 3"},
		{"killed", wait("kill -9 $$"), "was killed by signal 9 (killed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitWords(tt.err); got != tt.want {
				t.Errorf("exitWords(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	died := &ServeDiedError{Err: errors.New("(pid 7) exited with status 3 before it was ready")}
	if got, want := died.Error(), "ccm serve (pid 7) exited with status 3 before it was ready (its log is empty)"; got != want {
		t.Errorf("with no log: %q, want %q", got, want)
	}
	died.Log = "line 1\n"
	if got := died.Error(); !strings.HasSuffix(got, "; the end of its log:\nline 1\n") {
		t.Errorf("with a log: %q, want it to end with the log", got)
	}
}
