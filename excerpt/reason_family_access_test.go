package excerpt

import "testing"

// TestReason_MissingCredentials holds the reason to the line that says the
// job had no credentials, over the exit status, the HTTP status and the
// misleading "not in the registry" a tool prints after it. The logs are
// written for the test.
func TestReason_MissingCredentials(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "AWS CLI: no credentials, then its exit status",
			lines: []string{
				"$ aws s3 sync ./site s3://example-bucket/docs",
				"Unable to locate credentials. You can configure credentials by running \"aws configure\".",
				"",
				"Exited with code exit status 255",
			},
			wantReason: "Unable to locate credentials",
		},
		{
			name: "AWS CLI: no credentials in a script that goes on",
			lines: []string{
				"Uploading the bundle...",
				"Unable to locate credentials. You can configure credentials by running \"aws configure\".",
				"Cleaning up.",
			},
			wantReason: "Unable to locate credentials",
		},
		{
			name: "npm publish: not logged in, over its 401 and its 404",
			lines: []string{
				"npm ERR! publish Failed PUT 401",
				"npm ERR! code E401",
				"npm ERR! 404 You must be logged in to publish packages. : my-widget",
				"npm ERR! 404 ",
				"npm ERR! 404  'my-widget' is not in the npm registry.",
			},
			wantReason: "You must be logged in to publish packages",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_CancelledByTimeLimit holds the reason to a CI system's time
// limit over the cancellation it caused, printed first. The logs are
// written for the test.
func TestReason_CancelledByTimeLimit(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "Azure Pipelines: the execution-time limit after the cancellation",
			lines: []string{
				"Running integration tests...",
				"##[error]The operation was canceled.",
				"##[error]The job running on agent build-07 has exceeded the maximum execution time of 60.",
			},
			wantReason: "has exceeded the maximum execution time of 60",
		},
		{
			name: "Azure Pipelines, unmarked: the allowed time after the cancellation",
			lines: []string{
				"Compiling 412 files",
				"The operation was canceled.",
				"The job running on runner hosted-3 exceeded the maximum allowed time of 360 minutes.",
			},
			wantReason: "exceeded the maximum allowed time of 360 minutes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_RustUnwrapValue holds the reason to the error a Rust unwrap
// held when the panic prints it on its own line under the message. The
// logs are written for the test.
func TestReason_RustUnwrapValue(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "an io error under the unwrap's message",
			lines: []string{
				"   Running target/debug/watcher",
				"thread 'fs/watch' panicked at src/watch.rs:88:31:",
				"called `Result::unwrap()` on an `Err` value:",
				"Custom { kind: InvalidData, error: \"stream did not contain valid UTF-8\" }",
				"note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
			},
			wantReason: "called `Result::unwrap()` on an `Err` value: Custom { kind: InvalidData",
		},
		{
			name: "the Ok an unwrap_err found",
			lines: []string{
				"thread 'parse::rejects_empty' panicked at tests/parse.rs:12:40:",
				"called `Result::unwrap_err()` on an `Ok` value:",
				"Config { name: \"\", jobs: 4 }",
				"test parse::rejects_empty ... FAILED",
			},
			wantReason: "on an `Ok` value: Config { name:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_MarkedHeaderMessage holds the reason to the message a
// ##[error] header announces with its colon, printed unmarked on the next
// lines of the step. The logs are written for the test.
func TestReason_MarkedHeaderMessage(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "R: a vignette's diagnostics under the marked error",
			lines: []string{
				"Quitting from lines 12-20 (intro.Rmd)",
				"##[error]Error: processing vignette 'intro.Rmd' failed with diagnostics:",
				"could not resolve host: data.example.org",
				"--- failed re-building 'intro.Rmd'",
			},
			wantReason: "failed with diagnostics: could not resolve host: data.example.org",
		},
		{
			name: "a script's marked header over the reason it lists",
			lines: []string{
				"Checking the release notes",
				"##[error]Release check failed for these reasons:",
				"CHANGELOG.md has no entry for version 2.4.0",
				"",
			},
			wantReason: "CHANGELOG.md has no entry for version 2.4.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_StampedGradleChain holds the reason to the deepest link of a
// Gradle cause chain when a clock stands before every line (Jenkins'
// timestamper). The logs are written for the test.
func TestReason_StampedGradleChain(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "a plugin's requirement under the plugin that failed to apply",
			lines: []string{
				"10:02:11 FAILURE: Build failed with an exception.",
				"10:02:11 ",
				"10:02:11 * What went wrong:",
				"10:02:11 An exception occurred applying plugin request [id: 'org.example.lint']",
				"10:02:11  > Failed to apply plugin 'org.example.lint'.",
				"10:02:11     > The lint plugin requires Gradle 8.4 or newer. This build uses Gradle 7.6.",
				"10:02:11 ",
				"10:02:11 * Try:",
			},
			wantReason: "requires Gradle 8.4 or newer",
		},
		{
			name: "a missing artifact under the configuration that could not resolve",
			lines: []string{
				"[14:30:05] * What went wrong:",
				"[14:30:05] Execution failed for task ':app:compileJava'.",
				"[14:30:05]  > Could not resolve all files for configuration ':app:compileClasspath'.",
				"[14:30:05]     > Could not find org.example:widgets:3.1.0.",
				"[14:30:05] ",
			},
			wantReason: "Could not find org.example:widgets:3.1.0.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_MissingSharedLibrary holds the reason to the loader's missing
// shared library over the error a wrapper prints after the tool printed
// nothing. The logs are written for the test.
func TestReason_MissingSharedLibrary(t *testing.T) {
	checkReason(t, []string{
		"Running linter --format=json src/",
		"/opt/tools/linter/2.1/bin/linter: error while loading shared libraries: libncurses.so.5: cannot open shared object file: No such file or directory",
		"linter exited with status 127",
		"Error: SyntaxError: Unexpected end of JSON input",
	}, "libncurses.so.5: cannot open shared object file", nil)
}

// TestReason_GitTransportFailure holds the reason to git's "RPC failed"
// over the errors the broken transfer causes after it. The logs are
// written for the test.
func TestReason_GitTransportFailure(t *testing.T) {
	checkReason(t, []string{
		"Fetching origin",
		"error: RPC failed; curl 18 transfer closed with outstanding read data remaining",
		"error: 4410 bytes of body are still expected",
		"fatal: early EOF",
		"fatal: fetch-pack: invalid index-pack output",
	}, "RPC failed; curl 18", nil)
}
