package excerpt

import "testing"

// TestReason_Signals holds the reason to causes a tool words as a warning
// or a time report (a server's failed answer, a time limit, a full disk
// named next to the runner's diagnostics), to programs that could not be
// loaded, to lock files out of sync with their manifest, and to TAP's
// failing results. The logs are written for the test.
func TestReason_Signals(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "a download's 502 warned of before the fetch error it broke",
			lines: []string{
				"WARNING: Download from https://mirror.example.org/rules_foo-1.2.tar.gz failed: class java.io.IOException GET returned 502 Bad Gateway",
				"ERROR: An error occurred during the fetch of repository 'rules_foo':",
				"   Traceback (most recent call last):",
				`	File "/cache/external/tools/http.bzl", line 131, column 45, in _impl`,
			},
			wantReason: "GET returned 502 Bad Gateway",
		},
		{
			name: "an uploader's logged 500 over its retry notices and traceback",
			lines: []string{
				"warning - 2025-01-02 10:00:00,001 -- Response status code was 500. --- {\"retry\": 0}",
				"warning - 2025-01-02 10:00:00,002 -- Request failed. Retrying --- {\"retry\": 0}",
				"Traceback (most recent call last):",
				`  File "uploader/main.py", line 12, in <module>`,
			},
			wantReason: "Response status code was 500",
		},
		{
			name: "a cache service's 503 in a GitHub warning over the error that follows it",
			lines: []string{
				"##[warning]uploadChunk (start: 0, end: 1023) failed: Cache service responded with 503",
				"Error: Cache upload failed because the stream was closed",
			},
			wantReason: "Cache service responded with 503",
		},
		{
			name: "Maven: the server's status at the end of the wrapped resolution error",
			lines: []string{
				"[ERROR] Failed to execute goal on project shop: Could not resolve dependencies for project org.example:shop:jar:2.0: ",
				"Failed to collect dependencies at org.example:client:jar:1.4: ",
				"Could not transfer artifact org.example:client:pom:1.4 from/to internal (https://repo.example.org/releases): ",
				"Return code is: 503 , ReasonPhrase:Service Unavailable.",
			},
			wantReason: "Return code is: 503",
		},
		{
			name: "a cache service's 503 after a failed test's assertion leaves the assertion the reason",
			lines: []string{
				"AssertionError: expected 3 to equal 4",
				"",
				"##[warning]Failed to save: Cache service responded with 503",
			},
			wantReason: "AssertionError: expected 3 to equal 4",
		},
		{
			name: "a retried warning that names no server status stays context",
			lines: []string{
				"warning: Request to https://pkgs.example.org failed. Retrying",
				"error: could not download pkg-1.0.tgz: connection reset by peer",
			},
			wantReason: "could not download pkg-1.0.tgz",
		},
		{
			name: "a CI's time limit over the advice under it",
			lines: []string{
				"The job exceeded the maximum time limit for jobs, and has been terminated.",
				"",
				"One way to fix this is to cache your dependencies.",
			},
			wantReason: "exceeded the maximum time limit",
		},
		{
			name: "a test helper's start-up wait over the exit status",
			lines: []string{
				"Starting preview server on :4000",
				"Server has taken more than 30000ms to start.",
				"Error: Process completed with exit code 1.",
			},
			wantReason: "Server has taken more than 30000ms to start.",
		},
		{
			name: "a full disk named next to the runner's diagnostics path",
			lines: []string{
				"Unhandled exception. System.IO.IOException: No space left on device : '/runner/_diag/Worker_20250101-000000-utc.log'",
				"   at System.IO.RandomAccess.WriteAtOffset(SafeFileHandle handle)",
				"Exiting with unknown error code: 134",
			},
			wantReason: "No space left on device",
		},
		{
			name: "macOS: the library dyld could not load over the paths it tried",
			lines: []string{
				"dyld[812]: Library not loaded: '/opt/homebrew/opt/openssl@3/lib/libssl.3.dylib'",
				"  Referenced from: '/usr/local/bin/ruby'",
				"  Reason: tried: '/opt/homebrew/opt/openssl@3/lib/libssl.3.dylib' (no such file)",
			},
			wantReason: "Library not loaded",
		},
		{
			name: "Linux: the shared library the loader could not open over the build summary",
			lines: []string{
				"Build failed.",
				"./bin/protoc: error while loading shared libraries: libprotobuf.so.32: cannot open shared object file: No such file or directory",
			},
			wantReason: "error while loading shared libraries",
		},
		{
			name: "a compiler driver that could not run its linker over the package summary",
			lines: []string{
				"Failed to build my-lib-0.1.",
				"Building library for my-lib-0.1..",
				"cc: could not execute: /opt/toolchain/bin/ld.gold",
			},
			wantReason: "could not execute: /opt/toolchain/bin/ld.gold",
		},
		{
			name: "yarn: the frozen lock file over the exit status",
			lines: []string{
				"[1/4] Resolving packages...",
				"Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.",
				"error Command failed with exit code 1.",
			},
			wantReason: "Your lockfile needs to be updated",
		},
		{
			name: "cargo: --locked with a stale Cargo.lock",
			lines: []string{
				"    Updating crates.io index",
				"the lock file /src/Cargo.lock needs to be updated but --locked was passed to prevent this",
			},
			wantReason: "needs to be updated but --locked was passed",
		},
		{
			name: "TAP: the failing result's message over the counts",
			lines: []string{
				"    # Subtest: cleanup",
				"        not ok 1 - EPERM: operation not permitted, unlink 'C:\\tmp\\cache.db'",
				"        1..1",
				"        # failed 1 test",
				"    not ok 4 - cleanup # time=12ms",
				"    # failed 1 of 4 tests",
			},
			wantReason: "EPERM: operation not permitted",
		},
		{
			name: "Julia: the unsatisfiable package over the resolver's log tree",
			lines: []string{
				"Unsatisfiable requirements detected for package JSON3 [0f8b85d8]:",
				" JSON3 [0f8b85d8] log:",
				" ├─possible versions are: 1.0.0 - 1.14.0 or uninstalled",
				" └─restricted to versions 0.1 by project — no versions left",
			},
			wantReason: "Unsatisfiable requirements detected for package JSON3",
		},
		{
			name: "Poetry: no installable candidate over the advice under it",
			lines: []string{
				"  | Unable to find installation candidates for numpy (2.1.0)",
				"  |",
				"  | Solutions:",
				"  | If neither works, please check that numpy publishes wheels for this platform.",
			},
			wantReason: "Unable to find installation candidates for numpy (2.1.0)",
		},
		{
			name: "pip: no matching distribution over the CI's script wrapper",
			lines: []string{
				"Collecting requests==9.9.9 (from -r requirements.txt (line 3))",
				"No matching distribution found for requests==9.9.9 (from -r requirements.txt (line 3))",
				"pip install failed with error: hudson.AbortException: script returned exit code 1",
			},
			wantReason: "No matching distribution found for requests==9.9.9",
		},
		{
			name: "Dart pub: the solver's conclusion over the exit status",
			lines: []string{
				"Because app depends on http ^2.0.0 which doesn't match any versions, version solving failed.",
				"Error: Process completed with exit code 1.",
			},
			wantReason: "version solving failed",
		},
		{
			name: "apt: the unmet dependency over the resolver's summary",
			lines: []string{
				"The following packages have unmet dependencies:",
				" docker-ce : Depends: containerd.io (>= 1.6.4) but it is not going to be installed",
				"E: Unable to correct problems, you have held broken packages.",
			},
			wantReason: "docker-ce : Depends: containerd.io (>= 1.6.4)",
		},
		{
			name: "a passing run's retried test over its zero-failure summary",
			lines: []string{
				"....",
				"RSpec::Retry: 2nd try ./spec/features/login_spec.rb:31",
				"......",
				"Finished in 12.1 seconds (files took 1.2 seconds to load)",
				"120 examples, 0 failures",
			},
			wantReason: "RSpec::Retry: 2nd try ./spec/features/login_spec.rb:31",
		},
		{
			name: "pytest-rerunfailures: the rerun test over the passing summary",
			lines: []string{
				"tests/test_queue.py::test_drain RERUN                                     [ 50%]",
				"tests/test_queue.py::test_drain PASSED                                    [ 50%]",
				"========================= 2 passed, 1 rerun in 3.02s =========================",
			},
			wantReason: "tests/test_queue.py::test_drain RERUN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}
