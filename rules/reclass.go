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
	"docker-daemon-unavailable": circleciRemoteDocker,
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
	local := false
	for _, l := range win.lines {
		if bytes.Contains(sc.low[l.start:l.end], []byte("unix:///var/run/docker.sock")) {
			local = true
			break
		}
	}
	if !local {
		return ""
	}
	// The log cannot tell the docker executor from the machine executor or
	// a self-hosted runner, where the same line means a daemon that is
	// down: the answer says "likely", lowers its confidence and proposes no
	// action (the fix is a person's edit either way).
	res.Category = analysis.CategoryConfig
	res.Confidence = min(res.Confidence, reclassConfidence)
	res.Actions = []analysis.Action{{Type: analysis.ActionNone}}
	res.ProposedFix = steps(
		"The job most likely ran on CircleCI's docker executor, whose container has no Docker daemon: docker commands there need a remote engine.",
		"Add a `- setup_remote_docker` step before the first docker command (or run the job on the machine executor), then re-run.",
		"On the machine executor or a self-hosted runner the same line means the daemon there is down: restart it, or re-run on another machine.")
	return "CircleCI's own output is in the log and the client looked for a local socket: on CircleCI's docker executor that means the job lacks setup_remote_docker, a configuration fix (the log cannot show which executor ran it)."
}
