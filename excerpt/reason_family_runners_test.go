package excerpt

import "testing"

// TestReason_FreshTestRunners holds the reason to the line a person needs
// in test runners' shapes the measured sets show rarely or never: the
// exception or matcher over quoted source and values (RSpec, Node, Jest),
// the assertion over the runner's summary (go test, pytest, GoogleTest),
// a passing summary that is no failure. The logs are written for the test.
func TestReason_FreshTestRunners(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "RSpec: the exception under the quoted code, with no blank line between",
			lines: []string{
				"  1) Checkout pays with a saved card",
				"     Failure/Error:",
				"       within(\"#payment-form\") do",
				"         expect(page).to have_button \"Pay now\"",
				"       end",
				"     Capybara::ElementNotFound:",
				"       Unable to find css \"#payment-form\"",
				"     # ./spec/features/checkout_spec.rb:40:in `block (2 levels) in <top (required)>'",
			},
			wantReason: "Unable to find css \"#payment-form\"",
		},
		{
			name: "RSpec: an expectation on the header line stays the reason",
			lines: []string{
				"  1) Cart totals the lines",
				"     Failure/Error: expect(cart.total).to eq(30)",
				"",
				"       expected: 30",
				"            got: 25",
			},
			wantReason: "Failure/Error: expect(cart.total).to eq(30)",
		},
		{
			name: "Node: the uncaught error over the source line it quotes",
			lines: []string{
				"/home/runner/work/_actions/acme/deploy/v2/dist/index.js:2210",
				"    throw new TypeError(`Missing input: ${key}`);",
				"    ^",
				"",
				"TypeError: Missing input: api-key",
				"    at getInput (/home/runner/work/_actions/acme/deploy/v2/dist/index.js:2210:11)",
			},
			wantReason: "TypeError: Missing input: api-key",
		},
		{
			name: "GoogleTest: the message under the Failure header",
			lines: []string{
				"[ RUN      ] Queue.DrainsInOrder",
				"tests/queue_test.cc:57: Failure",
				"Expected equality of these values:",
				"  q.size()",
				"    Which is: 3",
				"[  FAILED  ] Queue.DrainsInOrder (4 ms)",
			},
			wantReason: "queue_test.cc:57: Failure Expected equality of these values: q.size() Which is: 3",
		},
		{
			name: "a zero-failure summary is no failure: the error after it is the reason",
			lines: []string{
				"Tests run: 42, Failures: 0, Errors: 0, Skipped: 1",
				"[ERROR] Timeout 300 s exceeded. The forked VM was killed.",
			},
			wantReason: "[ERROR] Timeout 300 s exceeded.",
		},
		{
			name: "go test: the t.Errorf line over --- FAIL and FAIL",
			lines: []string{
				"=== RUN   TestTotal",
				"    cart_test.go:21: Total() = 25, want 30",
				"--- FAIL: TestTotal (0.00s)",
				"FAIL",
				"FAIL\texample.org/shop/cart\t0.012s",
			},
			wantReason: "cart_test.go:21: Total() = 25, want 30",
		},
		{
			name: "Jest: the matcher hint stays the reason (values are context)",
			lines: []string{
				"FAIL src/cart.test.ts",
				"  ● cart › totals",
				"",
				"    expect(received).toEqual(expected) // deep equality",
				"",
				"    Expected: 30",
				"    Received: 25",
			},
			wantReason: "expect(received).toEqual(expected)",
		},
		{
			name: "pytest: the E assertion over where and the short summary",
			lines: []string{
				"_________________________ test_total _________________________",
				"",
				"    def test_total():",
				">       assert total([1, 2]) == 4",
				"E       assert 3 == 4",
				"E        +  where 3 = total([1, 2])",
				"",
				"tests/test_cart.py:5: AssertionError",
				"=========================== short test summary info ============================",
				"FAILED tests/test_cart.py::test_total - assert 3 == 4",
			},
			wantReason: "assert 3 == 4",
		},
		{
			name: "pytest: the test's source is code, its E line the reason",
			lines: []string{
				"______________________________ test_export ______________________________",
				"",
				"    def test_export(tmp_path):",
				"        \"\"\"export() raises no error on an empty table.\"\"\"",
				"        rows = export(tmp_path / \"out.csv\")",
				">       assert rows == 0",
				"E       assert 3 == 0",
				"",
				"tests/test_export.py:9: AssertionError",
			},
			wantReason: "assert 3 == 0",
		},
		{
			name: "pytest: a cut log names the failing test, not a source line",
			lines: []string{
				"______________________________ test_export ______________________________",
				"",
				"    def test_export(tmp_path):",
				"        \"\"\"export() raises no error on an empty table.\"\"\"",
				"        rows = export(tmp_path / \"out.csv\")",
			},
			wantReason: "test_export ___",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}
