package bot

import _ "embed"

// Manifest is the Slack app manifest ccm's bot needs: Socket Mode on, the
// bot scopes, the app_mention and app_home_opened events, interactivity
// (the Approve and Reject buttons, the reject modal), the /ccm command and
// the Home tab. `ccm slack-manifest` prints it.
//
//go:embed manifest.yaml
var Manifest []byte
