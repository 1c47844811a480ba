package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

func TestSameLookingValues(t *testing.T) {
	// The public examples: NUnit printing a space and a no-break space
	// (https://github.com/nunit/nunit/issues/2935) and xUnit printing ICU's
	// narrow no-break space before PM
	// (https://github.com/Megabit/Blazorise/pull/5974).
	tests := []struct {
		name, log, want string
	}{
		{name: "nunit space and no-break space", log: "  String lengths are both 1. Strings differ at index 0.\n  Expected: \" \"\n  But was:  \"\u00a0\"\n  -----------^", want: `" "`},
		{name: "xunit narrow nbsp from ICU", log: "Assert.Equal() Failure: Strings differ\nExpected: \"12/31/9999 11:59:59 PM\"\nActual:   \"12/31/9999 11:59:59\u202fPM\"", want: `"12/31/9999 11:59:59 PM"`},
		{name: "nbsp thousands separator", log: "Expected: 1 234,50 €\nActual:   1\u00a0234,50\u00a0€", want: "1 234,50 €"},
		{name: "carriage return in the value", log: "Expected: \"done\"\r\nActual:   \"done\r\"\r\n", want: `"done"`},
		{name: "pasted log lost the character, xunit marker kept", log: "Assert.Equal() Failure: Strings differ\n                              \u2193 (pos 19)\nExpected: \"12/31/9999 11:59:59 PM\"\nActual:   \"12/31/9999 11:59:59 PM\"\n                              \u2191 (pos 19)", want: `"12/31/9999 11:59:59 PM"`},
		{name: "nunit differ-at-index marker", log: "  Expected string length 4 but was 4. Strings differ at index 2.\n  Expected: \"a b\"\n  But was:  \"a b\"", want: `"a b"`},
		{name: "one multibyte character is too weak", log: "Expected: \u00e9\nActual:   \u00e9\u200b", want: ""},

		{name: "identical type names, no marker", log: "  Expected: <Shop.Order>\n  But was:  <Shop.Order>", want: ""},
		{name: "identical datetimes, no marker", log: "Assert.Equal() Failure\nExpected: 2024-03-01T10:00:00\nActual:   2024-03-01T10:00:00", want: ""},
		{name: "identical floats", log: "Expected: 0.1\nActual:   0.1", want: ""},
		{name: "identical booleans", log: "Expected: True\nActual:   True", want: ""},
		{name: "jest received behind a runner prefix", log: "[test]     Expected: \"a b\"\n[test]     Received: \"a\u00a0b\"", want: `"a b"`},
		{name: "zero-width space", log: "Expected: \"abc\"\nActual:   \"a\u200bbc\"", want: `"abc"`},
		{name: "junit but was", log: "expected: <x y>\nbut was: <x\u202fy>", want: "<x y>"},

		{name: "values differ", log: "Expected: 60\nReceived: 82", want: ""},
		{name: "timing values differ", log: "Expected: 03:-20\nActual:   02:40", want: ""},
		{name: "not on consecutive lines", log: "Expected: 1\nsomething else\nActual: 1", want: ""},
		{name: "one-character value is too weak", log: "Expected: 1\nActual:   1", want: ""},
		{name: "no values", log: "Expected:\nActual:", want: ""},
		{name: "no assertion", log: "Build succeeded.", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameLookingValues(tc.log); got != tc.want {
				t.Errorf("sameLookingValues = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSameLookingAssertionIsCode: an assertion whose values print the same
// is code, below the touched-test verdict; values that differ keep the
// flaky_test default.
func TestSameLookingAssertionIsCode(t *testing.T) {
	const (
		culture = "  Failed Blazorise.Tests.DateEditTest.FormatsMaxValue [12 ms]\n  Error Message:\n   Assert.Equal() Failure: Strings differ\nExpected: \"12/31/9999 11:59:59 PM\"\nActual:   \"12/31/9999 11:59:59\u202fPM\"\n"
		colour  = "  \u25cf Cart \u203a formats the total\n\n    expect(received).toBe(expected) // Object.is equality\n\n    \x1b[2mExpected: \x1b[22m\x1b[32m\"1 234,50 \u20ac\"\x1b[39m\n    \x1b[2mReceived: \x1b[22m\x1b[31m\"1\u00a0234,50\u00a0\u20ac\"\x1b[39m\n"
		same    = "  Failed Shop.Tests.OrderTest.Clones [3 ms]\n  Error Message:\n   Expected: <Shop.Order>\n  But was:  <Shop.Order>\n"
		differ  = "  Failed Blazorise.Tests.DateEditTest.FormatsMaxValue [12 ms]\n  Error Message:\n   Assert.Equal() Failure\nExpected: 3\nActual:   4\n"
	)
	tests := []struct {
		name     string
		in       Input
		wantCat  analysis.Category
		wantRisk int
		wantNote string
	}{
		{name: "invisible difference", in: Input{Text: culture}, wantCat: analysis.CategoryCode, wantRisk: 7, wantNote: "invisible characters"},
		{name: "invisible difference, unrelated change", in: Input{Text: culture, ChangedFiles: []string{"docs/index.md"}}, wantCat: analysis.CategoryCode, wantRisk: 7, wantNote: "invisible characters"},
		{name: "touched test wins", in: Input{Text: culture, ChangedFiles: []string{"tests/DateEditTest.cs"}}, wantCat: analysis.CategoryCode, wantRisk: 8, wantNote: "The change touches"},
		{name: "jest pair in colour", in: Input{Text: colour}, wantCat: analysis.CategoryCode, wantRisk: 7, wantNote: "invisible characters"},
		{name: "identical bytes, no diff marker", in: Input{Text: same}, wantCat: analysis.CategoryFlakyTest, wantNote: "flaky_test is the default"},
		{name: "values differ", in: Input{Text: differ}, wantCat: analysis.CategoryFlakyTest, wantNote: "flaky_test is the default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Category != tc.wantCat {
				t.Fatalf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			if !strings.Contains(got.Reasoning, tc.wantNote) {
				t.Errorf("reasoning lacks %q: %s", tc.wantNote, got.Reasoning)
			}
			if tc.wantCat != analysis.CategoryCode {
				return
			}
			if got.RiskScore != tc.wantRisk {
				t.Errorf("risk = %d, want %d", got.RiskScore, tc.wantRisk)
			}
			if !got.InvolvesApplicationCode || slices.ContainsFunc(got.Actions, func(a analysis.Action) bool { return a.Type != analysis.ActionNone }) {
				t.Errorf("a code verdict involves the code and proposes no remediation: %v %v", got.InvolvesApplicationCode, got.Actions)
			}
		})
	}
}
