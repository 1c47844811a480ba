package service_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/sim/githubsim"
)

// SetConfig replaces the config every component reads next, for a
// service without a file (the sandbox); with a watched file the file
// stays the only source.
func TestSetConfig(t *testing.T) {
	opt, _ := options(t, githubsim.New(t))
	svc, err := service.New(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Shutdown()
	next := opt.Config.Clone()
	next.ApprovalTimeout = 3 * time.Second
	if err := svc.SetConfig(next); err != nil {
		t.Fatal(err)
	}
	if got := svc.Config().ApprovalTimeout; got != 3*time.Second {
		t.Errorf("approval_timeout %s after SetConfig, want 3s", got)
	}
	if err := svc.SetConfig(nil); err == nil {
		t.Error("SetConfig(nil) succeeded")
	}

	path := filepath.Join(t.TempDir(), "ccm.yaml")
	if err := os.WriteFile(path, []byte("mode: shadow\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opt2, _ := options(t, githubsim.New(t))
	opt2.ConfigPath = path
	watched, err := service.New(context.Background(), opt2)
	if err != nil {
		t.Fatal(err)
	}
	defer watched.Shutdown()
	if err := watched.SetConfig(next); err == nil || watched.Config().ApprovalTimeout == 3*time.Second {
		t.Errorf("SetConfig on a watched file: err %v, approval_timeout %s; want refused", err, watched.Config().ApprovalTimeout)
	}
}
