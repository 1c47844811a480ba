package rules

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
)

// TestFamilyHints holds every family hint to real lines from public logs:
// each family has lines from several tools or wordings, and at least one
// from a log that is not in cilogs' corpus (the hints must generalise, not
// fit the corpus). The lines are verbatim; the URL is where each was
// published.
func TestFamilyHints(t *testing.T) {
	tests := []struct {
		line, url string
		want      analysis.Category
	}{
		// Job-level time limits.
		{"##[error]The job running on agent Hosted Agent ran longer than the maximum time of 60 minutes. For more information, see https://go.microsoft.com/fwlink/?linkid=2077134", "https://github.com/microsoft/azure-pipelines-agent/issues/3842", analysis.CategoryTimeout},
		{"The job exceeded the maximum allowed time of 01:00:00 and was stopped. Please visit &lt;a href='https://go.microsoft.com/fwlink/?linkid=832649' target='_blank' &gt;parallel jobs&lt;/a&gt; for more information.", "https://github.com/microsoft/azure-pipelines-yaml/issues/227", analysis.CategoryTimeout},
		{"Build timed out (after 150 minutes). Marking the build as failed.", "https://github.com/akka/akka-core/issues/28910", analysis.CategoryTimeout},
		{"Build timed out", "https://github.com/kubernetes/kubernetes/issues/31776", analysis.CategoryTimeout},
		{"Cancelling nested steps due to timeout", "https://github.com/eclipse-openj9/openj9/issues/8282", analysis.CategoryTimeout},
		{"[2023-09-14T14:23:42.781Z] \tat org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution.cancel(TimeoutStepExecution.java:168)", "https://github.com/elastic/integrations/pull/7834", analysis.CategoryTimeout},
		// CI configuration validators.
		{"/azure-pipelines.yml (Line: 2, Col: 1): Unexpected value 'ms.openlocfilehash'", "https://github.com/MicrosoftDocs/mslearn-tailspin-spacegame-web/issues/5661", analysis.CategoryConfig},
		{"Encountered error(s) while parsing pipeline YAML:", "https://github.com/MicrosoftDocs/mslearn-tailspin-spacegame-web/issues/5661", analysis.CategoryConfig},
		{"AzGovViz.yml (Line: 36, Col: 1): Unexpected value 'schedules'", "https://github.com/JulianHayward/Azure-MG-Sub-Governance-Reporting/issues/28", analysis.CategoryConfig},
		{"  2 schema violations found", "https://github.com/istio/istio/issues/8135", analysis.CategoryConfig},
		{"jobs: 11 schema violations found", "https://github.com/syndesisio/syndesis/issues/5472", analysis.CategoryConfig},
		{"Error: ERROR IN CONFIG FILE:", "https://github.com/filecoin-project/venus/issues/2275", analysis.CategoryConfig},
		{"# Your config does not conform to the schema.", "https://github.com/circleci/circleci-docs/issues/3701", analysis.CategoryConfig},
		{"Invalid gitlab-ci configuration! It have failed the json schema validation. Dump the following to the pipeline editor to debug: stages:", "https://github.com/firecow/gitlab-ci-local/issues/1269", analysis.CategoryConfig},
		{"Gitlab CI: `jobs:make_wheels config contains unknown keys: matrix`", "https://github.com/scientific-python/cookie/issues/457", analysis.CategoryConfig},
		{"Cannot find a definition for executor named docker", "https://github.com/CircleCI-Archived/circleci-orbs/pull/106", analysis.CategoryConfig},
		{`ERROR: Step ‘Archive the artifacts’ failed: No artifacts found that match the file pattern "universal/build/libs/nuvotifier.jar". Configuration error?`, "https://github.com/NuVotifier/NuVotifier/issues/299", analysis.CategoryConfig},
		// Scripts that are not executable.
		{"/root/cad6e2d9-989f-4be6-90b0-be5fb5efadbd.sh: line 58: ./build.sh: Permission denied", "https://github.com/Shippable/support/issues/2991", analysis.CategoryConfig},
		{"/bin/bash: .circleci/get_archive_tag.sh: Permission denied", "https://github.com/raiden-network/raiden/issues/4525", analysis.CategoryConfig},
		// Credentials refused.
		{"denied: requested access to the resource is denied", "https://github.com/owncloud/web/issues/13401", analysis.CategoryConfig},
		{"buildx call failed with: error: denied: requested access to the resource is denied", "https://github.com/docker/build-push-action/issues/535", analysis.CategoryConfig},
		// Servers answering 5xx/429, broken transfers.
		{"HTTPError: 503 Server Error: Backend is unhealthy", "https://github.com/pypi/warehouse/issues/3710", analysis.CategoryInfrastructure},
		{"HTTPError: 503 Service Unavailable from https://test.pypi.org/legacy/", "https://github.com/pypi/warehouse/issues/13307", analysis.CategoryInfrastructure},
		{"curl: (22) The requested URL returned error: 503", "https://github.com/pypi/warehouse/issues/17919", analysis.CategoryInfrastructure},
		{"error: 503 Server Error: No healthy backends for url: https://pypi.python.org/pypi", "https://github.com/pywbem/pywbem/issues/336", analysis.CategoryInfrastructure},
		{"IceGitHubError: API rate limit exceeded for 128.93.193.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)", "https://github.com/pharo-project/pharo/issues/10926", analysis.CategoryInfrastructure},
		{"The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.", "https://github.com/OpenMS/pyopenms-docs/issues/395", analysis.CategoryInfrastructure},
		{"Error: Deployment failed, try again later.", "https://github.com/actions/deploy-pages/issues/418", analysis.CategoryInfrastructure},
		{"curl: (56) Recv failure: Connection reset by peer", "https://github.com/curl/curl/issues/1016", analysis.CategoryInfrastructure},
		// Remote hosts that could not be reached, repositories refusing a download.
		{"          Unable to download data from https://rubygems.org/ - SSL_connect returned=1 errno=0 state=unknown state: tlsv1 alert protocol version (https://api.rubygems.org/specs.4.8.gz)", "https://github.com/travis-ci/travis-ci/issues/7686", analysis.CategoryInfrastructure},
		{"Failed to resolve 'json.schemastore.org' ([Errno -3] Temporary failure in name resolution)", "https://github.com/pre-commit-ci/issues/issues/227", analysis.CategoryInfrastructure},
		{"rsync: getaddrinfo: translationproject.org 873: Temporary failure in name resolution", "https://github.com/dspinellis/dgsh/issues/111", analysis.CategoryInfrastructure},
		{".rvm/rubies/ruby-2.5.3/lib/ruby/2.5.0/net/http.rb:939:in rescue in block in connect': Failed to open TCP connection to rubygems.org:443 (getaddrinfo: nodename nor servname provided, or not known) (SocketError)", "https://github.com/appfolio/gemsurance/issues/41", analysis.CategoryInfrastructure},
		{"[ERROR] \tCould not transfer artifact org.bouncycastle:bcutil-jdk18on:jar:1.81.1 from/to google-maven-central (https://maven-central.storage-download.googleapis.com/maven2/): status code: 403, reason phrase: Forbidden (403)", "https://github.com/trinodb/trino/issues/30849", analysis.CategoryInfrastructure},
		// Package managers: lock files out of date, toolchains too old for a package.
		{"ERR_PNPM_FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE  Cannot perform a frozen installation because the lockfile needs updates", "https://github.com/hyoban/rss-to-bot/issues/2", analysis.CategoryDependency},
		{" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up-to-date with src/api/parser/package.json", "https://github.com/Seneca-CDOT/telescope/pull/3312", analysis.CategoryDependency},
		{"error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.", "https://github.com/bahmutov/npm-install/issues/25", analysis.CategoryDependency},
		{"error: the lock file /home/ben/Dev/third-party/cargo-outdated/Cargo.lock needs to be updated but --frozen was passed to prevent this", "https://github.com/kbknapp/cargo-outdated/pull/159", analysis.CategoryDependency},
		{"error: rustc 1.81.0 is not supported by the following packages:", "https://github.com/g0h4n/RustHound-CE/issues/23", analysis.CategoryDependency},
		{"  burn@0.22.0-pre.3 requires rustc 1.95", "https://github.com/ArthurBrussee/brush/issues/552", analysis.CategoryDependency},
		// A step's configuration: inputs, secrets, commands, the Docker build context.
		{"Error: Input required and not supplied: github-token", "https://github.com/ahmadnassri/action-dependabot-auto-merge/issues/68", analysis.CategoryConfig},
		{"COVERALLS_REPO_TOKEN must be set", "https://github.com/linkerd/linkerd/issues/399", analysis.CategoryConfig},
		{"Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers", "https://github.com/valkey-io/valkey-container/issues/113", analysis.CategoryConfig},
		{"/home/travis/build.sh: line 45: afcf05fe8dca812323768f7677b1fcda: command not found", "https://github.com/travis-ci/travis-ci/issues/6492", analysis.CategoryConfig},
		{"COPY failed: file not found in build context or excluded by .dockerignore: stat build/run.sh: file does not exist", "https://github.com/jitsi/moderated-meetings/issues/14", analysis.CategoryConfig},
		{`ERROR: failed to build: failed to solve: failed to compute cache key: failed to calculate checksum of ref 7rwf5y97vt3qxjefart17zyuq::46riyywj6v8fif7dfjs5vd0es: "/deployment": not found`, "https://github.com/openremote/openremote/issues/3025", analysis.CategoryConfig},
		// Compiler and linter diagnostics at a file and line, in any locale.
		{"2023-04-09T20:40:27 src/emu/drawgfxm.h:403:17: 错误： ‘elements’在此作用域中尚未声明", "https://github.com/libretro/mame2015-libretro/issues/100", analysis.CategoryCode},
		{"main.c:81:24: schwerwiegender Fehler: bibtool/io.h: Datei oder Verzeichnis nicht gefunden", "https://github.com/ge-ne/bibtool/issues/24", analysis.CategoryCode},
		{`[ERROR] \jieba-analysis\src\main\java\com\huaban\analysis\jieba\JiebaSegmenter.java:[25,29] 错误: 找不到符号`, "https://github.com/huaban/jieba-analysis/issues/110", analysis.CategoryCode},
		{"错误：/home/runner/work/raindrop/raindrop/src/main/java/cn/ofpp/core/MessageFactory.java:[4,15]找不到符号", "https://github.com/DokiYoloo/CareUEveryDay/issues/23", analysis.CategoryCode},
		{"52:27-52:28 space-round-alphabet No space between Chinese and alphabet. '后，Scrum负责人就会", "https://github.com/DrAugus/draugus.github.io/blob/HEAD/src/code/record/markdown.md", analysis.CategoryCode},
		{"   18:128-18:129         space-round-alphabet          No space between Chinese and alphabet. '算机名称、IP地址到第一'", "https://github.com/freeCodeCamp/chinese/issues/413", analysis.CategoryCode},
		{"  328:9  error  'promise' is assigned a value but never used  no-unused-vars", "https://github.com/eslint/eslint/issues/8024", analysis.CategoryCode},
		// A tool's own time limit.
		{`level=error msg="Timeout exceeded: try increasing it by passing --timeout option"`, "https://github.com/triggermesh/triggermesh/issues/163", analysis.CategoryTimeout},
		{`  level=error msg="Running error: context loading failed: failed to load packages: timed out to load packages: context deadline exceeded"`, "https://github.com/opentdf/platform/issues/131", analysis.CategoryTimeout},
		{"error: timed out waiting for the condition on pods/spire-agent-9vncl", "https://github.com/shieldworks/aegis/issues/330", analysis.CategoryTimeout},
		// A Kubernetes test's wait that ran out.
		{"F0509 18:45:18.441385   11397 integration.go:848] FAILED: unexpected endpoints: timed out waiting for the condition", "https://github.com/kubernetes/kubernetes/issues/25387", analysis.CategoryFlakyTest},
		{"F1216 22:12:09.475464   11364 integration.go:910] FAILED: pod never started running timed out waiting for the condition", "https://github.com/kubernetes/kubernetes/issues/18809", analysis.CategoryFlakyTest},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			if !strings.HasPrefix(tc.url, "https://") {
				t.Fatalf("example %q has no public URL", tc.line)
			}
			sc := newScan(Input{Text: tc.line})
			got, _, sp, ok := sc.familyHint()
			if !ok || got != tc.want {
				t.Fatalf("familyHint(%q) = %q, %v; want %s", tc.line, got, ok, tc.want)
			}
			if l := sc.line(sp); l != strings.TrimSpace(tc.line) {
				t.Errorf("hint line = %q, want the example line", l)
			}
		})
	}
}

