package rules

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// The Docker-daemon line answers config only where CircleCI's own output
// shows the job ran on its docker executor and looked for a local socket;
// everywhere else it stays the runner's daemon being down. The logs are
// written for this test.
func TestCircleCIRemoteDockerReclassified(t *testing.T) {
	daemon := "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
	cases := []struct {
		name string
		log  string
		want analysis.Category
	}{
		{"circleci step without setup_remote_docker",
			"#!/bin/bash -eo pipefail\ndocker build -t app .\n" + daemon + "\n\nExited with code exit status 1\nCircleCI received exit code 1",
			analysis.CategoryConfig},
		{"gitlab dind service down",
			"$ docker build -t app .\n" + daemon + "\nERROR: Job failed: exit code 1",
			analysis.CategoryInfrastructure},
		{"circleci windows engine not running",
			"#!/bin/bash -eo pipefail\ndocker build -t app .\nerror during connect: Get \"http://%2F%2F.%2Fpipe%2Fdocker_engine/_ping\": open //./pipe/docker_engine: The system cannot find the file specified.\nExited with code exit status 1",
			analysis.CategoryInfrastructure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkReclass(t, tc.log, "docker-daemon-unavailable", tc.want, "setup_remote_docker")
		})
	}
}

// A 404 from the npm registry is the job's credentials or registry setting
// when the job publishes, and a missing package when it installs. The
// logs are written for this test.
func TestNPMPublish404Reclassified(t *testing.T) {
	notInRegistry := "npm ERR! code E404\nnpm ERR! 404 'left-pad-ng@latest' is not in the npm registry."
	cases := []struct {
		name string
		log  string
		want analysis.Category
	}{
		{"npm publish", "$ npm publish --access public\n" + notInRegistry, analysis.CategoryConfig},
		{"a publish action checking the current version", "Run JS-DevTools/npm-publish@v1\n" + notInRegistry + "\n    at getLatestVersion (/home/runner/work/_actions/JS-DevTools/npm-publish/v1/src/npm.ts:57:13)", analysis.CategoryConfig},
		{"npm install", "$ npm install\n" + notInRegistry, analysis.CategoryDependency},
		{"a publishing job whose install lacks a version", "Run npm ci && npm publish\nnpm ERR! code ETARGET\nnpm ERR! notarget No matching version found for left-pad@^9.0.0.", analysis.CategoryDependency},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkReclass(t, tc.log, "dependency-version-missing", tc.want, "NPM_TOKEN")
		})
	}
}

// checkReclass classifies log: sig decides it, the answer validates and
// is want; a reclassified config answer says so, gives the fix that names
// fixWord, and keeps its confidence at most reclassConfidence (where or
// how the job ran is only suggested by the log).
func checkReclass(t *testing.T, log, sig string, want analysis.Category, fixWord string) {
	t.Helper()
	got := Classify(Input{Text: log})
	if err := got.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if w, _, _ := Winner(Input{Text: log}); w != sig {
		t.Fatalf("%s decided, want %s", w, sig)
	}
	if got.Category != want {
		t.Fatalf("category %s, want %s (%s)", got.Category, want, got.Reasoning)
	}
	if want != analysis.CategoryConfig {
		return
	}
	if !strings.Contains(got.ProposedFix, fixWord) || !strings.Contains(got.Reasoning, "Reclassified as config") {
		t.Errorf("fix %q / reasoning %q lack %q or the reclassification", got.ProposedFix, got.Reasoning, fixWord)
	}
	if got.Confidence > reclassConfidence {
		t.Errorf("confidence %d, want at most %d", got.Confidence, reclassConfidence)
	}
}
