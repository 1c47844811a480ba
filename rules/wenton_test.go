package rules

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// plainLog writes lines as a CI without GitHub's timestamps and step
// groups prints them (Travis, Jenkins, GitLab, Bitbucket).
func plainLog(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// TestWentOnIsNotNoFailure: a failure followed by a post step's success
// line (Travis' after_script, Jenkins' post-build script, Bitbucket's
// after script) is still the job's failure. The CI's own end-of-job
// marker is hard like ##[error]; a log without steps and without a
// marker does not go on past a post section. minConf > 0: the signature
// must still decide (the line was not dropped as gone on after).
func TestWentOnIsNotNoFailure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		log     string
		wantCat analysis.Category
		minConf int
	}{
		{name: "travis command not found, after_script installs", wantCat: analysis.CategoryConfig, minConf: 50, log: plainLog(
			"$ npm ci",
			"added 310 packages, and audited 311 packages in 7s",
			"$ make docs",
			"sphinx-build -b html docs build/html",
			"/bin/sh: 1: sphinx-build: not found",
			"make: *** [Makefile:8: docs] Error 127",
			`The command "make docs" exited with 2.`,
			"after_script",
			"$ pip install --user coveralls",
			"Successfully installed coveralls-3.3.1 docopt-0.6.2",
			"Done. Your build exited with 1.")},
		{name: "travis database host unknown, after_script installs", wantCat: analysis.CategoryInfrastructure, minConf: 40, log: plainLog(
			"$ bundle exec rspec",
			"An error occurred while loading ./spec/models/user_spec.rb.",
			`PG::ConnectionBad: could not translate host name "db" to address: Temporary failure in name resolution`,
			`The command "bundle exec rspec" exited with 1.`,
			"after_script",
			"$ gem install coveralls-reborn",
			"Successfully installed coveralls-reborn-0.28.0",
			"Done. Your build exited with 1.")},
		{name: "bitbucket immutable lockfile, no end marker, after script installs", wantCat: analysis.CategoryDependency, minConf: 50, log: plainLog(
			"+ yarn install --immutable",
			"➤ YN0000: ┌ Resolution step",
			"➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden.",
			"➤ YN0000: └ Completed in 2s 310ms",
			"➤ YN0000: Failed with errors in 2s 318ms",
			"After script:",
			"+ pip install --user bitbucket-pipes-toolkit",
			"Successfully installed bitbucket-pipes-toolkit-4.4.0",
			"Finished scanning for test reports. Found 0 test report files.")},
		{name: "travis goes on to the next script command, which succeeds", log: plainLog(
			"$ bundle exec rake sitemap:refresh",
			"rake aborted!",
			"Sitemap::Error: the host option must be set",
			"/home/travis/build/acme/shop/lib/tasks/sitemap.rake:9:in `block (2 levels) in <top (required)>'",
			`The command "bundle exec rake sitemap:refresh" exited with 1.`,
			"$ ./gradlew assemble",
			"BUILD SUCCESSFUL in 12s",
			"Done. Your build exited with 1.")},
		{name: "no markers at all: a notify command's success line after the failure", wantCat: analysis.CategoryDependency, minConf: 50, log: plainLog(
			"+ pnpm install --frozen-lockfile",
			` ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with package.json`,
			"+ pip install --user slack-notify-cli",
			"Successfully installed slack-notify-cli-0.4.1")},
		{name: "bitbucket failed gradle test, after script's gradle succeeds", log: plainLog(
			"+ ./gradlew test",
			"> Task :app:test FAILED",
			"FAILURE: Build failed with an exception.",
			"* What went wrong:",
			"Execution failed for task ':app:test'.",
			"After script:",
			"+ ./gradlew -q publishReport",
			"BUILD SUCCESSFUL in 4s")},
		{name: "jenkins freestyle command not found, post-build gradle succeeds", wantCat: analysis.CategoryConfig, minConf: 50, log: plainLog(
			"Started by timer",
			"Building in workspace /var/lib/jenkins/workspace/docs-nightly",
			"[docs-nightly] $ /bin/sh -xe /tmp/jenkins812.sh",
			"+ mkdocs build --strict",
			"/tmp/jenkins812.sh: line 2: mkdocs: command not found",
			"Build step 'Execute shell' marked build as failure",
			"[PostBuildScript] - [INFO] Executing post build scripts.",
			"[docs-nightly] $ /bin/sh -xe /tmp/jenkins813.sh",
			"+ ./gradlew -q :notify:run",
			"BUILD SUCCESSFUL in 5s",
			"Finished: FAILURE")},
		{name: "gitlab job failed, after_script installs", log: plainLog(
			"$ terraform init -input=false",
			"Initializing the backend...",
			"Error: Failed to get existing workspaces: AccessDenied: Access Denied",
			"\tstatus code: 403, request id: 8Y2K",
			"Running after_script",
			"$ pip install --quiet awscli",
			"Successfully installed awscli-1.32.0",
			"ERROR: Job failed: exit code 1")},
		{name: "make stops on a compile error, a later tool says done", wantCat: analysis.CategoryCode, minConf: 50, log: plainLog(
			"gcc -O2 -c src/parse.c -o build/parse.o",
			"src/parse.c:41:5: error: implicit declaration of function 'strlcpy' [-Wimplicit-function-declaration]",
			"make: *** [Makefile:22: build/parse.o] Error 1",
			"Done in 0.8s.")},
		{name: "go test log.Fatal after a passing test", log: ghaLog(
			"##[group]Run go test -v ./internal/cache/...",
			"##[endgroup]",
			"=== RUN   TestGet",
			"--- PASS: TestGet (0.00s)",
			"=== RUN   TestEvict",
			"    cache_test.go:61: connecting to redis: dial tcp 127.0.0.1:6379: connect: connection refused",
			"2026/12/05 10:00:31 cache: giving up",
			"FAIL\tgithub.com/acme/svc/internal/cache\t0.214s",
			"FAIL")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(ccmInput(t, tc.log))
			if got.NoFailureFound() {
				t.Fatalf("failing log came back without a failure line: %s", got.Reasoning)
			}
			if tc.wantCat != "" && got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			if got.Confidence < tc.minConf {
				t.Errorf("confidence = %d, want at least %d: the line was dropped as gone on after (%s)", got.Confidence, tc.minConf, got.Reasoning)
			}
		})
	}
}

