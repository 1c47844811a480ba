package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/bot"
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
