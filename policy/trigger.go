package policy

import (
	"slices"
	"strings"
)

// Who and what triggered a run. A re-run repeats the trigger's work with
// the trigger's powers, so ccm re-runs alone only the repository's own
// work: not a fork's, not a bot's, and not one run by an event that hands
// the repository's secrets to code or input from someone else.

// privilegedEvents run a workflow with the repository's secrets and a
// write token on behalf of someone who need not be trusted (lowercase):
//   - pull_request_target: for a pull request, possibly from a fork;
//   - workflow_run: after another workflow, often a fork's pull_request
//     run whose artifacts it reads;
//   - issue_comment: for whoever commented, and workflows commonly check
//     out the commented pull request's head.
var privilegedEvents = []string{"pull_request_target", "workflow_run", "issue_comment"}

// wellKnownBots are bot logins GitHub (or a caller) may report without the
// "[bot]" suffix: the dependency updaters and GitHub's own Actions user
// (lowercase). It is a list of names, not a pattern, so a person whose
// login merely contains "bot" is not mistaken for one.
var wellKnownBots = []string{"dependabot", "dependabot-preview", "renovate", "renovate-bot", "github-actions"}

// IsBotLogin reports whether a login names a bot: GitHub Apps' "name[bot]"
// (the form run.actor.login takes), the "app/name" form of the REST API's
// author fields and of gh, and the well-known bots by their plain login.
// Case and surrounding blanks do not matter.
func IsBotLogin(login string) bool {
	l := strings.ToLower(strings.TrimSpace(login))
	return strings.HasSuffix(l, "[bot]") || strings.HasPrefix(l, "app/") || slices.Contains(wellKnownBots, l)
}

// trigger: a fork's or a bot's run, and a run by a privileged event, are
// not the repository's own work: a person decides whether to run them
// again. When GitHub did not say, ccm does not assume the harmless answer.
func (g *gate) trigger(in Input) {
	if in.FromFork {
		g.fail(CheckTrigger, "the run comes from a fork")
	}
	switch {
	case strings.TrimSpace(in.Actor) == "":
		g.fail(CheckTrigger, "who triggered the run is not known")
	case in.ActorIsBot || IsBotLogin(in.Actor):
		g.fail(CheckTrigger, "the run was triggered by a bot (%s)", clipQuote(in.Actor))
	}
	switch ev := strings.ToLower(strings.TrimSpace(in.Event)); {
	case ev == "":
		g.fail(CheckTrigger, "the event that triggered the run is not known")
	case slices.Contains(privilegedEvents, ev):
		g.fail(CheckTrigger, "the run was triggered by %s, which runs with the repository's secrets on behalf of someone else", ev)
	}
}
