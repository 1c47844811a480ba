package excerpt

import "testing"

// TestReason_CommonCIShapes holds the reason and its context in shapes a
// first user met: a compiler speaking another language, a Rust or Go test
// failure under its harness's markers, pytest's assertion over its location
// line, npm's prefixed continuation lines, a compiler pointing at the code.
// The logs are written for the test.
func TestReason_CommonCIShapes(t *testing.T) {
	tests := []reasonCase{
		{
			name: "gcc in German: the diagnostic over make's and the runner's exit",
			lines: []string{
				"##[group]Run make",
				"##[endgroup]",
				"cc -O2 -c -o util.o util.c",
				"util.c: In Funktion »parse«:",
				"util.c:31:9: Fehler: »lenght« wurde in diesem Gültigkeitsbereich nicht definiert",
				"   31 |         lenght = 0;",
				"      |         ^~~~~~",
				"make: *** [Makefile:4: util.o] Fehler 1",
				"##[error]Process completed with exit code 2.",
			},
			wantReason:  "util.c:31:9: Fehler: »lenght«",
			wantContext: []string{"31 |         lenght = 0;", "|         ^~~~~~"},
		},
		{
			name: "javac in French: the diagnostic, its source line and caret",
			lines: []string{
				"##[group]Run javac -d out src/Main.java",
				"##[endgroup]",
				"src/Main.java:9: erreur : ')' attendu",
				"        int n = sum(a, b;",
				"                        ^",
				"1 erreur",
				"##[error]Process completed with exit code 1.",
			},
			wantReason:  "src/Main.java:9: erreur : ')' attendu",
			wantContext: []string{"int n = sum(a, b;", "^"},
		},
		{
			name: "Russian and Japanese severity words rank as errors too",
			lines: []string{
				"lib/x.cpp:4:2: ошибка: «vec» не был объявлен",
				"src/y.ts(3,1): エラー: 型が一致しません",
				"make: *** [all] Ошибка 1",
				"Process completed with exit code 2.",
			},
			wantReason: "lib/x.cpp:4:2: ошибка: «vec»",
		},
		{
			name: "cargo test: the panic and its assertion over the harness marker",
			lines: []string{
				"##[group]Run cargo test",
				"##[endgroup]",
				"running 2 tests",
				"test parse::rejects_empty ... FAILED",
				"failures:",
				"---- parse::rejects_empty stdout ----",
				"thread 'parse::rejects_empty' panicked at src/parse.rs:42:5:",
				"assertion `left == right` failed",
				"  left: Ok(0)",
				" right: Err(Empty)",
				"test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
				"error: test failed, to rerun pass `--lib`",
				"##[error]Process completed with exit code 101.",
			},
			wantReason:  "thread 'parse::rejects_empty' panicked at src/parse.rs:42:5: assertion `left == right` failed",
			notReason:   "left: Ok(0)",
			wantContext: []string{"parse::rejects_empty", "left: Ok(0)", "right: Err(Empty)"},
		},
		{
			name: "pytest: the E assertion over its location line, the test named without the banner",
			lines: []string{
				"=================================== FAILURES ===================================",
				"______________________________ test_refund_total _______________________________",
				"",
				"    def test_refund_total():",
				">       assert refund(order).total == 7",
				"E       assert 6 == 7",
				"E        +  where 6 = Refund(lines=[...]).total",
				"",
				"tests/test_refund.py:21: AssertionError",
				"=========================== short test summary info ============================",
				"FAILED tests/test_refund.py::test_refund_total - assert 6 == 7",
				"========================= 1 failed, 12 passed in 0.40s =========================",
			},
			wantReason:  "assert 6 == 7",
			notReason:   "AssertionError",
			wantContext: []string{"test_refund_total"},
			notContext:  "___",
		},
		{
			name: "go test: the innermost subtest's message, the test names as context",
			lines: []string{
				"ok  \texample.com/svc/store\t0.210s",
				"--- FAIL: TestRoute (0.00s)",
				"    --- FAIL: TestRoute/trailing_slash (0.00s)",
				"        route_test.go:77: Route(\"/a/\") = 404, want 200",
				"FAIL",
				"FAIL\texample.com/svc/http\t0.021s",
				"FAIL",
			},
			wantReason:  "route_test.go:77: Route(\"/a/\") = 404, want 200",
			notReason:   "--- FAIL",
			wantContext: []string{"TestRoute/trailing_slash"},
		},
		{
			name: "go test -v: a passing test's log line is no failure",
			lines: []string{
				"=== RUN   TestOpen",
				"    open_test.go:12: opened /tmp/x in 3ms",
				"--- PASS: TestOpen (0.00s)",
				"=== RUN   TestClose",
				"    close_test.go:30: Close() = <nil>, want ErrClosed",
				"--- FAIL: TestClose (0.00s)",
				"FAIL",
			},
			wantReason: "close_test.go:30: Close() = <nil>, want ErrClosed",
		},
		{
			name: "go test -v: the failing test's progress log is not its complaint",
			lines: []string{
				"=== RUN   TestServe",
				"    serve_test.go:12: starting server on :8080",
				"    serve_test.go:20: Sum(1,2) = 4, want 3",
				"    serve_test.go:24: stopping server",
				"--- FAIL: TestServe (0.00s)",
				"FAIL",
			},
			wantReason: "serve_test.go:20: Sum(1,2) = 4, want 3",
			notReason:  "starting server",
		},
		{
			name: "npm: a joined reason does not repeat the tool's prefix",
			lines: []string{
				"npm error code ERESOLVE",
				"npm error ERESOLVE could not resolve",
				"npm error",
				"npm error While resolving: web@2.0.0",
				"npm error Found: vue@3.4.0",
				"npm error",
				"npm error Could not resolve dependency:",
				"npm error peer vue@\"^2.6.0\" from vue-router@3.6.5",
				"npm error node_modules/vue-router",
				"npm error   vue-router@\"^3.6.5\" from the root project",
			},
			wantReason:  "npm error Could not resolve dependency: peer vue@\"^2.6.0\" from vue-router@3.6.5 node_modules/vue-router",
			notReason:   "npm error peer",
			wantContext: []string{"Found: vue@3.4.0"},
			notContext:  "peer vue", // the reason says it already
		},
		{
			name: "Maven javac: cannot find symbol with its symbol and location",
			lines: []string{
				"[ERROR] COMPILATION ERROR : ",
				"[INFO] -------------------------------------------------------------",
				"[ERROR] /w/shop/src/main/java/shop/Order.java:[18,14] cannot find symbol",
				"  symbol:   method taxRate()",
				"  location: class shop.Region",
				"[INFO] 1 error",
				"[INFO] BUILD FAILURE",
			},
			wantReason:  "Order.java:[18,14] cannot find symbol",
			wantContext: []string{"symbol: method taxRate()", "location: class shop.Region"},
		},
		{
			name: "gcc in English: the source line and caret it points at",
			lines: []string{
				"main.c: In function ‘run’:",
				"main.c:8:3: error: ‘totl’ undeclared (first use in this function); did you mean ‘total’?",
				"    8 |   totl += 1;",
				"      |   ^~~~",
				"      |   total",
				"make: *** [Makefile:2: main.o] Error 1",
			},
			wantReason:  "main.c:8:3: error: ‘totl’ undeclared",
			wantContext: []string{"8 |   totl += 1;", "|   ^~~~"},
		},
		{
			name: "a failure word inside a file or package name is no failure",
			lines: []string{
				"| file | source |",
				"| typescript-type-errors.log | https://example.org/runs/1 |",
				"   Compiling app v0.1.0 (src/fail_safe.rs)",
				"ok  \texample.com/app/errors\t0.104s",
				"Deploy step failed because the token expired",
			},
			wantReason: "Deploy step failed because the token expired",
		},
		{
			name: "a missing directory is the cause, the failure words only in its path",
			lines: []string{
				"Run ./build.sh",
				"stat /home/runner/work/error-kit/cmd/error-kit: directory not found",
				"Process completed with exit code 1.",
			},
			wantReason: "cmd/error-kit: directory not found",
		},
	}
	runReasonCases(t, tests)
}
