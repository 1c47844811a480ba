package excerpt

import (
	"slices"
	"strings"
	"testing"
)

// TestReason_ReviewFamilies holds the reason to what a code review and a
// new user's trial found wrong: an ExUnit assertion's values left out of
// the reason (and so the fingerprint), meson's rows told from another
// table's by their two-decimal time, GHC's message joined without the
// problem matcher's marker, the closing summaries of cargo-nextest and
// cabal left to the error above them, and Terraform's boxed diagnostic
// joined up to its box's end, never replaced by a line of its own detail.
// The logs are written for the test.
func TestReason_ReviewFamilies(t *testing.T) {
	tests := []reasonCase{
		{
			name: "ExUnit: the values compared are context, not the reason",
			lines: []string{
				"  3) test sends the digest (Mailer.DigestTest)",
				"     test/mailer/digest_test.exs:31",
				"     Assertion with == failed",
				"     code:  assert length(sent) == 2",
				"     left:  3",
				"     right: 2",
				"     stacktrace:",
				"       test/mailer/digest_test.exs:36: (test)",
				"",
				"21 tests, 1 failure",
			},
			wantReason:  "Assertion with == failed code: assert length(sent) == 2",
			notReason:   "left:",
			wantContext: []string{"left: 3", "right: 2"},
		},
		{
			name: "meson: a numbered table's whole-second timeout is no meson row",
			lines: []string{
				"step name            limit         result",
				"1/3 fetch mirrors    TIMEOUT 30 s  ok",
				"2/3 warm cache       TIMEOUT 60 s  ok",
				"3/3 verify           -             failed",
				"error: verify: checksum mismatch for cache/blob-77",
			},
			wantReason: "error: verify: checksum mismatch for cache/blob-77",
		},
		{
			name: "meson: its own row, the time with two decimals and no space",
			lines: []string{
				" 5/9 core:unit / scheduler_test    TIMEOUT   60.01s   killed by signal 15 SIGTERM",
				"error: build step ended",
			},
			wantReason: "5/9 core:unit / scheduler_test TIMEOUT 60.01s",
		},
		{
			name: "GHC: the joined message without the problem matcher's marker",
			lines: []string{
				"src/Report/Totals.hs:17:3: error: [GHC-88464]",
				"Error:     Variable not in scope: sumBy :: (a0 -> Int) -> [Row] -> Int",
				"   |",
				"17 |   sumBy rowTotal rows",
			},
			wantReason: "src/Report/Totals.hs:17:3: error: [GHC-88464] Variable not in scope: sumBy",
			notReason:  "Error: Variable",
		},
		{
			name: "cargo-nextest: the panic over its closing 'test run failed'",
			lines: []string{
				"--- STDERR:              ledger tests::rounds_half_even ---",
				"thread 'tests::rounds_half_even' panicked at src/round.rs:88:9:",
				"assertion `left == right` failed: banker's rounding",
				"  left: 3",
				" right: 2",
				"------------",
				"     Summary [   0.120s] 9 tests run: 8 passed, 1 failed, 0 skipped",
				"        FAIL [   0.004s] ledger tests::rounds_half_even",
				"error: test run failed",
			},
			wantReason: "thread 'tests::rounds_half_even' panicked at src/round.rs:88:9: assertion `left == right` failed: banker's rounding",
		},
		{
			name: "cabal 3.10: GHC's error over 'Error: cabal: Failed to build'",
			lines: []string{
				"[2 of 4] Compiling Shop.Cart        ( src/Shop/Cart.hs, dist-newstyle/build/Shop/Cart.o )",
				"",
				"src/Shop/Cart.hs:40:14: error: [GHC-88464]",
				"    Variable not in scope: lineTotal :: Item -> Int",
				"   |",
				"40 |   total = sum (map lineTotal items)",
				"Error: cabal: Failed to build shop-0.3.0.0.",
			},
			wantReason: "src/Shop/Cart.hs:40:14: error: [GHC-88464] Variable not in scope: lineTotal :: Item -> Int",
		},
		{
			name: "cabal 3.12: GHC's error over the coded summary",
			lines: []string{
				"src/Shop/Tax.hs:9:7: error: [GHC-88464]",
				"    Variable not in scope: rateOf :: Region -> Rational",
				"  |",
				"9 | vat = rateOf",
				"Error: [Cabal-7125]",
				"Failed to build shop-0.3.0.0 (which is required by exe:shop from shop-0.3.0.0). See the build log above for details.",
			},
			wantReason: "src/Shop/Tax.hs:9:7: error: [GHC-88464] Variable not in scope: rateOf :: Region -> Rational",
		},
		{
			name: "cabal: a dependency that failed to build names what broke, over its source's error",
			lines: []string{
				"src/Net/Socks/Lib.hs:24:11: error:",
				"    Variable not in scope: withSocketsDo :: IO a -> IO a",
				"Error: cabal: Failed to build socks-0.6.1 (which is required by http-conduit-2.3.8).",
				"See the build log above for details.",
			},
			wantReason: "Error: cabal: Failed to build socks-0.6.1 (which is required by http-conduit-2.3.8)",
		},
		{
			name: "Terraform: the joined diagnostic ends at its box's close",
			lines: []string{
				"╷",
				"│ Error: Failed to install provider",
				"│ ",
				"│ Error while installing acme/dns v0.4.1: checksum list has no SHA-256 hash",
				"╵",
				"Error: Terraform exited with code 1.",
			},
			wantReason: "│ Error: Failed to install provider Error while installing acme/dns v0.4.1: checksum list has no SHA-256 hash",
			notReason:  "╵",
		},
		{
			name: "Terraform: a server's answer in the detail keeps the headline joined with it",
			lines: []string{
				"╷",
				"│ Error: Failed to query available provider packages",
				"│ ",
				"│ Could not retrieve the list of available versions for provider",
				"│ acme/dns: the request failed after 2 attempts,",
				"│ please try again later: 502 Bad Gateway",
				"╵",
			},
			wantReason: "│ Error: Failed to query available provider packages Could not retrieve the list",
		},
	}
	runReasonCases(t, tests)
}

