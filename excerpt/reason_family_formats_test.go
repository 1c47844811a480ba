package excerpt

import (
	"strings"
	"testing"
)

// TestReason_FixedFormatFamilies holds the reason to a tool's own message in
// the format the tool always prints it: a Gradle test's heading with the
// exception under it, Bundler's wrapped platform message, PowerShell's
// cmdlet error record, cargo's last retry warning. The logs are written
// for the test.
func TestReason_FixedFormatFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "Gradle: the failed test's heading joined with the assertion under it",
			lines: []string{
				"> Task :core:test",
				"org.example.parser.TokenizerTest > splitsQuotedWords FAILED",
				"    java.lang.AssertionError: expected:<3> but was:<2>",
				"        at org.junit.Assert.fail(Assert.java:89)",
				"        at org.example.parser.TokenizerTest.splitsQuotedWords(TokenizerTest.java:41)",
				"12 tests completed, 1 failed",
				"> Task :core:test FAILED",
			},
			wantReason: "org.example.parser.TokenizerTest > splitsQuotedWords FAILED java.lang.AssertionError: expected:<3> but was:<2>",
		},
		{
			name: "Gradle: a bare exception under the heading says which test with it",
			lines: []string{
				"org.example.cache.LruCacheTest > evictsOldestEntry FAILED",
				"    java.lang.AssertionError",
				"8 tests completed, 1 failed",
			},
			wantReason: "org.example.cache.LruCacheTest > evictsOldestEntry FAILED java.lang.AssertionError",
		},
		{
			name: "Bundler: the platform message wrapped at 'your local', joined with the next line",
			lines: []string{
				"Your bundle only supports platforms [\"arm64-darwin-23\"] but your local",
				"platform is x86_64-linux. Add the current platform to the lockfile with",
				"`bundle lock --add-platform x86_64-linux` and try again.",
				"Error: The process '/opt/hostedtoolcache/Ruby/3.3.0/x64/bin/bundle' failed with exit code 16",
			},
			wantReason: "Your bundle only supports platforms [\"arm64-darwin-23\"] but your local platform is x86_64-linux.",
		},
		{
			name: "PowerShell 7: the cmdlet's error over the step's exit status",
			lines: []string{
				"Install-Module: No match was found for the specified search criteria and module name 'Pester-Extras'.",
				"Try Get-PSRepository to see all available registered module repositories.",
				"##[error]Process completed with exit code 1.",
			},
			wantReason: "Install-Module: No match was found for the specified search criteria and module name 'Pester-Extras'.",
		},
		{
			name: "cargo: the last retry warning says why the download failed",
			lines: []string{
				"    Updating crates.io index",
				"warning: spurious network error (2 tries remaining): [35] SSL connect error (OpenSSL SSL_connect: SSL_ERROR_SYSCALL)",
				"warning: spurious network error (1 tries remaining): [35] SSL connect error (OpenSSL SSL_connect: Connection reset by peer)",
				"error: failed to download `regex v1.10.2`",
				"",
				"Caused by:",
				"  failed to download from https://static.crates.io/crates/regex/1.10.2/download",
			},
			wantReason: "warning: spurious network error (1 tries remaining): [35] SSL connect error (OpenSSL SSL_connect: Connection reset by peer)",
		},
		{
			name: "flutter analyze failing on infos: the first info row, not the exit line",
			lines: []string{
				"flutter analyze --fatal-infos",
				"Analyzing weather_app...",
				"",
				"   info • Avoid `print` calls in production code • lib/src/api/forecast_client.dart:58:5 • avoid_print",
				"   info • Prefer const with constant constructors • lib/src/ui/home_page.dart:21:12 • prefer_const_constructors",
				"",
				"2 issues found. (ran in 9.4s)",
				"failed with exit code 1",
			},
			wantReason: "info • Avoid `print` calls in production code • lib/src/api/forecast_client.dart:58:5 • avoid_print",
		},
		{
			name: "flutter analyze's error row over its info rows and the script's summary after them",
			lines: []string{
				"   info • Prefer const with constant constructors • lib/src/ui/home_page.dart:21:12 • prefer_const_constructors",
				"  error • The argument type 'int' can't be assigned to the parameter type 'String' • lib/src/api/forecast_client.dart:40:9 • argument_type_not_assignable",
				"",
				"2 issues found. (ran in 6.1s)",
				"ERROR: analyze reported 2 issues",
			},
			wantReason: "error • The argument type 'int' can't be assigned to the parameter type 'String' • lib/src/api/forecast_client.dart:40:9",
		},
		{
			name: "npm's message pasted in markdown bold, over its E404 code",
			lines: []string{
				"$ npm ci",
				"npm ERR! code E404",
				"**npm ERR! 404 Not Found: left-padder@0.3.1**",
				"npm ERR! A complete log of this run can be found in:",
				"npm ERR!     /home/travis/.npm/_logs/2019-03-02T10_11_12_000Z-debug.log",
			},
			wantReason: "npm ERR! 404 Not Found: left-padder@0.3.1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestReason_FixedFormatFamiliesStayNarrow keeps the families to their
// tools' formats: a heading not a Gradle test's joins nothing, a word with
// a hyphen that is no cmdlet is no error, an exception too long to join
// whole stays alone.
func TestReason_FixedFormatFamiliesStayNarrow(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string
		notReason  string
	}{
		{
			name: "a schedule's 'Mon-Fri: …' line is no cmdlet error",
			lines: []string{
				"Mon-Fri: nightly window opens at 02:00",
				"error: deploy window closed for service billing-api",
			},
			wantReason: "error: deploy window closed for service billing-api",
			notReason:  "Mon-Fri",
		},
		{
			name: "a FAILED line that is no Gradle test heading is not joined",
			lines: []string{
				"Step 3 of 5 FAILED",
				"    error: checksum mismatch for artifact bundle.tar.gz",
			},
			wantReason: "error: checksum mismatch for artifact bundle.tar.gz",
			notReason:  "Step 3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extract(t, strings.Join(tt.lines, "\n")+"\n", Options{}).Reason
			if !strings.Contains(got, tt.wantReason) || strings.Contains(got, tt.notReason) {
				t.Errorf("reason = %q, want it to hold %q and not %q", got, tt.wantReason, tt.notReason)
			}
		})
	}
}
