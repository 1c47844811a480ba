package rules

import (
	"bytes"
	"regexp"

	"github.com/ccm-ci/ccm/analysis"
)

// Context reclassification. A few signatures name a failure whose category
// depends on where it ran: the same line is the platform's fault on one CI
// and the pipeline's own configuration on another. A reclassifier sees the
// log and the winning hit, may change the result's category and fix, and
// returns the note that says why (reasoning then adds "Reclassified as").

// reclassConfidence caps a reclassified answer: it rests on where the job
// ran, which the log only suggests.
const reclassConfidence = 60

var reclassifiers = map[string]func(sc scanned, win hit, res *analysis.AnalysisResult) string{
	"docker-daemon-unavailable":  circleciRemoteDocker,
	"dependency-version-missing": npmPublish404,
}

// circleciMarker is text CircleCI itself prints in a step's output: the
// default shell line it echoes before each run step and its closing
// exit-code lines. A repository's own script would not print them.
var circleciMarker = regexp.MustCompile(`(?m)^[^\S\n]*(?:\$[^\S\n]*)?#!/bin/bash -eo pipefail[^\S\n]*$|circleci received exit code|exited with code exit status`)

// circleciRemoteDocker: on CircleCI's docker executor the job container has
// no Docker daemon of its own; docker commands need setup_remote_docker (or
// the machine executor), per CircleCI's docs. So a local-socket connection
// failure there is the job's configuration, not a daemon that went down
// (which is what it means on GitLab's dind or a self-hosted runner). With
// setup_remote_docker the client talks tcp:// to the remote engine, so only
// the unix socket form is read this way.
func circleciRemoteDocker(sc scanned, win hit, res *analysis.AnalysisResult) string {
	if !circleciMarker.Match(sc.low) {
		return ""
	}
	if !winLineHas(sc, win, "unix:///var/run/docker.sock") {
		return ""
	}
	// The log cannot tell the docker executor from the machine executor or
	// a self-hosted runner, where the same line means a daemon that is
	// down: the answer says "likely" (toConfig).
	toConfig(res,
		"The job most likely ran on CircleCI's docker executor, whose container has no Docker daemon: docker commands there need a remote engine.",
		"Add a `- setup_remote_docker` step before the first docker command (or run the job on the machine executor), then re-run.",
		"On the machine executor or a self-hosted runner the same line means the daemon there is down: restart it, or re-run on another machine.")
	return "CircleCI's own output is in the log and the client looked for a local socket: on CircleCI's docker executor that means the job lacks setup_remote_docker, a configuration fix (the log cannot show which executor ran it)."
}

// npmPublishing is text only a publishing job prints: the npm command, its
// refusal to publish without a login, the popular publish actions.
var npmPublishing = regexp.MustCompile(`\bnpm publish\b|publish packages|/npm-publish[/@]|semantic-release/npm`)

// npmPublish404: the registry answers 404, not 401, to a publish it does
// not authorise (a scoped or private package, a missing or wrong token in
// .npmrc or NPM_TOKEN), and a publish action's first check of the
// package's current version 404s for a package never published. In a
// publishing job the "not in the npm registry" is the job's credentials
// or registry setting, not a missing dependency.
func npmPublish404(sc scanned, win hit, res *analysis.AnalysisResult) string {
	if !bytes.Contains(sc.low, []byte("publish")) || !npmPublishing.Match(sc.low) || !winLineHas(sc, win, "404") {
		return ""
	}
	toConfig(res,
		"The job publishes to npm, and the registry answers 404 to a publish it does not authorise: check the token (NPM_TOKEN or the .npmrc line that uses it) and that it may publish this package and scope.",
		"Check the registry the job publishes to (publishConfig, --registry, the scope's registry in .npmrc); a package never published yet needs its first publish with access set (--access public for a public scoped package).",
		"A re-run without that change fails the same way.")
	return "The job publishes to npm: a 404 there means the token or the registry setting, not a missing dependency."
}

// winLineHas reports a line of the winning hit that holds sub (lowercase).
func winLineHas(sc scanned, win hit, sub string) bool {
	for _, l := range win.lines {
		if bytes.Contains(sc.low[l.start:l.end], []byte(sub)) {
			return true
		}
	}
	return false
}

// toConfig makes res a configuration answer resting on where or how the
// job ran, which the log only suggests: below reclassConfidence, and no
// action (the fix is a person's edit either way).
func toConfig(res *analysis.AnalysisResult, fix ...string) {
	res.Category = analysis.CategoryConfig
	res.Confidence = min(res.Confidence, reclassConfidence)
	res.Actions = []analysis.Action{{Type: analysis.ActionNone}}
	res.ProposedFix = steps(fix...)
}