// TestReason_RustPanicRankReadsItsReason holds the panic's rank
// (panicStrength) to the lines its reason joins (panicJoin): a message
// after a separator rule, and the error an unwrap shows on the line under
// its message.
func TestReason_RustPanicRankReadsItsReason(t *testing.T) {
	lines := func(texts ...string) []logLine {
		out := make([]logLine, len(texts))
		for i, s := range texts {
			out[i] = logLine{no: int64(i + 1), text: s}
		}
		return out
	}
	tests := []struct {
		name   string
		lines  []logLine
		joined string
	}{
		{
			name:   "a rule before the message is skipped",
			lines:  lines("thread 'main' panicked at src/main.rs:4:5:", "----", "index out of bounds: the len is 3 but the index is 7", "note: run with `RUST_BACKTRACE=1`"),
			joined: "thread 'main' panicked at src/main.rs:4:5: index out of bounds: the len is 3 but the index is 7",
		},
		{
			name:   "an unwrap's error is the second line",
			lines:  lines("thread 'main' panicked at src/io.rs:9:30:", "called `Result::unwrap()` on an `Err` value:", "Os { code: 24, kind: Uncategorized, message: \"Too many open files\" }", "note: run with"),
			joined: "thread 'main' panicked at src/io.rs:9:30: called `Result::unwrap()` on an `Err` value: Os { code: 24, kind: Uncategorized, message: \"Too many open files\" }",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			joined, at := panicJoin(tt.lines, 0, strings.TrimSpace(tt.lines[0].text))
			if joined != tt.joined {
				t.Errorf("panicJoin = %q, want %q", joined, tt.joined)
			}
			var parts []string
			for _, j := range at {
				parts = append(parts, strings.TrimSpace(tt.lines[j].text))
			}
			if want := strings.TrimSpace(strings.TrimPrefix(tt.joined, strings.TrimSpace(tt.lines[0].text))); strings.Join(parts, " ") != want {
				t.Errorf("message lines %q, want them to make %q", parts, want)
			}
			if slices.Contains(at, 0) {
				t.Errorf("message lines %v hold the header", at)
			}
		})
	}
}
