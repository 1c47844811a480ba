package excerpt

import (
	"bytes"
	"strings"

	"github.com/ccm-ci/ccm/logtext"
)

// Post steps. GitHub's runner opens an action's post stage (the step the
// web UI calls "Post Run actions/setup-node@v4") with the one line "Post job
// cleanup." and no "##[group]" header, so in the raw log the post steps
// look like more output of the last main step. An ##[error] there (a cache
// that could not be saved, a credential that could not be removed) is the
// post step's own failure: reading it as the last main step's would blame
// the project's build or tests for it.

// PostCleanupStep names a post step whose action the log does not tell.
const PostCleanupStep = "Post job cleanup"

var (
	postCleanupLine = []byte("Post job cleanup.")
	runnerVersion   = []byte("Current runner version: ")
)

// postState is what the extractor knows about actions and post steps.
type postState struct {
	jobStart bool     // the log starts where the job does ("Current runner version")
	actions  []string // the "Run X" steps whose X is an action reference, in order
	posts    int      // post steps begun so far
	inPost   bool     // the current step is a post step
	named    bool     // the current post step has its name from a "##[group]Post …" header
	failPost int      // the post step (1-based) the first ##[error] is in; 0: none
}

// scanPost looks at a line that is no workflow command: a post step's
// first line begins a step in a job's log (one with step groups; a copy of
// one step from the web UI has no other step to tell it from, and which
// step it is stays unknown); the runner's first line says that the log
// holds the whole job, so its actions can be counted.
func (x *extractor) scanPost(body []byte, off int64) {
	switch body[0] {
	case 'P':
		if x.sawStep && bytes.Equal(bytes.TrimRight(body, " \r"), postCleanupLine) {
			x.post.posts++
			x.post.named = false
			x.startStep(PostCleanupStep, off)
			x.post.inPost = true
		}
	case 'C':
		if x.lines <= 3 && bytes.HasPrefix(body, runnerVersion) {
			x.post.jobStart = true
		}
	}
}

// postGroup handles a "##[group]Post …" header (a log that names its post
// steps): it names the post step its "Post job cleanup." began, or begins
// one. It reports whether the title was a post step's.
func (x *extractor) postGroup(title []byte, off int64) bool {
	if !bytes.HasPrefix(title, []byte("Post ")) {
		return false
	}
	name := logtext.NormalizeLine(string(bytes.TrimSpace(title)))
	if x.post.posts > 0 && !x.post.named && x.stepName == PostCleanupStep {
		x.stepName = name
		if x.post.failPost == x.post.posts {
			x.failStep = name
		}
	} else {
		x.post.posts++
		x.startStep(name, off)
		x.post.inPost = true
	}
	x.post.named = true
	return true
}

// noteAction remembers a main step that runs an action ("Run
// actions/setup-node@v4", "Run ./.github/actions/x"), the only steps that
// have post steps.
func (x *extractor) noteAction(name string) {
	ref, ok := strings.CutPrefix(name, "Run ")
	if !ok || x.post.posts > 0 || strings.ContainsAny(ref, " \t") {
		return
	}
	if strings.Contains(ref, "@") || strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "docker://") {
		x.post.actions = append(x.post.actions, name)
	}
}

// postStepName names the failing post step after its action when that is
// certain: post steps run in the reverse order of the actions that
// registered them, and only when the log holds the whole job and there are
// as many post steps as action steps did every action have one. Otherwise
// (an action without a post stage, one with a pre stage, a log cut at its
// start) the pairing could name the wrong action, and the step stays
// PostCleanupStep.
func (x *extractor) postStepName() string {
	p := x.post
	if x.failStep != PostCleanupStep || p.failPost == 0 || !p.jobStart || p.posts != len(p.actions) {
		return x.failStep
	}
	return "Post " + p.actions[len(p.actions)-p.failPost]
}