// TestFamilyHintsMiss: ordinary failure and success lines give no hint,
// so the unknown default stays code for them.
func TestFamilyHintsMiss(t *testing.T) {
	for _, line := range []string{
		"Error: Process completed with exit code 1.",
		"Tests: 1 failed, 14 passed, 15 total",
		"FAIL src/app.test.ts",
		"Handling errors in the retry loop; see docs/errors.md for the error codes we return.",
		"build: 12 packages compiled in 3.2s",
		"deployed version 503 of the site",
		// A file named for the failure it holds (a README's table).
		"| `dockerhub-rate-limit.log` | Docker Hub pull limit |",
		// Near misses of the diagnostics family: a warning column, a
		// stack frame, a compiler killed without a file and line.
		"   1:1-1:35  warning  Marker style should be `.`                ordered-list-marker-style  remark-lint",
		"    at TCPConnectWrap.afterConnect [as oncomplete] (net.js:1141:16)",
		"gcc: 致命错误：已杀死 signal terminated program cc1",
		"[ERROR] /src/main/java/org/acme/PathwayModel.java:[237,136] unmappable character (0x9D) for encoding windows-1252",
		// Lines the new families must not read as failures: a retry or
		// warning the run survived, a passing test's title, prose.
		"WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f3c>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/",
		"Warning: The lock file is not up to date with the latest changes in composer.json. You may be getting outdated dependencies.",
		"  ✓ returns an error for an unknown option (3 ms)",
		"  ✓ gives up when timed out waiting for the lock (12 ms)",
		"Set GITHUB_TOKEN in the repository secrets to publish; see docs/release.md.",
		"The lock file pins every package; run the update job to refresh it.",
		"Resolving dependencies... done, no conflicts",
	} {
		if cat, _, _, ok := newScan(Input{Text: line}).familyHint(); ok {
			t.Errorf("familyHint(%q) = %s, want no hint", line, cat)
		}
	}
}

