package slack

import (
	"fmt"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/state"
)

// Status is a failure's status line, as the thread's root shows it: what
// ccm is doing or did. a is the failure's approval request, nil when none.
func Status(rec state.FailureRecord, a *state.Approval) string {
	rem := rec.Remediation
	switch rec.Status {
	case state.StatusDetected:
		return ":mag: Detected — analysing the log"
	case state.StatusAnalyzed:
		switch {
		case rec.Gate == nil:
			return ":brain: Analysed — the safety gate is deciding"
		case rec.Shadow:
			return ":eyes: " + upper(GateHeadline(rec))
		case rec.Gate.Decision == "auto":
			return ":wrench: Fixing it alone"
		case rec.Gate.Decision == "approval":
			return ":hourglass_flowing_sand: Asking for approval"
		}
		return ":raising_hand: Needs a person: ccm will not act"
	case state.StatusAwaitingApproval, state.StatusApproved, state.StatusRejected, state.StatusExpired:
		if a != nil {
			return Decision(*a)
		}
		return ":hourglass_flowing_sand: " + upper(strings.ReplaceAll(string(rec.Status), "_", " "))
	case state.StatusRemediating:
		if rem != nil && rem.VerifyAttempt > 0 && !rem.ActedAt.IsZero() {
			return fmt.Sprintf(":repeat: Re-run attempt %d is running — verifying", rem.VerifyAttempt)
		}
		return ":wrench: Remediating"
	case state.StatusRemediated:
		return ":white_check_mark: Fixed and verified"
	case state.StatusFailed:
		reason := ""
		if rem != nil && rem.Reason != "" {
			reason = ": " + Escape(rem.Reason)
		}
		return ":x: Remediation failed" + reason
	}
	return Escape(string(rec.Status))
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// stepMark is how a remediation step's state looks.
var stepMark = map[string]string{
	"pending": ":white_circle:", "started": ":arrows_counterclockwise:", "done": ":white_check_mark:",
	"failed": ":x:", "rolled_back": ":leftwards_arrow_with_hook:",
}

// RemediationReply is the remediation and its verification in the
// failure's thread, updated as the steps move on.
func RemediationReply(rec state.FailureRecord) Message {
	rem := rec.Remediation
	if rem == nil {
		return Message{Text: "No remediation.", Blocks: []goslack.Block{section("No remediation.")}}
	}
	var lines []string
	for i, st := range rem.Steps {
		name := st.Action
		if rec.Gate != nil && i < len(rec.Gate.Actions) {
			name = DescribeAction(rec.Gate.Actions[i])
		} else {
			name = Escape(name)
		}
		mark := stepMark[st.State]
		if mark == "" {
			mark = Escape(st.State)
		}
		l := mark + " " + name
		if st.Error != "" {
			l += " — " + InlineCode(st.Error, 300)
		}
		if u, ok := st.Result["url"].(string); ok {
			l += " · " + link(u, "result")
		}
		lines = append(lines, l)
	}
	blocks := []goslack.Block{section("*Remediation*\n" + strings.Join(lines, "\n"))}
	verify, text := verification(rec)
	if verify != "" {
		blocks = append(blocks, section("*Verification*\n"+verify))
	}
	return Message{Text: "Remediation: " + text, Blocks: blocks}
}

// verification says where the check of the fix stands, and the reply's
// fallback text.
func verification(rec state.FailureRecord) (string, string) {
	rem := rec.Remediation
	switch {
	case rec.Status == state.StatusRemediated:
		if rem.VerifyAttempt > 0 {
			return fmt.Sprintf(":white_check_mark: attempt %d passed: the failure is fixed", rem.VerifyAttempt), "fixed and verified"
		}
		return ":white_check_mark: the action succeeded", "done"
	case rec.Status == state.StatusFailed:
		r := "failed"
		if rem.Reason != "" {
			r += ": " + Escape(rem.Reason)
		}
		return ":x: " + r, r
	case rem.VerifyAttempt > 0 && !rem.ActedAt.IsZero():
		return fmt.Sprintf(":repeat: following attempt %d until %s", rem.VerifyAttempt, when(rem.VerifyDeadline)), "verifying"
	}
	return "", "in progress"
}

// Critical is a message for the critical channel: what happened, about
// what, and how many more like it were held back by the throttle.
func Critical(summary, repo, failureID, threadLink string, more int) Message {
	blocks := []goslack.Block{section(":rotating_light: *" + Escape(summary) + "*")}
	var about []string
	if repo != "" {
		about = append(about, "repository "+Escape(repo))
	}
	if failureID != "" {
		about = append(about, "failure "+InlineCode(failureID, 300))
	}
	if threadLink != "" {
		about = append(about, link(threadLink, "thread"))
	}
	if len(about) > 0 {
		blocks = append(blocks, contextLine(strings.Join(about, " · ")))
	}
	if more > 0 {
		blocks = append(blocks, contextLine(fmt.Sprintf("and %d more like it since (held back so one outage pages once)", more)))
	}
	return Message{Text: "Critical: " + Escape(summary), Blocks: blocks}
}

// Notice is an informational line for a thread or the alerts channel (an
// incident closed).
func Notice(text string) Message {
	return Message{Text: Escape(text), Blocks: []goslack.Block{section(":information_source: " + Escape(text))}}
}
