package excerpt

import (
	"fmt"
	"strings"
	"testing"
)

// TestReason_Trial3Families holds the reason to the tool's own error for
// the families a third new-user trial found pointing elsewhere: Bazel's
// action wrapper and closing summary over the compiler's error (also when
// the error is cut from a long log's windows), rebar3's "===> …: value"
// messages, a bare error code over the version conflict indented under it,
// advice on re-running failed tests, Julia's summary over "Test Failed at",
// Buildkite's hook exit status over the hook's own error; and pnpm's peer
// rows as context. Each family has a case that must not move. The logs
// are written for the test.
func TestReason_Trial3Families(t *testing.T) {
	var progress []string
	for i := range 900 {
		progress = append(progress, fmt.Sprintf("[%d / 6,120] Compiling third_party/zlib/src/inflate_%d.c; %ds linux-sandbox ... (8 actions running)", 40+i*6, i, i%9))
	}
	runReasonCases(t, []reasonCase{
		{
			name: "bazel: gcc's error over the action wrapper and the summary",
			lines: []string{
				"INFO: Analyzed 210 targets (88 packages loaded, 4021 targets configured).",
				"ERROR: /build/src/net/BUILD:7:12: Compiling src/net/socket.cc failed: (Exit 1): gcc failed: error executing CppCompile command (from target //src/net:socket) /usr/bin/gcc -U_FORTIFY_SOURCE -Wall -MD -MF bazel-out/k8-opt/bin/src/net/_objs/socket/socket.pic.d",
				"src/net/socket.cc: In function 'int net::Dial(const Addr&)':",
				"src/net/socket.cc:88:5: error: 'class net::Conn' has no member named 'dial'",
				"INFO: Elapsed time: 92.004s, Critical Path: 31.20s",
				"FAILED: Build did NOT complete successfully",
			},
			wantReason: "src/net/socket.cc:88:5: error: 'class net::Conn' has no member named 'dial'",
		},
		{
			name: "bazel: gcc's error under the wrapper, cut from a long log's windows",
			lines: append(append([]string{
				"INFO: Found 340 targets...",
				"ERROR: /build/src/db/BUILD.bazel:21:8: Compiling src/db/pager.cc failed: (Exit 1): clang failed: error executing CppCompile command (from target //src/db:pager)",
				"src/db/pager.cc:130:12: error: no matching function for call to 'Flush'",
			}, progress...),
				"INFO: Elapsed time: 610.2s, Critical Path: 44.1s",
				"ERROR: Build did NOT complete successfully",
			),
			wantReason: "src/db/pager.cc:130:12: error: no matching function for call to 'Flush'",
		},
		{
			name: "bazel, must not move: the wrapper is the reason when the tool said nothing more",
			lines: []string{
				"ERROR: /build/tools/BUILD:4:8: Executing genrule //tools:version_h failed: (Exit 2): bash failed: error executing Genrule command (from target //tools:version_h)",
				"INFO: Elapsed time: 3.1s, Critical Path: 0.4s",
				"ERROR: Build did NOT complete successfully",
			},
			wantReason: "Executing genrule //tools:version_h failed",
		},
		{
			name: "bazel, must not move: its own loading error over the summary",
			lines: []string{
				"ERROR: /build/app/BUILD:12:11: no such package '@pypi_requests//': repository not defined and referenced by '//app:client'",
				"ERROR: Analysis of target '//app:client' failed; build aborted",
				"ERROR: Build did NOT complete successfully",
			},
			wantReason: "no such package '@pypi_requests//'",
		},
		{
			name: "rebar3: a message with its value over the shell's exit",
			lines: []string{
				"+ rebar3 as prod release",
				"===> Verifying dependencies...",
				"===> Fetching jsx v3.1.0",
				"===> Package not found in any repo: ranch 9.9.9",
				"+ exit 1",
			},
			wantReason: "Package not found in any repo: ranch 9.9.9",
		},
		{
			name: "rebar3, must not move: its progress and its test count are not the failure",
			lines: []string{
				"===> Analyzing applications...",
				"===> Compiling ledger",
				"===> Running EUnit tests...",
				"ledger_tests: balance_test...*failed*",
				"===> Failures occurred running tests: 1",
			},
			wantReason: "ledger_tests: balance_test...*failed*",
		},
		{
			name: "re-run advice: the failed case over how to run it again",
			lines: []string{
				"%%% store_SUITE ==> put_then_get: FAILED",
				"%%% store_SUITE ==> {badmatch,{error,timeout}}",
				"",
				"Writing retry specification at /ci/_build/test/logs/retry.spec",
				"              call rebar3 ct with '--retry' to re-run failing cases.",
				"Failed 1 tests. Passed 12 tests.",
			},
			wantReason: "store_SUITE ==> put_then_get: FAILED",
			notReason:  "re-run",
		},
		{
			name: "stack: the version conflict over a bare error code",
			lines: []string{
				"Error: [S-4804]",
				"       Stack failed to construct a build plan.",
				"",
				"       In the dependencies for billing-1.2.0:",
				"         * text must match >=1.2 && <2.0, but text-2.1.1 is in the Stack configuration (latest matching version is 1.2.5.0).",
				"       The above is/are needed since billing is a build target.",
			},
			wantReason: "text must match >=1.2 && <2.0, but text-2.1.1 is in the Stack configuration",
		},
		{
			name: "bare code, must not move: a code with its message on the line is the error",
			lines: []string{
				"Error: [S-7282] Stack failed to execute the build plan.",
				"Error: the build cache at /home/ci/.stack-work could not be saved",
			},
			wantReason: "[S-7282] Stack failed to execute the build plan.",
		},
		{
			name: "julia: the failed test, with what it evaluated, over the summary",
			lines: []string{
				"     Testing Running tests...",
				"parsing: Test Failed at /home/ci/Tokens.jl/test/runtests.jl:18",
				"  Expression: tokenize(\"a+b\") == [:a, :+, :b]",
				"   Evaluated: [:a, :+] == [:a, :+, :b]",
				"",
				"Test Summary: | Pass  Fail  Total  Time",
				"parsing       |   11     1     12  0.4s",
				"ERROR: LoadError: Some tests did not pass: 11 passed, 1 failed, 0 errored, 0 broken.",
				"ERROR: Package Tokens errored during testing",
			},
			wantReason:  "parsing: Test Failed at /home/ci/Tokens.jl/test/runtests.jl:18",
			wantContext: []string{"Expression: tokenize", "Evaluated: [:a, :+] =="},
		},
		{
			name: "julia, must not move: a load error is the error",
			lines: []string{
				"ERROR: LoadError: UndefVarError: `tokenise` not defined",
				"in expression starting at /home/ci/Tokens.jl/test/runtests.jl:3",
			},
			wantReason: "UndefVarError: `tokenise` not defined",
		},
		{
			name: "buildkite: the hook's own error over its exit status",
			lines: []string{
				"~~~ Running global pre-exit hook",
				"$ /etc/buildkite-agent/hooks/pre-exit",
				"notify: delivery to the deploy webhook failed after 3 attempts (https://hooks.internal.example/ci/deploys)",
				"🚨 Error: The global pre-exit hook exited with status 6",
			},
			wantReason: "delivery to the deploy webhook failed after 3 attempts",
		},
		{
			name: "buildkite, must not move: a killed command's status is the cause",
			lines: []string{
				"$ ./scripts/integration.sh",
				"starting 12 workers",
				"worker 3: request to the search index failed",
				"🚨 Error: The command exited with status 137",
			},
			wantReason: "The command exited with status 137",
		},
		{
			name: "pnpm: the peers wanted and found as context",
			lines: []string{
				" ERR_PNPM_PEER_DEP_ISSUES  Unmet peer dependencies",
				"",
				"packages/ui",
				"└─┬ @radix-ui/react-popover 1.0.7",
				"  ├── ✕ unmet peer @types/react@\"^16.9.0 || ^17.0.0 || ^18.0.0\": found 19.1.2",
				"  └── ✕ missing peer react-dom@\"^16.8 || ^17.0 || ^18.0\"",
				"",
				"hint: If you don't want pnpm to fail on peer dependency issues, add \"strict-peer-dependencies=false\" to an .npmrc file at the root of your project.",
			},
			wantReason:  "ERR_PNPM_PEER_DEP_ISSUES",
			wantContext: []string{`unmet peer @types/react@"^16.9.0 || ^17.0.0 || ^18.0.0": found 19.1.2`, "missing peer react-dom@"},
		},
	})
}

