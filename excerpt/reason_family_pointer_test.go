package excerpt

import "testing"

// TestReason_PointerFamilies holds the reason to the tool's own line in the
// ways tools print a failure with a pointer, a summary or an effect
// around it: the pointer to a debug log, a runner's summary over the test
// it lists, a process killed by a signal under the status it exited with.
// The logs are written for the test, in each tool's format.
func TestReason_PointerFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "npm 6: the error over the debug log's path",
			lines: []string{
				"npm ERR! Invalid Version: link:../common",
				"",
				"npm ERR! A complete log of this run can be found in:",
				"npm ERR!     /home/runner/.npm/_logs/2021-03-02T10_11_12_345Z-debug.log",
			},
			wantReason: "Invalid Version: link:../common",
		},
		{
			name: "npm on Windows: the error over the debug log's path",
			lines: []string{
				"npm ERR! Maximum call stack size exceeded",
				"",
				"npm ERR! A complete log of this run can be found in:",
				`npm ERR!     C:\Users\runneradmin\AppData\Roaming\npm-cache\_logs\2021-03-02T10_11_12_345Z-debug.log`,
			},
			wantReason: "Maximum call stack size exceeded",
		},
		{
			// A log copied from GitHub's web view carries its line
			// anchors as links, which make the path look specific.
			name: "npm, pasted from the web view: the error over the debug log's path",
			lines: []string{
				"npm ERR! Invalid Version: link:../common",
				"",
				"npm ERR! A complete log of this run can be found in:",
				"npm ERR!     /home/runner/.npm/_logs/[2](https://github.com/o/r/actions/runs/1/jobs/2#step:4:2)021-03-02T10_11_12_345Z-debug.log",
			},
			wantReason: "Invalid Version: link:../common",
		},
		{
			name: "a build's pointer to its log after the error",
			lines: []string{
				"error: linking with cc failed",
				"error: /home/runner/work/app/target/debug/build/app-1f2e/output.log",
			},
			wantReason: "linking with cc failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_SummaryFamilies holds the reason to the test a runner's
// summary lists under it (or above it): Surefire's per-class count over
// the test's row, CTest's count over its list of failed tests. The logs
// are written for the test, in each runner's format.
func TestReason_SummaryFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "Surefire 3: the test's row over the class's count",
			lines: []string{
				"[INFO] Running org.acme.store.CartIT",
				"[ERROR] Tests run: 4, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 12.1 s <<< FAILURE! -- in org.acme.store.CartIT",
				"[ERROR] org.acme.store.CartIT.checkoutTotals -- Time elapsed: 3.2 s <<< ERROR!",
				"java.net.ConnectException: Connection refused",
				"\tat java.base/sun.nio.ch.Net.connect0(Native Method)",
				"[INFO]",
				"[INFO] Results:",
				"[INFO]",
				"[ERROR] Errors: ",
				"[ERROR]   CartIT.checkoutTotals:88->connect:41 » Connect Connection refused",
			},
			wantReason: "Connection refused",
		},
		{
			name: "Surefire 3 under GitHub's annotation: the test's row over the class's count",
			lines: []string{
				"Error:  Tests run: 9, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.8 s <<< FAILURE! -- in org.acme.PriceTest",
				"Error:  org.acme.PriceTest.roundsHalfUp -- Time elapsed: 0.01 s <<< FAILURE!",
				"org.opentest4j.AssertionFailedError: expected: <2.50> but was: <2.49>",
			},
			wantReason: "expected: <2.50> but was: <2.49>",
		},
		{
			name: "CTest: the failed test's row over the count",
			lines: []string{
				"      Start 12: codec_roundtrip",
				"12/14 Test #12: codec_roundtrip ..................***Failed    0.21 sec",
				"",
				"93% tests passed, 1 tests failed out of 14",
				"",
				"Total Test time (real) =   3.02 sec",
				"",
				"The following tests FAILED:",
				"\t 12 - codec_roundtrip (Failed)",
				"Errors while running CTest",
			},
			wantReason: "12 - codec_roundtrip (Failed)",
		},
		{
			name: "CTest, cut to its summary: a timed-out test's row",
			lines: []string{
				"98% tests passed, 1 tests failed out of 50",
				"",
				"The following tests FAILED:",
				"\t 31 - http2_streams (Timeout)",
				"Errors while running CTest",
			},
			wantReason: "31 - http2_streams (Timeout)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_EffectFamilies holds the reason to the line that names the
// cause, not the effect a tool reports around it: Gradle's task failure
// over its last "> " link, a bare exit status over the signal that killed
// the process. The logs are written for the test, in each tool's format.
func TestReason_EffectFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "Gradle, cut without its header: the test executor's exit over the task's failure",
			lines: []string{
				"Execution failed for task ':core:integrationTest'.",
				"> Process 'Gradle Test Executor 7' finished with non-zero exit value 134",
				"  This problem might be caused by incorrect test process configuration.",
			},
			wantReason: "Gradle Test Executor 7' finished with non-zero exit value 134",
		},
		{
			name: "go test: the test's header and message over a log line the program printed",
			lines: []string{
				"2023/04/01 09:15:02 listener: Failed to accept conn: accept tcp 127.0.0.1:40211: use of closed network connection",
				"",
				"--- FAIL: TestDialRetries (0.02s)",
				"",
				"    dial_test.go:58: expected 3 attempts, got 1",
				"FAIL",
				"FAIL\texample.org/net/dial\t0.051s",
			},
			wantReason: "dial_test.go:58: expected 3 attempts, got 1",
		},
		{
			name: "go test: a test that only logged keeps the earlier error",
			lines: []string{
				"2023/04/01 09:15:02 error: migrate: relation \"users\" already exists",
				"--- FAIL: TestMigrate (0.02s)",
				"    migrate_test.go:21: starting migration 0004",
				"FAIL",
			},
			wantReason: "relation \"users\" already exists",
		},
		{
			name: "RSpec, cut below its Failure/Error: the exception's class with its message",
			lines: []string{
				"",
				"     ActiveRecord::RecordNotFound:",
				"       Couldn't find Invoice with 'id'=42",
				"     # ./app/controllers/invoices_controller.rb:12:in `show'",
			},
			wantReason: "ActiveRecord::RecordNotFound: Couldn't find Invoice",
		},
		{
			name: "Gradle with its header: the same",
			lines: []string{
				"FAILURE: Build failed with an exception.",
				"",
				"* What went wrong:",
				"Execution failed for task ':app:test'.",
				"> Process 'Gradle Test Executor 2' finished with non-zero exit value 1",
			},
			wantReason: "Gradle Test Executor 2' finished with non-zero exit value 1",
		},
		{
			name: "xargs: the signal that killed the program over the exit status",
			lines: []string{
				"find tests -name '*.in' | xargs -n1 ./build/bin/parse",
				"xargs: ./build/bin/parse: terminated by signal 9",
				"Error: Process completed with exit code 125.",
			},
			wantReason: "terminated by signal 9",
		},
		{
			name: "GNU time: the signal over make's error",
			lines: []string{
				"Command terminated by signal 11",
				"make: *** [Makefile:40: check] Error 1",
			},
			wantReason: "Command terminated by signal 11",
		},
		{
			name: "SIGPIPE is no cause: the test's failure stays the reason",
			lines: []string{
				"error: schema check: 3 tables differ from migrations",
				"xargs: head: terminated by signal 13",
				"Error: Process completed with exit code 1.",
			},
			wantReason: "3 tables differ from migrations",
		},
		{
			name: "git over HTTP: the server's failed answer over the cd that failed after it",
			lines: []string{
				"Cloning into '/builds/acme/shop'...",
				"fatal: unable to access 'https://gitlab.example.com/acme/shop.git/': The requested URL returned error: 502",
				"/bin/bash: line 91: cd: /builds/acme/shop: No such file or directory",
				"ERROR: Job failed: exit code 1",
			},
			wantReason: "The requested URL returned error: 502",
		},
		{
			name: "git fetch: the server's failed answer over the remote's hang-up",
			lines: []string{
				"error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500",
				"fatal: the remote end hung up unexpectedly",
				"Error: The process '/usr/bin/git' failed with exit code 128",
			},
			wantReason: "The requested URL returned error: 500",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}
