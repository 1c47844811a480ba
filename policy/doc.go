// Package policy owns the safety gate: the decision whether ccm may act on
// a failure alone (auto), must ask a person (approval), or has nothing
// useful to do (none), with every reason in words a person understands.
//
// It is pure: Decide reads only its Input (no Redis, no network, no clock,
// no config file), so the same facts always give the same decision and the
// gate can be tested as a table. Gathering the facts (the failure record,
// the analysis, the repository's settings, the threshold set from Slack,
// open incidents) and carrying out the decision belong to the caller.
//
// The gate computes its own signals rather than trusting the model: the
// rule-based verdict must recognise the failure (a rules guess, or a log in
// which the rules found no failure line, means a person looks), sets a risk
// floor and can say "code"; the failing step and the changed files say
// whether application code is involved; the repository's protection,
// auto_actions and max_reruns (counting every re-run the decision
// proposes), coherent actions, the trigger (fork, bot, pull_request_target,
// workflow_run, issue_comment), a log addressed to an AI model and an open
// incident each keep a person in the loop.
//
// In shadow mode Decision.Kind is what ccm would have done: whether to act
// is Decision.Acts, never Kind == KindAuto.
package policy
