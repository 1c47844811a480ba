package excerpt

import "testing"

// TestReason_Verdicts holds the reason to the line that says what ended
// the job or why the test failed, over the lines around it that only
// describe, sum up or quote: a CI system's time-limit verdict over a hang's
// description, a matcher's message over the code RSpec quotes and the
// example's title, Minitest's header over its diff, an error annotation
// over a notice, Composer's problem rows over its summary, a command's
// error over the shell's trace of it, a kill that names memory over a bare
// "Killed", dotnet's blame timeout over the crash it caused. The logs are
// written for the test.
func TestReason_Verdicts(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "a watchdog's notice that it will kill for memory is no kill",
			lines: []string{
				"[INFO] watchdog: will kill any test process above 4 GB of memory",
				"[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.2.5:test (default-test) on project app: There are test failures.",
			},
			wantReason: "There are test failures.",
		},
		{
			name: "a list line that says 'requires … but' is not Composer's",
			lines: []string{
				"- The build requires Node 18 but works on 16",
				"npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found",
			},
			wantReason: "404 Not Found - GET https://registry.npmjs.org/left-padd",
		},
		{
			name: "Groovy: a shared library's syntax error over the compiler's count, no header",
			lines: []string{
				"/var/jenkins/workspace/lib/vars/buildApp.groovy: 12: expecting ']', found 'stages' @ line 12, column 9.",
				"         stages: ['build', 'test'],",
				"         ^",
				"",
				"1 error",
			},
			wantReason: "buildApp.groovy: 12: expecting ']', found 'stages' @ line 12, column 9.",
		},
		{
			name: "Ginkgo: the failed spec over its summary header",
			lines: []string{
				"Summarizing 1 Failure:",
				"",
				"[Fail] [sig-node] Kubelet [It] should restart a crashed container ",
				"/go/src/k8s.io/kubernetes/test/e2e/node/kubelet.go:210",
				"",
				"Ran 42 of 300 Specs in 612.3 seconds",
				"SUCCESS! -- 42 Passed | 0 Failed | 0 Pending | 258 Skipped",
			},
			wantReason: "[Fail] [sig-node] Kubelet [It] should restart a crashed container",
		},
		{
			name: "JUnit: a bare AssertionError joined with the check past the framework's frames",
			lines: []string{
				"[ERROR] com.example.CartTest  Time elapsed: 0.2 s  <<< FAILURE!",
				"java.lang.AssertionError",
				"\tat org.junit.Assert.fail(Assert.java:86)",
				"\tat org.junit.Assert.assertTrue(Assert.java:41)",
				"\tat com.example.CartTest.appliesDiscount(CartTest.java:42)",
			},
			wantReason: "java.lang.AssertionError at com.example.CartTest.appliesDiscount(CartTest.java:42)",
		},
		{
			name: "an AssertionError with a message keeps its message",
			lines: []string{
				"java.lang.AssertionError: expected:<90> but was:<100>",
				"\tat org.junit.Assert.fail(Assert.java:89)",
				"\tat com.example.CartTest.appliesDiscount(CartTest.java:42)",
			},
			wantReason: "java.lang.AssertionError: expected:<90> but was:<100>",
		},
		{
			name: "npm ci: the lock file out of sync, with the first package it lacks",
			lines: []string{
				"npm error code EUSAGE",
				"npm error",
				"npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.",
				"npm error",
				"npm error Missing: left-pad@1.3.0 from lock file",
				"npm error Missing: right-pad@2.0.0 from lock file",
			},
			wantReason: "are in sync. Please update your lock file with `npm install` before continuing. Missing: left-pad@1.3.0 from lock file",
		},
		{
			name: "npm ci, untagged: the lock file's mismatch joined",
			lines: []string{
				"npm ci can only install packages when your package.json and package-lock.json are in sync",
				"Invalid: lock file's typescript@5.3.3 does not satisfy typescript@5.4.5",
			},
			wantReason: "are in sync Invalid: lock file's typescript@5.3.3 does not satisfy typescript@5.4.5",
		},
		{
			name: "CircleCI: no Docker daemon over the exit status and the shebang behind a prompt",
			lines: []string{
				"$ #!/bin/bash -eo pipefail",
				"docker build -t app .",
				"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
				"Exited with code exit status 1",
				"CircleCI received exit code 1",
			},
			wantReason: "Cannot connect to the Docker daemon",
		},
		{
			name: "a shebang behind a prompt is no failure line",
			lines: []string{
				"$ #!/bin/bash -eo pipefail",
				"make test",
				"make: *** [Makefile:12: test] Error 2",
			},
			wantReason: "make: *** [Makefile:12: test] Error 2",
		},
		{
			name: "CircleCI: the no-output verdict over Jest's note that it did not exit",
			lines: []string{
				"Tests:       12 passed, 12 total",
				"Jest did not exit one second after the test run has completed.",
				"",
				"This usually means that there are asynchronous operations that weren't stopped in your tests.",
				"Too long with no output (exceeded 15m0s): context deadline exceeded",
			},
			wantReason: "Too long with no output (exceeded 15m0s)",
		},
		{
			name: "GitLab: the job's time limit, a Go duration, over Jest's note",
			lines: []string{
				"Jest did not exit one second after the test run has completed.",
				"ERROR: Job failed: execution took longer than 1h0m0s seconds",
			},
			wantReason: "execution took longer than 1h0m0s",
		},
		{
			name: "a time limit as a Go duration over the error line before it",
			lines: []string{
				"error: step 'integration' did not finish",
				"the run exceeded 45m0s and was stopped",
			},
			wantReason: "the run exceeded 45m0s",
		},
		{
			name: "RSpec: the matcher's message right under a one-line header, over the example's title",
			lines: []string{
				"      stdout",
				"        should include \"orders-queue\" (FAILED - 1)",
				"",
				"Failures:",
				"",
				"  1) queue list stdout should include \"orders-queue\"",
				"     Failure/Error: raise failure",
				"       expected \"\" to include \"orders-queue\"",
				"     # ./spec/queue_spec.rb:12:in `block (2 levels) in <top (required)>'",
			},
			wantReason: "expected \"\" to include \"orders-queue\"",
		},
		{
			name: "RSpec: a double's complaint right under a one-line header, over the example's title",
			lines: []string{
				"    returns the display name (FAILED - 1)",
				"",
				"  1) Profile returns the display name",
				"     Failure/Error: profile.display_name",
				"       #<Double \"user\"> received unexpected message :nickname with (no args)",
				"     # ./spec/profile_spec.rb:21:in `block (2 levels) in <top (required)>'",
			},
			wantReason: "received unexpected message :nickname",
		},
		{
			name: "RSpec: an expectation on the header joined with the message that says what came",
			lines: []string{
				"  1) Tags lists the beta tag",
				"     Failure/Error: expect(tags).to include(\"beta\")",
				"       expected [\"alpha\", \"gamma\"] to include \"beta\"",
				"     # ./spec/tags_spec.rb:8:in `block (2 levels) in <top (required)>'",
			},
			wantReason: "expected [\"alpha\", \"gamma\"] to include \"beta\"",
		},
		{
			name: "RSpec: expected and got, under a blank line",
			lines: []string{
				"     Failure/Error: expect(cart.count).to eq(3)",
				"",
				"       expected: 3",
				"            got: 4",
				"",
				"       (compared using ==)",
			},
			wantReason: "expected: 3 got: 4",
		},
		{
			name: "RSpec: not_to is an expectation too",
			lines: []string{
				"     Failure/Error: expect(list).not_to be_empty",
				"       expected `[].empty?` to be falsey, got true",
			},
			wantReason: "Failure/Error: expect(list).not_to be_empty expected `[].empty?` to be falsey",
		},
		{
			name: "RSpec: the message right under multi-line code",
			lines: []string{
				"     Failure/Error:",
				"       expect {",
				"         post :create, params: { user: attrs }",
				"       }.to change(User, :count).by(1)",
				"       expected `User.count` to have changed by 1, but was changed by 0",
			},
			wantReason: "expected `User.count` to have changed by 1",
		},
		{
			name: "Minitest: the failure header over the diff under it",
			lines: []string{
				"  1) Failure:",
				"OrderTest#test_0002_totals the lines [test/order_test.rb:41]:",
				"--- expected",
				"+++ actual",
				"@@ -1 +1 @@",
				"-{:total=>3, :currency=>\"EUR\"}",
				"+{:total=>4, :currency=>\"EUR\"}",
			},
			wantReason: "OrderTest#test_0002_totals the lines [test/order_test.rb:41]:",
		},
		{
			name: "Minitest: Expected and Actual over the header",
			lines: []string{
				"OrderTest#test_0003_rounds [test/order_test.rb:52]:",
				"Expected: 3",
				"  Actual: 4",
			},
			wantReason: "Expected: 3 Actual: 4",
		},
		{
			name: "GitHub: an error annotation over the notice after it",
			lines: []string{
				"/usr/bin/git push --force origin gh-pages",
				"Error: The deploy step encountered an error: The process '/usr/bin/git' failed with exit code 128 ❌",
				"Notice: Deployment failed! ❌",
			},
			wantReason: "Error: The deploy step encountered an error",
		},
		{
			name: "GitHub: an error annotation after the notice",
			lines: []string{
				"Notice: Release failed",
				"Error: The process '/usr/bin/gh' failed with exit code 1",
			},
			wantReason: "Error: The process '/usr/bin/gh' failed",
		},
		{
			name: "Composer 1: the first problem row, not the satisfiable request, nor the summary",
			lines: []string{
				"Your requirements could not be resolved to an installable set of packages.",
				"",
				"  Problem 1",
				"    - Installation request for acme/widget v2.1.0 -> satisfiable by acme/widget[v2.1.0].",
				"    - acme/widget v2.1.0 requires composer-plugin-api ^1.1 -> no matching package found.",
			},
			wantReason: "acme/widget v2.1.0 requires composer-plugin-api ^1.1 -> no matching package found.",
		},
		{
			name: "Composer 2: a row that names a package found in no version",
			lines: []string{
				"Your requirements could not be resolved to an installable set of packages.",
				"",
				"  Problem 1",
				"    - Root composer.json requires acme/tools ^3.0, it could not be found in any version, there may be a typo in the package name.",
			},
			wantReason: "Root composer.json requires acme/tools ^3.0, it could not be found",
		},
		{
			name: "set -x: the command's error over the trace of the command",
			lines: []string{
				"+ die \"error: cannot read $CONFIG\"",
				"error: cannot read ./config.yml",
			},
			wantReason: "error: cannot read ./config.yml",
		},
		{
			name: "PowerShell: the error record's message over its quote of the statement",
			lines: []string{
				"09:14:02  Locating compiler...",
				"09:14:03  C:\\ci\\build.ps1 : cl.exe not found at C:\\Program Files",
				"09:14:03  (x86)\\Microsoft Visual Studio\\bin",
				"09:14:03  At C:\\ci\\build.ps1:31 char:9",
				"09:14:03  +         Write-Error \"cl.exe not found at $cl\"",
				"09:14:03  +         ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
				"09:14:03      + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException",
			},
			wantReason: "build.ps1 : cl.exe not found",
		},
		{
			name: "a kill that names memory over the bare Killed before it",
			lines: []string{
				"Killed",
				"Command killed due to excessive memory consumption",
			},
			wantReason: "Command killed due to excessive memory consumption",
		},
		{
			name: "the shell's Killed with a job number, then the scheduler's memory verdict",
			lines: []string{
				"./run.sh: line 3:   812 Killed                  python train.py",
				"Container killed by the scheduler for exceeding its memory limit",
			},
			wantReason: "Container killed by the scheduler",
		},
		{
			name: "dotnet test: the blame's hang timeout over the crash it caused",
			lines: []string{
				"Error: The active test run was aborted. Reason: Test host process crashed",
				"Data collector 'Blame' message: The specified inactivity time of 5 minutes has elapsed. Collecting hang dumps from testhost and its child processes.",
			},
			wantReason: "inactivity time of 5 minutes has elapsed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}
