package excerpt

import "testing"

// TestReason_MoreToolFamilies continues TestReason_ToolFamilies: more tools
// whose failure is printed as a summary or an outcome with the cause on
// another line. The logs are written for the test; each family has a case
// where its rule must not fire.
func TestReason_MoreToolFamilies(t *testing.T) {
	tests := []struct {
		name        string
		lines       []string
		wantReason  string   // a substring of the reason
		wantContext []string // substrings, each in one context line, in order
	}{
		{
			name: "Go race detector: the warning over the goroutine stacks under it",
			lines: []string{
				"==================",
				"WARNING: DATA RACE",
				"Write at 0x00c0001b4010 by goroutine 21:",
				"  testing.(*common).Fail()",
				"      /usr/local/go/src/testing/testing.go:890 +0x5d",
				"  example.com/shop/cart.TestAddConcurrent.func2()",
				"      cart/cart_test.go:61 +0x1f0",
				"",
				"Previous read at 0x00c0001b4010 by goroutine 20:",
				"  example.com/shop/cart.(*Cart).Total()",
				"      cart/cart.go:44 +0x7c",
			},
			wantReason: "WARNING: DATA RACE",
		},
		{
			name: "Go race detector: a warning that only mentions a race stays context",
			lines: []string{
				"WARNING: DATA RACE reports from vendored code are ignored (see https://example.com/race)",
				"error: config.yml: unknown key 'stagez'",
			},
			wantReason: "unknown key 'stagez'",
		},
		{
			name: "Jenkins: the timeout step's cancel over the interrupt's aftermath",
			lines: []string{
				"[Pipeline] timeout",
				"Timeout set to expire in 30 min",
				"+ make integration",
				"Cancelling nested steps due to timeout",
				"Sending interrupt signal to process",
				"After 10s process did not stop",
				"Body did not finish within grace period; terminating with extreme prejudice",
				"script returned exit code 143",
			},
			wantReason: "Cancelling nested steps due to timeout",
		},
		{
			name: "Jenkins: the interrupt over the signal's exit status",
			lines: []string{
				"09:14:02  [INFO] Running shop.api.OrderIT",
				"09:44:02  Sending interrupt signal to process",
				"09:44:12  script returned exit code 143",
			},
			wantReason: "Sending interrupt signal to process",
		},
		{
			name: "Jenkins: an agent lost before the timeout stays the reason",
			lines: []string{
				"02:10:41  Cannot contact build-agent-7: hudson.remoting.ChannelClosedException: Channel \"build-agent-7\": Remote call failed",
				"04:10:41  Cancelling nested steps due to timeout",
				"04:10:41  Could not connect to build-agent-7 to send interrupt signal to process",
			},
			wantReason: "Cannot contact build-agent-7",
		},
		{
			name: "Composer: the problem line over the summary",
			lines: []string{
				"Loading composer repositories with package information",
				"Your requirements could not be resolved to an installable set of packages.",
				"",
				"  Problem 1",
				"    - Root composer.json requires acme/mailer ^2.1 -> satisfiable by acme/mailer[2.1.0].",
				"    - acme/mailer 2.1.0 requires php ^7.4 -> your php version (8.3.1) does not satisfy that requirement.",
			},
			wantReason: "acme/mailer 2.1.0 requires php ^7.4",
		},
		{
			name: "Composer: a package fixed by the lock file",
			lines: []string{
				"Your requirements could not be resolved to an installable set of packages.",
				"  Problem 1",
				"    - acme/http v3.0.0 requires psr/log ^3.0 -> found psr/log[3.0.0] but the package is fixed to 1.1.4 (lock file version) by a partial update and that version does not match.",
				"Error: Your requirements could not be resolved to an installable set of packages.",
			},
			wantReason: "but the package is fixed to 1.1.4",
		},
		{
			name: "Composer: a root requirement that is satisfiable is not the reason",
			lines: []string{
				"Your requirements could not be resolved to an installable set of packages.",
				"  Problem 1",
				"    - Root composer.json requires acme/mailer ^2.1 -> satisfiable by acme/mailer[2.1.0].",
			},
			wantReason: "Your requirements could not be resolved",
		},
		{
			name: "create-react-app: the ESLint row it promoted to an error",
			lines: []string{
				"Creating an optimized production build...",
				"Treating warnings as errors because process.env.CI = true.",
				"Most CI servers set it automatically.",
				"",
				"Failed to compile.",
				"",
				"./src/components/Nav.js",
				"  Line 42:7:  'unused' is assigned a value but never used  no-unused-vars",
			},
			wantReason: "Line 42:7: 'unused' is assigned a value but never used",
		},
		{
			name: "create-react-app: the PostCSS warning it promoted to an error",
			lines: []string{
				"Treating warnings as errors because process.env.CI = true.",
				"Most CI servers set it automatically.",
				"Failed to compile.",
				"",
				"(12:3) autoprefixer: Replace color-adjust to print-color-adjust. The color-adjust shorthand is currently deprecated.",
			},
			wantReason: "(12:3) autoprefixer: Replace color-adjust",
		},
		{
			name: "create-react-app: a row under Compiled with warnings fails nothing",
			lines: []string{
				"Compiled with warnings.",
				"",
				"./src/components/Nav.js",
				"  Line 42:7:  'unused' is assigned a value but never used  no-unused-vars",
				"",
				"Error: no deploy target named staging in firebase.json",
			},
			wantReason: "no deploy target named staging",
		},
		{
			name: "Maven localized: the first compiler row over the count",
			lines: []string{
				"错误：编译错误：",
				"[信息] -------------------------------------------------------------",
				"错误：/home/ci/shop/src/main/java/shop/Cart.java:[12,8]找不到符号",
				"符号：类Price",
				"错误：/home/ci/shop/src/main/java/shop/Order.java:[30,15]找不到符号",
				"[信息] 2个错误",
			},
			wantReason: "Cart.java:[12,8]找不到符号",
		},
		{
			name: "Maven localized: a warning row is not an error",
			lines: []string{
				"警告：/home/ci/shop/src/main/java/shop/Cart.java:[3,8]已过时",
				"[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.2.5:test (default-test) on project shop: There are test failures.",
			},
			wantReason: "Failed to execute goal",
		},
		{
			name: "Travis: apt's error over the step's outcome",
			lines: []string{
				"$ sudo apt-get install -y libfoo-dev",
				"Reading package lists... Done",
				"E: Unable to locate package libfoo-dev",
				"E: Couldn't find any package by glob 'libfoo-dev'",
				`The command "sudo apt-get install -y libfoo-dev" failed and exited with 100 during .`,
			},
			wantReason: "E: Unable to locate package libfoo-dev",
		},
		{
			name: "Travis: CocoaPods' message over the step's outcome",
			lines: []string{
				"$ pod install",
				"[!] No `Podfile' found in the project directory.",
				`The command "pod install" failed and exited with 1 during .`,
			},
			wantReason: "No `Podfile' found in the project directory.",
		},
		{
			name: "Travis: the outcome stays when the tool said nothing",
			lines: []string{
				"$ ./ci/check.sh",
				"checking 14 files",
				`The command "./ci/check.sh" failed and exited with 1 during .`,
				"",
				"Done. Your build exited with 1.",
			},
			wantReason: `The command "./ci/check.sh" failed and exited with 1`,
		},
		{
			name: "GitHub: mocha's timeout over the cancelled job",
			lines: []string{
				`  1) "before each" hook for "saves the order":`,
				`     Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure "done()" is called`,
				"##[error]The operation was canceled.",
			},
			wantReason: "Timeout of 2000ms exceeded",
		},
		{
			name: "GitHub: Jest left running over its summary and the cancelled job",
			lines: []string{
				"Tests:       1 failed, 41 passed, 42 total",
				"Jest did not exit one second after the test run has completed.",
				"##[error]The operation was canceled.",
			},
			wantReason: "Jest did not exit one second",
		},
		{
			name: "GitHub: a cancelled job with no timeout above stays",
			lines: []string{
				"  ✓ saves the order (12ms)",
				"Error: connect to cache failed, continuing without it",
				"##[error]The operation was canceled.",
			},
			wantReason: "The operation was canceled.",
		},
		{
			name: "GitHub: a step header whose end is cut hides no output",
			lines: []string{
				"##[group]Run cmake -S /tmp/lib -B build",
				"...",
				`CMake Error: The source directory "/tmp/lib" does not appear to contain CMakeLists.txt.`,
				"##[error]Process completed with exit code 1.",
			},
			wantReason: "CMake Error: The source directory",
		},
		{
			name: "GitHub: a complete step header still hides its script",
			lines: []string{
				"##[group]Run ./deploy.sh",
				"./deploy.sh || echo 'fatal: deploy failed'",
				"shell: /usr/bin/bash -e {0}",
				"##[endgroup]",
				"##[error]Process completed with exit code 1.",
			},
			wantReason: "exit code 1",
		},
		{
			name: "Azure Pipelines: the first of its numbered YAML errors",
			lines: []string{
				"1) /ci/deploy.yml (Line: 4, Col: 3): Unexpected value 'trigerr'",
				"",
				"2) /ci/deploy.yml: (Line: 9, Col: 1, Idx: 120) - (Line: 9, Col: 1, Idx: 120): While parsing a block mapping, did not find expected key.",
			},
			wantReason: "(Line: 4, Col: 3): Unexpected value 'trigerr'",
		},
		{
			name: "Azure Pipelines: mocha's numbered failures are not YAML errors",
			lines: []string{
				`  1) "after all" hook in "{root}"`,
				"",
				"  0 passing (2s)",
				"  1 failing",
				"",
				`  1) "after all" hook in "{root}":`,
				"     Error: the server closed before the hook finished",
			},
			wantReason: "Error: the server closed before the hook finished",
		},
		{
			name: "Python unittest: the exception over the test's header",
			lines: []string{
				"ERROR: test_refund (tests.test_orders.TestOrders)",
				"----------------------------------------------------------------------",
				"Traceback (most recent call last):",
				`  File "/work/shop/tests/test_orders.py", line 12, in test_refund`,
				"    order.items[3]",
				"IndexError: list index out of range",
			},
			wantReason:  "IndexError: list index out of range",
			wantContext: []string{"ERROR: test_refund (tests.test_orders.TestOrders)"},
		},
		{
			name: "Maven: the goal's error over the BUILD FAILURE banner",
			lines: []string{
				"[INFO] ------------------------------------------------------------------------",
				"[INFO] BUILD FAILURE",
				"[INFO] ------------------------------------------------------------------------",
				"[INFO] Total time:  3.912 s",
				"[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.8:compile (default-compile) on project shop: Fatal error compiling: invalid target release: 17 -> [Help 1]",
			},
			wantReason: "Fatal error compiling: invalid target release: 17",
		},
		{
			name: "Maven: the banner stays when nothing says why",
			lines: []string{
				"[INFO] Building shop 1.0",
				"[INFO] BUILD FAILURE",
				"[INFO] Total time:  3.912 s",
			},
			wantReason: "BUILD FAILURE",
		},
		{
			name: "Azure Pipelines: the lost agent over a build's error count",
			lines: []string{
				"2 error(s), 0 warning(s)",
				"",
				"We stopped hearing from agent Hosted Agent.",
				"Verify the agent machine is running and has a healthy network connection.",
			},
			wantReason: "We stopped hearing from agent Hosted Agent.",
		},
		{
			name: "Azure Pipelines: an error before the agent was lost stays",
			lines: []string{
				"##[error]The job exceeded the maximum allowed time of 00:30:00 and was stopped.",
				"We stopped hearing from agent Hosted Agent.",
			},
			wantReason: "exceeded the maximum allowed time",
		},
		{
			name: "RSpec: the exception's message under a Capybara action",
			lines: []string{
				"  1) Checkout lets users pay",
				"     Failure/Error: click_button 'Pay now'",
				"",
				"     Capybara::ElementNotFound:",
				`       Unable to find button "Pay now" that is not disabled`,
				"     # ./spec/features/checkout_spec.rb:31:in `block (2 levels) in <top (required)>'",
			},
			wantReason: `Capybara::ElementNotFound: Unable to find button "Pay now" that is not disabled`,
		},
		{
			name: "RSpec: the message under a block expectation",
			lines: []string{
				"  1) Orders create adds an order",
				"     Failure/Error:",
				"       expect {",
				"         post :create, params: { order: attrs }",
				"       }.to change(Order, :count).by(1)",
				"",
				"       expected `Order.count` to have changed by 1, but was changed by 0",
				"     # ./spec/requests/orders_spec.rb:12:in `block (2 levels) in <top (required)>'",
			},
			wantReason: "expected `Order.count` to have changed by 1, but was changed by 0",
		},
		{
			name: "RSpec: a one-line expectation stays the reason",
			lines: []string{
				"  1) Order totals sums its items",
				"     Failure/Error: expect(order.total).to eq(42)",
				"",
				"       expected: 42",
				"            got: 41",
				"",
				"       (compared using ==)",
			},
			wantReason: "Failure/Error: expect(order.total).to eq(42)",
		},
		{
			name: "xUnit: the assertion's header over its Expected line",
			lines: []string{
				"Assert.Equal() Failure: Values differ",
				"Expected: 3",
				"Actual:   2",
			},
			wantReason:  "Assert.Equal() Failure: Values differ",
			wantContext: []string{"Expected: 3", "Actual:"},
		},
		{
			name: "xUnit: an analyzer's warning naming an assertion is not one",
			lines: []string{
				"warning xUnit2013: Do not use Assert.Equal() to check for collection size.",
				"Cart.cs(14,9): error CS1002: ; expected",
			},
			wantReason: "error CS1002",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, tt.wantContext)
		})
	}
}

// TestReason_FramesAreNoError: a stack frame names where, whatever words its
// path holds: Go's under any path, RSpec's backtrace lines.
func TestReason_FramesAreNoError(t *testing.T) {
	for _, line := range []string{
		"      /usr/local/go/src/testing/testing.go:890 +0x5d",
		"      pkg/errors/wrap.go:41 +0x7c",
		"\tinternal/failover/pool.go:88 +0x1d",
		"     # ./spec/support/error_helpers.rb:12:in `block (2 levels) in <top (required)>'",
	} {
		if ErrorLike(line) {
			t.Errorf("ErrorLike(%q) = true, want a frame to be no error", line)
		}
	}
}
