package bot

import (
	"regexp"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/integrations/github"
)

// Mention is one parsed @ccm request; Verb says which, and only the
// fields that verb uses are set. Verb "help" with Unknown set is text ccm
// did not understand: it is answered with the help, never with silence.
type Mention struct {
	Verb      string // failures, show, why, status, analyze, poll, fix, help
	Repo      string
	Since     time.Duration
	FailureID string
	Run       github.RunRef
	Unknown   string
}

// DefaultFailuresSince is how far back `failures` looks by default.
const DefaultFailuresSince = 24 * time.Hour

// userMentionRE is Slack's markup for a mention: <@U123> or <@U123|name>.
var userMentionRE = regexp.MustCompile(`<@[A-Z0-9]+(\|[^>]*)?>`)

// ParseMention reads the text of an app_mention (mentions of anyone,
// ccm included, are dropped first). It never panics; a malformed request
// for a known verb is a *UsageError with the right form.
func ParseMention(text string) (Mention, error) {
	f := strings.Fields(userMentionRE.ReplaceAllString(text, " "))
	if len(f) == 0 {
		return Mention{Verb: "help"}, nil
	}
	verb, args := strings.ToLower(f[0]), f[1:]
	switch verb {
	case "help":
		return Mention{Verb: "help"}, nil
	case "status":
		if len(args) > 0 {
			return Mention{}, usage(FormStatus, "`status` takes no arguments")
		}
		return Mention{Verb: "status"}, nil
	case "failures":
		return parseFailures(args)
	case "show", "why", "fix":
		form := map[string]string{"show": FormShow, "why": FormWhy, "fix": FormFix}[verb]
		if len(args) != 1 {
			return Mention{}, usage(form, "`%s` takes one failure ID", verb)
		}
		id := unwrapLink(args[0])
		if !failureIDRE.MatchString(id) {
			return Mention{}, usage(form, "%q is not a failure ID (owner/repo#run.attempt)", clip(id))
		}
		return Mention{Verb: verb, FailureID: id}, nil
	case "analyze":
		if len(args) != 1 {
			return Mention{}, usage(FormAnalyze, "`analyze` takes one run URL")
		}
		ref, err := github.ParseRunURL(unwrapLink(args[0]))
		if err != nil {
			return Mention{}, usage(FormAnalyze, "%q is not a run URL (https://github.com/OWNER/REPO/actions/runs/ID)", clip(args[0]))
		}
		return Mention{Verb: "analyze", Run: ref}, nil
	case "poll":
		switch {
		case len(args) > 1:
			return Mention{}, usage(FormPoll, "`poll` takes at most one repository")
		case len(args) == 1 && !repoRE.MatchString(args[0]):
			return Mention{}, usage(FormPoll, "%q is not owner/repo", clip(args[0]))
		case len(args) == 1:
			return Mention{Verb: "poll", Repo: args[0]}, nil
		}
		return Mention{Verb: "poll"}, nil
	}
	return Mention{Verb: "help", Unknown: clip(strings.Join(f, " "))}, nil
}

// parseFailures reads `failures [owner/repo] [since 24h]` (since=24h too).
func parseFailures(args []string) (Mention, error) {
	m := Mention{Verb: "failures", Since: DefaultFailuresSince}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.EqualFold(a, "since") && i+1 < len(args):
			d, err := parseDuration(args[i+1])
			if err != nil {
				return Mention{}, usage(FormFailures, "since: %v", err)
			}
			m.Since = d
			i++
		case strings.HasPrefix(strings.ToLower(a), "since="):
			d, err := parseDuration(a[len("since="):])
			if err != nil {
				return Mention{}, usage(FormFailures, "since: %v", err)
			}
			m.Since = d
		case repoRE.MatchString(a) && m.Repo == "":
			m.Repo = a
		default:
			return Mention{}, usage(FormFailures, "%q is neither owner/repo nor `since DURATION`", clip(a))
		}
	}
	return m, nil
}
