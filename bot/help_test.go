package bot

import (
	"strings"
	"testing"
)

// TestHelpEscapesForms: Slack drops "<failure id>" as an unknown link, even
// inside backticks; the help must send it escaped to show it.
func TestHelpEscapesForms(t *testing.T) {
	for name, text := range map[string]string{"mention": mentionHelp, "slash": slashHelp} {
		if strings.Contains(text, "<failure id>") || strings.Contains(text, "<run URL>") {
			t.Errorf("%s help sends a raw <…> form:\n%s", name, text)
		}
		if !strings.Contains(text, "&lt;") && name == "mention" {
			t.Errorf("%s help does not escape its forms:\n%s", name, text)
		}
	}
}
