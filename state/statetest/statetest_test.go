package statetest

import (
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// choose is what makes `go test ./...` pass on a machine without Redis, so
// each rule of the package doc is checked here, including "nothing answers
// at the probed address", which the rest of the suite can only see on such
// a machine.
func TestChoose(t *testing.T) {
	live := "redis://" + miniredis.RunT(t).Addr() + "/0"
	const dead = "redis://127.0.0.1:1/0" // nothing listens on port 1
	for _, tc := range []struct {
		name                string
		backend, url, probe string
		wantReal            bool
		wantMsg             string // substring
		wantErr             bool
	}{
		{name: "nothing configured, Redis answers", probe: live, wantReal: true, wantMsg: "using Redis at " + live},
		{name: "nothing configured, no Redis", probe: dead, wantMsg: "no Redis at 127.0.0.1:1; using the embedded miniredis (set CCM_TEST_REDIS_URL"},
		{name: "embedded forced over a live Redis", backend: "embedded", probe: live, wantMsg: "CCM_TEST_REDIS=embedded"},
		{name: "embedded forced over a URL", backend: "embedded", url: live, probe: dead, wantMsg: "CCM_TEST_REDIS=embedded"},
		// A URL is a request, not a hint: it is used without probing, so a
		// dead one fails the tests instead of falling back.
		{name: "URL given, not probed", url: dead, probe: live, wantReal: true, wantMsg: "using Redis at " + dead},
		{name: "URL password hidden", url: "redis://:hunter2@127.0.0.1:1/3", probe: dead, wantReal: true, wantMsg: "redis://:xxxxx@127.0.0.1:1/3"},
		{name: "misspelt backend", backend: "embeded", probe: live, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvBackend, tc.backend)
			t.Setenv(EnvRedisURL, tc.url)
			old := probeURL
			probeURL = tc.probe
			t.Cleanup(func() { probeURL = old })
			isReal, msg, err := choose()
			if (err != nil) != tc.wantErr {
				t.Fatalf("choose() error = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if isReal != tc.wantReal || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("choose() = %v, %q; want %v, containing %q", isReal, msg, tc.wantReal, tc.wantMsg)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("message leaks the password: %q", msg)
			}
		})
	}
}
