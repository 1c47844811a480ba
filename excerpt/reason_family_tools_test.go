package excerpt

import "testing"

// TestReason_ToolSummaryFamilies holds the reason to the row a tool prints
// for what failed, in the tool's own format, over the pointers and
// wrapped lines around it. The logs are written for the test.
func TestReason_ToolSummaryFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "Bazel: a target's TIMEOUT row over its test.log path",
			lines: []string{
				"INFO: Elapsed time: 915.2s, Critical Path: 900.4s",
				"//pkg/server:server_test                                                TIMEOUT in 900.0s",
				"  /home/runner/.cache/bazel/_bazel_runner/0a1b/execroot/main/bazel-out/k8-fastbuild/testlogs/pkg/server/server_test/test.log",
				"",
				"Executed 1 out of 1 test: 1 fails locally.",
			},
			wantReason: "//pkg/server:server_test TIMEOUT in 900.0s",
		},
		{
			name: "Bazel: a sharded target's FAILED row over its runs' stats and paths",
			lines: []string{
				"//lib/codec:codec_test                                                  FAILED in 2 out of 3 in 12.4s",
				"  Stats over 3 runs: max = 12.4s, min = 3.1s, avg = 7.0s, dev = 3.8s",
				"  /tmp/_bazel_ci/9f/execroot/main/bazel-out/darwin-fastbuild/testlogs/lib/codec/codec_test/run_1_of_3/test.log",
				"  /tmp/_bazel_ci/9f/execroot/main/bazel-out/darwin-fastbuild/testlogs/lib/codec/codec_test/run_2_of_3/test.log",
			},
			wantReason: "//lib/codec:codec_test FAILED in 2 out of 3",
		},
		{
			name: "Bazel under a CI agent's tag: the row, not the path",
			lines: []string{
				"[agent=linux-2] //java/com/example/app:AppTest      TIMEOUT in 315.0s",
				"[agent=linux-2]   /home/ci/.cache/bazel/_bazel_ci/77/execroot/main/bazel-out/k8-fastbuild/testlogs/java/com/example/app/AppTest/test.log",
			},
			wantReason: "//java/com/example/app:AppTest TIMEOUT in 315.0s",
		},
		{
			name: "Bazel: a FLAKY row fails nothing, the FAILED one does",
			lines: []string{
				"//net:dial_test                                                         FLAKY, failed in 1 out of 2 in 4.0s",
				"  /tmp/_bazel/1/testlogs/net/dial_test/test_attempts/attempt_1.log",
				"//net:tls_test                                                          FAILED in 3.2s",
				"  /tmp/_bazel/1/testlogs/net/tls_test/test.log",
			},
			wantReason: "//net:tls_test FAILED in 3.2s",
		},
		{
			name: "Prettier 2 --check under npm: the verdict, not npm's exit lines",
			lines: []string{
				"> prettier --check \"src/**/*.{ts,tsx,css}\"",
				"Checking formatting...",
				"[warn] src/components/Header.tsx",
				"[warn] src/styles/main.css",
				"[warn] Code style issues found in the above file(s). Forgot to run Prettier?",
				"npm ERR! code ELIFECYCLE",
				"npm ERR! errno 1",
				"npm ERR! web@1.4.0 format:check: `prettier --check \"src/**/*.{ts,tsx,css}\"`",
				"npm ERR! Exit status 1",
				"npm ERR! Failed at the web@1.4.0 format:check script.",
			},
			wantReason: "Code style issues found in the above file(s)",
		},
		{
			name: "Prettier 1 untagged, under the shell's exit status",
			lines: []string{
				"$ prettier -c 'src/**'",
				"Checking formatting...",
				"src/index.js",
				"src/util/parse.js",
				"Code style issues found in the above file(s). Forgot to run Prettier?",
				"$ echo $?",
				"1",
			},
			wantReason: "Code style issues found in the above file(s)",
		},
		{
			name: "Prettier 3 under pnpm",
			lines: []string{
				"Checking formatting...",
				"[warn] app/routes/index.tsx",
				"[warn] Code style issues found in 1 file. Run Prettier with --write to fix.",
				" ELIFECYCLE  Command failed with exit code 1.",
				"Error: Process completed with exit code 1.",
			},
			wantReason: "Code style issues found in 1 file",
		},
		{
			name: "cmd.exe in Chinese: the missing command, not its wrapped second line",
			lines: []string{
				"C:\\agent\\_work\\1\\s>make dist",
				"'make' 不是内部或外部命令，也不是可运行的程序",
				"或批处理文件。",
			},
			wantReason: "'make' 不是内部或外部命令",
		},
		{
			name: "cmd.exe in Chinese under a batch file's steps",
			lines: []string{
				"Running build.bat",
				"'cp' 不是内部或外部命令，也不是可运行的程序",
				"或批处理文件",
				"Done.",
			},
			wantReason: "'cp' 不是内部或外部命令",
		},
		{
			name: "cmd.exe in English, the same family",
			lines: []string{
				"'yarn' is not recognized as an internal or external command,",
				"operable program or batch file.",
			},
			wantReason: "'yarn' is not recognized as an internal or external command",
		},
		{
			name: "Go runtime: a hung test killed with SIGQUIT, over its goroutine dump",
			lines: []string{
				"=== RUN   TestApplyCluster",
				"    apply.go:41: waiting for the load balancer…",
				"SIGQUIT: quit",
				"PC=0x4711e1 m=0 sigcode=0",
				"",
				"goroutine 0 [idle]:",
				"runtime.futex(0xb2a5c8, 0x80, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x7ffd0, 0x44b2c2, ...)",
				"\t/usr/local/go/src/runtime/sys_linux_amd64.s:535 +0x21",
				"",
				"goroutine 7 [select]:",
				"example.com/infra/apply.waitFor(0xc0000a6000)",
			},
			wantReason: "SIGQUIT: quit",
		},
		{
			name: "Go runtime: SIGABRT's header, not the goroutine under it",
			lines: []string{
				"SIGABRT: abort",
				"PC=0x7f3c2a4b0e97 m=3 sigcode=18446744073709551610",
				"",
				"goroutine 0 [idle]:",
			},
			wantReason: "SIGABRT: abort",
		},
		{
			name: "CircleCI: the container's memory limit, over the step's exit lines",
			lines: []string{
				"> Task :app:testDebugUnitTest",
				"Your build has exceeded the memory limit of 4G on 1 container. The results of this build are likely invalid.",
				"Exited with code 137",
				"FAILURE: Build failed with an exception.",
			},
			wantReason: "has exceeded the memory limit of 4G",
		},
		{
			name: "CircleCI's memory verdict quoted in a report, under its heading",
			lines: []string{
				"CircleCI errors:",
				"> Your build has exceeded the memory limit of 8G on 2 containers. The results of this build are likely invalid.",
			},
			wantReason: "has exceeded the memory limit of 8G",
		},
		{
			name: "Surefire rerun: the flaky test's failed run, not the count with its Flakes",
			lines: []string{
				"[INFO] Results:",
				"[INFO] ",
				"[WARNING] Flakes: ",
				"[WARNING] com.example.store.CartServiceTest.addsItemTwice",
				"[ERROR]   Run 1: CartServiceTest.addsItemTwice:88 » IllegalState",
				"[INFO]   Run 2: PASS",
				"[INFO] ",
				"[WARNING] Tests run: 412, Failures: 0, Errors: 0, Skipped: 3, Flakes: 1",
			},
			wantReason: "Run 1: CartServiceTest.addsItemTwice:88 » IllegalState",
		},
		{
			name: "Surefire rerun under Jenkins' timestamper, untagged (Tycho)",
			lines: []string{
				"09:12:40  Results:",
				"09:12:40  ",
				"09:12:40  Flakes: ",
				"09:12:40  org.example.ui.EditorTest.opensFile(org.example.ui.EditorTest)",
				"09:12:40    Run 1: EditorTest.opensFile:51 » NullPointer",
				"09:12:40    Run 2: PASS",
				"09:12:40  ",
				"09:12:40  Tests run: 96, Failures: 0, Errors: 0, Skipped: 0, Flakes: 1",
			},
			wantReason: "Run 1: EditorTest.opensFile:51 » NullPointer",
		},
		{
			name: "Zuul on GitHub: the failed job's row, not 'Build failed.'",
			lines: []string{
				"Build failed.",
				"",
				"* [unit-py311 ](https://zuul.example.org/t/main/build/1f2e3d) : SUCCESS in 4m 10s",
				"* [functional-mysql ](https://zuul.example.org/t/main/build/9a8b7c) : POST_FAILURE in 22m 41s",
				"* [docs ](https://zuul.example.org/t/main/build/5d6e7f) : SUCCESS in 2m 02s",
			},
			wantReason: "functional-mysql ](https://zuul.example.org/t/main/build/9a8b7c) : POST_FAILURE in 22m 41s",
		},
		{
			name: "Zuul pasted into a comment, quoted: RETRY_LIMIT",
			lines: []string{
				"> Build failed.",
				"> ",
				"> * e2e-cluster-acceptance  : RETRY_LIMIT in 1h 12m 03s",
				"> * lint  : SUCCESS in 3m 40s",
			},
			wantReason: "e2e-cluster-acceptance : RETRY_LIMIT in 1h 12m 03s",
		},
		{
			name: "Zuul on Gerrit: a non-voting failure is left alone, the voting one is the reason",
			lines: []string{
				"Build failed (check pipeline).",
				"",
				"- tox-py39 https://logs.example.org/12/3412/1/check/tox-py39/ab12cd3/ : FAILURE in 6m 55s (non-voting)",
				"- tox-pep8 https://logs.example.org/12/3412/1/check/tox-pep8/ef45ab6/ : TIMED_OUT in 30m 00s",
			},
			wantReason: "tox-pep8 https://logs.example.org/12/3412/1/check/tox-pep8/ef45ab6/ : TIMED_OUT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}
