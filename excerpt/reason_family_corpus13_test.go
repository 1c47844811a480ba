package excerpt

import (
	"strings"
	"testing"
)

// TestReason_Corpus13Families holds the reason to the line that says why,
// for the families found on corpus13's misses: git's own error under the
// Jenkins Git plugin's "Error cloning remote repo" and its exception;
// meson test's TIMEOUT and FAIL rows, never its zero counts; GHC's
// diagnostic header joined with its message; ExUnit's assertion header
// joined with its code (the values compared are context). And the edges
// around them: a plugin exception that says why itself, GHC's next part
// of a message, an ExUnit value over several lines. The logs are written
// for the test.
func TestReason_Corpus13Families(t *testing.T) {
	tests := []reasonCase{
		{
			name: "Jenkins Git: git's error under the clone's ERROR and the command's exception",
			lines: []string{
				" > git fetch --tags --force --progress -- https://git.example.org/r/core $GERRIT_REFSPEC # timeout=10",
				"ERROR: Error cloning remote repo 'origin'",
				`hudson.plugins.git.GitException: Command "git fetch --tags --force --progress -- https://git.example.org/r/core $GERRIT_REFSPEC" returned status code 128:`,
				"stdout: ",
				"stderr: fatal: unable to access 'https://git.example.org/r/core/': Failed to connect to git.example.org port 443 after 130104 ms: Couldn't connect to server",
				"",
				"\tat org.jenkinsci.plugins.gitclient.CliGitAPIImpl.launchCommandIn(CliGitAPIImpl.java:2734)",
				"\tat org.jenkinsci.plugins.gitclient.CliGitAPIImpl.launchCommandWithCredentials(CliGitAPIImpl.java:2111)",
			},
			wantReason: "stderr: fatal: unable to access 'https://git.example.org/r/core/': Failed to connect",
		},
		{
			name: "Jenkins Git: a fetch's missing ref under the wrapper, the cause chain and the repeated ERROR",
			lines: []string{
				"ERROR: Error fetching remote repo 'origin'",
				"hudson.plugins.git.GitException: Failed to fetch from https://github.com/acme/widgets.git",
				"\tat hudson.plugins.git.GitSCM.fetchFrom(GitSCM.java:999)",
				`Caused by: hudson.plugins.git.GitException: Command "git fetch --tags --progress --prune -- origin +refs/heads/release/2.4:refs/remotes/origin/release/2.4" returned status code 128:`,
				"stdout: ",
				"stderr: fatal: couldn't find remote ref refs/heads/release/2.4",
				"",
				"\tat org.jenkinsci.plugins.gitclient.CliGitAPIImpl.launchCommandIn(CliGitAPIImpl.java:2671)",
				"ERROR: Error fetching remote repo 'origin'",
				"Finished: FAILURE",
			},
			wantReason: "stderr: fatal: couldn't find remote ref refs/heads/release/2.4",
		},
		{
			name: "Jenkins Git: git's progress from the server is no error, the fatal under it is",
			lines: []string{
				"ERROR: Error cloning remote repo 'origin'",
				`hudson.plugins.git.GitException: Command "git fetch --tags --force --progress -- https://github.com/acme/monorepo.git +refs/heads/*:refs/remotes/origin/*" returned status code 128:`,
				"stdout: ",
				"stderr: remote: Enumerating objects: 184213, done.        ",
				"remote: Counting objects: 100% (412/412), done.        ",
				"remote: Compressing objects: 100% (201/201), done.        ",
				"fatal: the remote end hung up unexpectedly",
				"fatal: early EOF",
				"fatal: index-pack failed",
			},
			wantReason: "fatal: the remote end hung up unexpectedly",
			notReason:  "Enumerating objects",
		},
		{
			name: "TeamCity: the execution timeout over the killed process and its thread dump",
			lines: []string{
				"[03:58:40] :\t\t [Step 2/2] Running integration tests",
				"[04:00:01]W:\t\t [Step 2/2] The build Acme::Nightly #812 {buildId=9921} has been running for more than 60 minutes. Terminating...",
				"[04:00:01]E: Execution timeout",
				"[04:00:01] :\t\t [Step 2/2] Dumping threads before termination:",
				"[04:00:02]W:\t\t [Step 2/2] Process exited with code 137",
				"[04:00:02]E:\t [Step 2/2] Process exited with code 137 (Step: Integration tests (Command Line))",
			},
			wantReason: "has been running for more than 60 minutes. Terminating",
		},
		{
			name: "TeamCity copied from the page: the bare build problem",
			lines: []string{
				"[13:30:12]\t[Step 1/1] Execution timeout (new)",
				"[13:30:13]\t[Step 1/1] Dumping threads before termination:",
				"[13:30:13]\t[Step 1/1] Failed to locate jps tool. No thread dump information is available",
			},
			wantReason: "Execution timeout (new)",
		},
		{
			name: "Jenkins Git: the server's own words under 'remote:'",
			lines: []string{
				"ERROR: Error fetching remote repo 'origin'",
				`hudson.plugins.git.GitException: Command "git fetch --tags --progress -- ssh://ci@review.example.net:29418/tools refs/changes/11/4711/3" returned status code 128:`,
				"stdout: ",
				"stderr: remote: Gerrit Code Review: change 4711 has no patch set 3",
				"\tat org.jenkinsci.plugins.gitclient.CliGitAPIImpl.launchCommandIn(CliGitAPIImpl.java:2450)",
			},
			wantReason: "stderr: remote: Gerrit Code Review: change 4711 has no patch set 3",
		},
		{
			name: "Jenkins Git: an exception that says why stays the reason",
			lines: []string{
				"ERROR: Error cloning remote repo 'origin'",
				"hudson.plugins.git.GitException: java.io.IOException: Remote call on build-agent-7 failed",
				"\tat hudson.plugins.git.GitSCM.retrieveChanges(GitSCM.java:1221)",
			},
			wantReason: "Remote call on build-agent-7 failed",
		},
		{
			name: "meson: the TIMEOUT row over the summary's zero counts",
			lines: []string{
				"$ ninja test",
				"[0/1] Running all tests.",
				"1/3 core_parse                  OK      1.20 s",
				"2/3 net_roundtrip               TIMEOUT 30.01 s",
				"3/3 io_flush                    OK      0.44 s",
				"",
				"Ok:                    2",
				"Expected Fail:         0",
				"Fail:                  0",
				"Unexpected Pass:       0",
				"Skipped:               0",
				"Timeout:               1",
			},
			wantReason: "2/3 net_roundtrip TIMEOUT 30.01 s",
			notContext: "Expected Fail",
		},
		{
			name: "meson (0.57 and later): the TIMEOUT row under its suite, killed by a signal",
			lines: []string{
				" 6/12 libfoo:unit / lexer_test           OK               0.31s",
				" 7/12 libfoo:unit / parser_test          TIMEOUT         30.02s   killed by signal 15 SIGTERM",
				"",
				"Summary of Failures:",
				"",
				" 7/12 libfoo:unit / parser_test          TIMEOUT         30.02s   killed by signal 15 SIGTERM",
				"",
				"Ok:                 11",
				"Expected Fail:      0",
				"Fail:               0",
				"Timeout:            1",
				"Full log written to /builds/foo/build/meson-logs/testlog.txt",
			},
			wantReason: "7/12 libfoo:unit / parser_test TIMEOUT 30.02s killed by signal 15 SIGTERM",
		},
		{
			name: "meson: a FAIL row says which test failed, over ninja's summary",
			lines: []string{
				"1/4 unit_strings                 OK       0.05 s",
				"2/4 unit_config                  FAIL     0.12 s (exit status 1)",
				"3/4 unit_paths                   OK       0.02 s",
				"4/4 unit_env                     OK       0.03 s",
				"",
				"Ok:                    3",
				"Expected Fail:         0",
				"Fail:                  1",
				"Unexpected Pass:       0",
				"Skipped:               0",
				"Timeout:               0",
				"FAILED: meson-test",
				"ninja: build stopped: subcommand failed.",
			},
			wantReason: "2/4 unit_config FAIL 0.12 s (exit status 1)",
		},
		{
			name: "meson: zero counts are never the reason",
			lines: []string{
				"Ok:                    0",
				"Expected Fail:         0",
				"Fail:                  0",
				"Unexpected Pass:       0",
				"Skipped:               4",
				"Timeout:               0",
				"Error: Process completed with exit code 1.",
			},
			wantReason: "exit code 1",
			notReason:  "Fail",
		},
		{
			name: "GHC 9.4: the header, with its code, joined with its message over the quoted source",
			lines: []string{
				"[2 of 5] Compiling Ledger.Prices",
				"src/Ledger/Prices.hs:44:17: error: [GHC-88464]",
				"    Variable not in scope: priceDirectives :: Journal -> [PriceDirective]",
				"   |",
				"44 |   let ps = priceDirectives j",
				"   |            ^^^^^^^^^^^^^^^",
			},
			wantReason: "src/Ledger/Prices.hs:44:17: error: [GHC-88464] Variable not in scope: priceDirectives :: Journal -> [PriceDirective]",
			notReason:  "|",
		},
		{
			name: "GHC 9.4: the path's start wrapped onto the line above, the message announced over two lines",
			lines: []string{
				"       /home/ci/work/unpacked/quotes-0.2.0-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
				"9f8e/src/Quotes.hs:82:32: error: [GHC-88464]",
				"           Variable not in scope:",
				"             jinferred :: Journal -> M.Map T.Text a0",
				"           Suggested fix:",
				"             Perhaps use one of these:",
			},
			wantReason: "9f8e/src/Quotes.hs:82:32: error: [GHC-88464] Variable not in scope: jinferred :: Journal -> M.Map T.Text a0",
			notReason:  "Suggested fix",
		},
		{
			name: "GHC 8: a plain 'error:' header with its first bullet, not the next",
			lines: []string{
				"lib/Codec/Frame.hs:(30,1)-(31,20): error:",
				"    • Couldn't match expected type ‘Int’ with actual type ‘Bool’",
				"    • In the expression: True",
				"      In an equation for ‘frameSize’: frameSize _ = True",
			},
			wantReason: "lib/Codec/Frame.hs:(30,1)-(31,20): error: • Couldn't match expected type ‘Int’ with actual type ‘Bool’",
			notReason:  "In the expression",
		},
		{
			name: "GHC: a header is not outranked by its own message's missing module",
			lines: []string{
				"app/Main.hs:7:1: error: [GHC-87110]",
				"    Could not find module ‘Data.Text.Builder.Linear’",
				"    Use -v to see a list of the files searched for.",
				"  |",
				"7 | import Data.Text.Builder.Linear",
				"  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
			},
			wantReason: "app/Main.hs:7:1: error: [GHC-87110] Could not find module ‘Data.Text.Builder.Linear’",
		},
		{
			name: "GHC under a problem matcher: the message's annotation marker as GitHub shows it",
			lines: []string{
				"/home/runner/work/tool/tool/src/Tool/Hash.hs:129:35: error:",
				"Error:     Variable not in scope: fastMod :: Int -> t0 -> Int",
				"    |",
				"129 |         !bucket = h `fastMod` size",
			},
			wantReason: "Variable not in scope: fastMod :: Int -> t0 -> Int",
		},
		{
			name: "ExUnit: the assertion with its code; the values compared are context",
			lines: []string{
				"  1) test rejects a stale token (AuthTest)",
				"     test/auth_test.exs:58",
				"     Assertion with == failed",
				"     code:  assert conn.status == 401",
				"     left:  200",
				"     right: 401",
				"     stacktrace:",
				"       test/auth_test.exs:64: (test)",
				"",
				"Finished in 4.1 seconds (0.00s async, 4.1s sync)",
				"38 tests, 1 failure",
			},
			wantReason: "Assertion with == failed code: assert conn.status == 401",
			notReason:  "left:",
		},
		{
			name: "ExUnit: a match whose value runs over lines keeps the code alone",
			lines: []string{
				"     match (=) failed",
				"     code:  assert {:ok, %{id: _}} = Repo.insert(changeset)",
				"     left:  {:ok, %{id: _}}",
				"     right: {:error,",
				"             #Ecto.Changeset<errors: [email: {\"has already been taken\", []}]>}",
				"     stacktrace:",
			},
			wantReason: "match (=) failed code: assert {:ok, %{id: _}} = Repo.insert(changeset)",
			notReason:  "left:",
		},
		{
			name: "ExUnit: a plain 'Assertion failed' over its code is the assertion, not a generic line",
			lines: []string{
				"     Assertion failed",
				"     code: assert File.exists?(path)",
				"     stacktrace:",
				"       test/export_test.exs:21: (test)",
				"** (exit) 1",
			},
			wantReason: "Assertion failed code: assert File.exists?(path)",
		},
		{
			name: "ExUnit: =~ with a long left side: the code, without values that do not fit",
			lines: []string{
				"     Assertion with =~ failed",
				"     code:  assert body =~ \"Welcome back\"",
				"     left:  \"" + strings.Repeat("<div class=\\\"row\\\">", 16) + "\"",
				"     right: \"Welcome back\"",
			},
			wantReason: "Assertion with =~ failed code: assert body =~ \"Welcome back\"",
			notReason:  "left:",
		},
	}
	runReasonCases(t, tests)
}
