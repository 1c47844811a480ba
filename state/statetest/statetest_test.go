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

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no password", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		// The password equals the scheme and the host: a text replacement
		// would hide "redis" in the scheme and print the password.
		{"password that is also the scheme", "redis://:redis@redis:6379/0", "redis://:xxxxx@redis:6379/0"},
		{"user and password", "redis://ccm:s3cret@cache:6379/1", "redis://ccm:xxxxx@cache:6379/1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact(tc.in); got != tc.want {
				t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{{"", false}, {"0", false}, {"false", false}, {" FALSE ", false}, {"1", true}, {"true", true}, {"yes", true}} {
		t.Run(tc.value, func(t *testing.T) {
			t.Setenv(EnvRequireRedis, tc.value)
			if got := required(); got != tc.want {
				t.Errorf("%s=%q: required() = %v, want %v", EnvRequireRedis, tc.value, got, tc.want)
			}
		})
	}
}