// TestReasonLine_Trial3Cuts: a connection error the plain cut splits
// ("Network is unrea…") is kept whole at the end, and so is a tool's error
// after a wrapper's words that follow a long path. A line that ends in
// neither keeps its head.
func TestReasonLine_Trial3Cuts(t *testing.T) {
	pad := strings.Repeat("x", 64)
	cases := []struct {
		name string
		line string
		want []string // substrings, in order
		not  []string
	}{
		{
			name: "urllib3: the unreachable network split by the cut",
			line: "ERROR: HTTPSConnectionPool(host='pkgs.example.org', port=443): Max retries exceeded with url: /v1/recipes/openssl/3.2.1/_/_/revisions/latest (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7fd0aa11bc40>: Failed to establish a new connection: [Errno 101] Network is unreachable'))",
			want: []string{"ERROR: HTTPSConnectionPool(host='pkgs.example.org'", " … ", "Network is unreachable'))"},
		},
		{
			name: "a name that did not resolve, after the cut",
			line: "error: could not fetch index from https://mirror.example.net/" + pad + "/simple/" + pad + "/index.json while updating the package cache of the build image: [Errno -3] Temporary failure in name resolution",
			want: []string{"error: could not fetch index", " … ", "Temporary failure in name resolution"},
		},
		{
			name: "helm's error after the wrapper's words and a long path",
			line: "time=\"2025-06-02T08:14:55Z\" level=fatal msg=\"rpc error: code = Unknown desc = Manifest generation error (cached): `helm template . --name-template billing --namespace staging --values /tmp/7a0c4d2e-91b3-4f6a-8e5d-3c2b1a0f9e8d/charts/billing/values-staging.yaml --include-crds` failed exit status 1: Error: YAML parse error on billing/templates/service.yaml: error converting YAML to JSON: yaml: line 12: did not find expected key\"",
			want: []string{"level=fatal msg=", " … ", "Error: YAML parse error on billing/templates/service.yaml", "did not find expected key"},
		},
		{
			name: "must not move: a long line that ends in no error keeps its head",
			line: "warning: the following files were reformatted by the pre-commit hook and must be committed again: src/" + pad + "/a.go src/" + pad + "/b.go src/" + pad + "/c.go and then the hook is run once more on the whole tree",
			want: []string{"warning: the following files were reformatted", "…"},
			not:  []string{" … "},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := reasonLine(c.line)
			if len(got) > maxReasonLen {
				t.Errorf("len = %d, max %d: %q", len(got), maxReasonLen, got)
			}
			at := 0
			for _, w := range c.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("reason = %q\nwant %q (in order)", got, w)
				}
				at += i + len(w)
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("reason = %q, want it without %q", got, n)
				}
			}
		})
	}
}