// TestWentOnPassing: what a passing run prints after a failure-looking
// line that proves it went on: a build tool's verdict on the whole build
// (also without steps), a later step, a tool's own success line in a log
// with GitHub's steps (a failed step there always ends in ##[error]).
func TestWentOnPassing(t *testing.T) {
	runPassingLogCases(t, []passingLogCase{
		{name: "maven without steps: an expected exception, then BUILD SUCCESS", passing: true, log: plainLog(
			"[INFO] Running com.acme.mail.SmtpClientTest",
			"javax.mail.MessagingException: Could not connect to SMTP host: localhost, port: 2525",
			"[INFO] Tests run: 7, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.8 s - in com.acme.mail.SmtpClientTest",
			"[INFO] BUILD SUCCESS",
			"after_script",
			"$ echo uploading coverage",
			"Done. Your build exited with 0.")},
		{name: "github steps: a probe's not found, then the tool's own success line", passing: true, log: ghaLog(
			"##[group]Run command -v protoc || sudo apt-get install -y protobuf-compiler",
			"/usr/bin/bash: line 1: protoc: command not found",
			"Setting up protobuf-compiler (3.21.12-8) ...",
			"Successfully installed protobuf-compiler",
			"##[endgroup]")},
	})
}

// TestGoNoTestFailed: t.Log lines are discounted only in a go test run
// in which nothing failed; log.Fatal, os.Exit, a timeout or a goroutine's
// panic fail the package without a "--- FAIL" line.
func TestGoNoTestFailed(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want bool
	}{
		{"passed", "--- PASS: TestA (0.00s)\nPASS\nok  \tpkg\t0.1s\n", true},
		{"a test failed", "--- PASS: TestA (0.00s)\n--- FAIL: TestB (0.00s)\n", false},
		{"log.Fatal: package FAIL line only", "--- PASS: TestA (0.00s)\n2026/12/05 10:00:00 giving up\nFAIL\tpkg\t0.2s\n", false},
		{"os.Exit: closing FAIL", "--- PASS: TestA (0.00s)\nexit status 3\nFAIL\n", false},
		{"timeout panic", "--- PASS: TestA (0.00s)\npanic: test timed out after 5m0s\n", false},
		{"goroutine panic, indented", "--- PASS: TestA (0.00s)\n  panic: runtime error: index out of range [3] with length 3\n", false},
		{"no passing test", "ok  \tpkg\t0.1s\n", false},
		{"a test named FAILover passes", "=== RUN   TestFAILover\n--- PASS: TestFAILover (0.00s)\n", true},
	} {
		if got := goNoTestFailed(tc.text); got != tc.want {
			t.Errorf("%s: goNoTestFailed = %v, want %v", tc.name, got, tc.want)
		}
	}
}
