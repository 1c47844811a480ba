package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/bot"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
)

func TestSlackManifest(t *testing.T) {
	stdout, stderr, code := ccmRun(t, "slack-manifest")
	if code != 0 || stdout != string(bot.Manifest) {
		t.Fatalf("exit %d, stdout is the manifest: %v; stderr:\n%s", code, stdout == string(bot.Manifest), stderr)
	}
	if !bytes.Contains(bot.Manifest, []byte("socket_mode_enabled: true")) {
		t.Error("the manifest does not turn Socket Mode on")
	}
	if _, stderr, code := ccmRun(t, "slack-manifest", "extra"); code != 2 || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("an extra argument: exit %d, want 2:\n%s", code, stderr)
	}
}

// A Slack token Slack refuses stops serve with exit 2 and its name, as a
// refused GITHUB_TOKEN does.
func TestServeRejectedSlackAppTokenExits2(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	sim := slacksim.New(t, slacksim.Config{})
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("SLACK_BOT_TOKEN", sim.Config().BotToken)
	t.Setenv("SLACK_APP_TOKEN", "xapp-1-revoked")
	t.Setenv("SLACK_API_URL", sim.URL())
	_, stderr, code := runCLI(t, nil, "serve", "--config", writeConfig(t), "--http-addr", freeAddr(t))
	if code != 2 || !strings.Contains(stderr, "SLACK_APP_TOKEN was rejected by Slack") {
		t.Fatalf("exit %d, stderr %q; want 2 naming SLACK_APP_TOKEN", code, stderr)
	}
}