// TestHintAnchorsLoseNothing: trying only the lines that hold a hint's
// anchors finds the same first line as running its expression over the
// whole text, on every log of every set and on each hint's own examples.
func TestHintAnchorsLoseNothing(t *testing.T) {
	type hint struct {
		re      *regexp.Regexp
		anchors []string
		lead    bool
		unless  []string
	}
	var hints []hint
	for _, h := range familyHints {
		hints = append(hints, hint{h.re, h.anchors, h.lead, h.unless})
	}
	for _, h := range weakHints {
		hints = append(hints, hint{h.re, h.anchors, false, nil})
	}
	for _, l := range slices.Concat(cilogs.All(), cilogs.Corpus(), cilogs.Corpus2()) {
		sc := newScan(Input{Text: l.Log})
		for i, h := range hints {
			// The whole text's first match on a line without the
			// hint's unless words, that no hint is excluded from.
			var want span
			var loc []int
			for _, l := range h.re.FindAllIndex(sc.low, -1) {
				if sp := lineSpan(sc.low, l); !containsAny(sc.low[sp.start:sp.end], h.unless) && !sc.hintExcluded(sp.start, sp.end) {
					loc, want = l, sp
					break
				}
			}
			got, ok := sc.firstLineMatching(h.re, h.anchors, h.lead, h.unless)
			if ok != (loc != nil) || ok && (got.start != want.start || got.end != want.end) {
				t.Errorf("%s: hint %d (%s): anchored %v at %d, whole text %v at %d", l.ID, i, h.re, ok, got.start, loc != nil, want.start)
			}
		}
	}
}

// TestOrphanOnlyInReason: the orphan-process hint is a log line's; in the
// reason alone (ccm's summary) it does not stop a passing log from being
// read as one.
func TestOrphanOnlyInReason(t *testing.T) {
	in := Input{Reason: "Terminate orphan process: pid (2210) (node)", Text: "Run npm test\nTests:       12 passed, 12 total\nRan all test suites."}
	if got := Classify(in); !got.NoFailureFound() {
		t.Errorf("NoFailureFound is false: %s %d: %s", got.Category, got.Confidence, got.Reasoning)
	}
}
