package main

import (
	"fmt"
	"io"

	"github.com/ccm-ci/ccm/bot"
)

const slackManifestHelp = `Usage: ccm slack-manifest

Prints the Slack app manifest ccm's bot needs (YAML): Socket Mode, the bot
scopes, the app_mention and app_home_opened events, interactivity for the
Approve and Reject buttons, the /ccm command and the Home tab.

Install: https://api.slack.com/apps → Create New App → From an app
manifest → pick the workspace → paste this. Then:
  1. Basic Information → App-Level Tokens → generate one with the
     connections:write scope: that is SLACK_APP_TOKEN (xapp-…);
  2. Install App → Install to Workspace: the Bot User OAuth Token is
     SLACK_BOT_TOKEN (xoxb-…);
  3. invite the bot to the channels in the config (/invite @ccm).

Example:
  ccm slack-manifest > slack-manifest.yaml
`

// slackManifest is `ccm slack-manifest`: it prints the embedded manifest.
func slackManifest(args []string, stdout, stderr io.Writer) error {
	if err := noArgs("slack-manifest", slackManifestHelp, args, stderr); err != nil {
		return err
	}
	if _, err := stdout.Write(bot.Manifest); err != nil {
		return fmt.Errorf("slack-manifest: %w", err)
	}
	return nil
}
