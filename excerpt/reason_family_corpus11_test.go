package excerpt

import (
	"fmt"
	"testing"
)

// TestReason_Corpus11Families holds the reason to the line that says why,
// for the families found on corpus11's misses: a tool's own deadline
// (golangci-lint, CPython's faulthandler), apt's bare checksum verdict,
// conda's solver row, a coverage service's 5xx, a JVM assertion whose
// report printed "null" for its missing message, Twisted trial's marker,
// yarn berry's lockfile refusal and GitLab's configuration errors under
// their header; and the narrow edges review found: a fractional
// faulthandler timeout, a tool's own "Failed to fetch" line, Ant's Ivy
// rows. The logs are written for the test.
func TestReason_Corpus11Families(t *testing.T) {
	tests := []reasonCase{
		{
			name: "golangci-lint: its deadline over its exit code",
			lines: []string{
				"Running [/home/runner/golangci-lint-1.55.2-linux-amd64/golangci-lint run --out-format=github-actions] in [] ...",
				`level=error msg="Timeout exceeded: try increasing it by passing --timeout option"`,
				"Error: golangci-lint exit with code 4",
			},
			wantReason: "Timeout exceeded: try increasing it by passing --timeout option",
		},
		{
			name: "CPython's regrtest: faulthandler's timeout over the test's name and the frames",
			lines: []string{
				"test_connect (test.test_net.NetTests.test_connect) ...",
				"",
				"Timeout (0:20:00)!",
				"Thread 0x0000000206e4ec40 (most recent call first):",
				`  File "/build/Lib/socket.py", line 840 in create_connection`,
			},
			wantReason: "Timeout (0:20:00)!",
		},
		{
			name: "apt: the checksum verdict alone on its line",
			lines: []string{
				"Err:5 http://archive.example.org/ubuntu jammy/main amd64 Packages",
				"  Hash Sum mismatch",
				"  Hashes of received file:",
				"   SHA256:0bd7fdc5b1a4d3c2",
			},
			wantReason: "Hash Sum mismatch",
		},
		{
			name: "conda: the solver's row under its header",
			lines: []string{
				"Could not solve for environment specs",
				"The reported errors are:",
				"- - nothing provides requested requests-mock >=9.9.0",
			},
			wantReason: "nothing provides requested requests-mock >=9.9.0",
		},
		{
			name: "a coverage service's 5xx over the body it answered",
			lines: []string{
				`{"message":"Build processing error.","error":true,"url":""}`,
				"bad response status from coveralls: 502",
			},
			wantReason: "bad response status from coveralls: 502",
		},
		{
			name: "a JVM assertion reported with a null message: joined with the test's frame",
			lines: []string{
				"java.lang.AssertionError: null",
				"\tat org.junit.Assert.fail(Assert.java:86)",
				"\tat org.junit.Assert.assertTrue(Assert.java:41)",
				"\tat com.example.QueueTest.drainsInOrder(QueueTest.java:77)",
			},
			wantReason: "java.lang.AssertionError: null at com.example.QueueTest.drainsInOrder(QueueTest.java:77)",
		},
		{
			name: "Twisted trial: the exception, not the marker over its traceback",
			lines: []string{
				"[FAIL]",
				"Traceback (most recent call last):",
				`  File "/build/twisted/test/test_pool.py", line 88, in test_grow`,
				"    self.assertEqual(4, len(workers))",
				"twisted.trial.unittest.FailTest: not equal:",
				"a = 4",
				"b = 2",
			},
			wantReason: "twisted.trial.unittest.FailTest: not equal:",
		},
		{
			name: "yarn berry: YN0028's refusal over the step's later error",
			lines: []string{
				"➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden.",
				"➤ YN0000: · Failed with errors in 6s 829ms",
				"ERROR: build artifact not found at /home/dev/app/target/app.json",
			},
			wantReason: "The lockfile would have been modified by this install",
		},
		{
			name: "GitLab: the configuration's error under its header",
			lines: []string{
				"Found errors in your .gitlab-ci.yml:",
				"deploy job: undefined need: build-image",
				"You can also test your .gitlab-ci.yml in CI Lint",
			},
			wantReason: "deploy job: undefined need: build-image",
		},
		{
			name: "CPython's faulthandler with a fractional timeout",
			lines: []string{
				"test_wait (test.test_thread.WaitTests.test_wait) ...",
				"Timeout (0:00:02.500000)!",
				"Thread 0x00007f1e2b7fe700 (most recent call first):",
			},
			wantReason: "Timeout (0:00:02.500000)!",
		},
		{
			name: "a tool's own 'Failed to fetch' is no apt row: the assertion stays the reason",
			lines: []string{
				"Failed to fetch version info from https://api.example.org/v1/version (HTTP 403), continuing with cached version",
				"FAIL: test_sync (tests.test_sync.SyncTests.test_sync)",
				"AssertionError: 3 != 4",
			},
			wantReason: "AssertionError: 3 != 4",
		},
		{
			name: "Ant+Ivy: the unresolved module's row under its task's tag",
			lines: []string{
				"[ivy:retrieve] 		::::::::::::::::::::::::::::::::::::::::::::::",
				"[ivy:retrieve] 		::          UNRESOLVED DEPENDENCIES         ::",
				"[ivy:retrieve] 		:: org.example#widgets;2.1.0: not found",
				"BUILD FAILED",
			},
			wantReason: ":: org.example#widgets;2.1.0: not found",
		},
	}
	runReasonCases(t, tests)
}

// TestReason_GoPackageSummaryIsGeneric: go test's per-package "FAIL\tpkg\t0.5s"
// only sums up; when a long run scrolled the failing test out of the kept
// tail, the test's own line, kept among the earlier error lines, is the
// reason, not the package's summary.
func TestReason_GoPackageSummaryIsGeneric(t *testing.T) {
	lines := []string{"Run go test ./...", "--- FAIL: TestParse (0.01s)", "    parse_test.go:42: expected 3, got 4"}
	for i := range 5000 {
		lines = append(lines, fmt.Sprintf("ok  \tgithub.com/acme/pkg/sub%d\t0.123s", i))
	}
	lines = append(lines, "FAIL\tgithub.com/acme/pkg\t0.5s", "Error: Process completed with exit code 1.")
	checkReason(t, lines, "--- FAIL: TestParse", nil)
}
