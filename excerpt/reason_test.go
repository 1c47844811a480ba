package excerpt

import (
	"github.com/ccm-ci/ccm/excerpt/excerpttest"
	"slices"
	"strings"
	"testing"
)

// TestReason_SpecificOverGeneric holds the reason to the line that tells a
// person why, over the lines that only say that something failed. The logs
// are written for the test, one per family of misses seen in real logs.
func TestReason_SpecificOverGeneric(t *testing.T) {
	tests := []struct {
		name        string
		lines       []string
		wantReason  string   // a substring of the reason
		wantContext []string // substrings, each in one context line, in order
	}{
		{
			name: "npm peer conflict over its error code",
			lines: []string{
				"npm ERR! code ERESOLVE",
				"npm ERR! ERESOLVE unable to resolve dependency tree",
				"npm ERR! ",
				"npm ERR! While resolving: shop-ui@2.3.0",
				"npm ERR! Found: react@17.0.2",
				"npm ERR! node_modules/react",
				"npm ERR! Could not resolve dependency:",
				`npm ERR! peer react@"^18.0.0" from react-dom@18.2.0`,
				"npm ERR! Fix the upstream dependency conflict, or retry",
			},
			wantReason:  `peer react@"^18.0.0" from react-dom@18.2.0`,
			wantContext: []string{"Found: react@17.0.2"},
		},
		{
			name: "npm 404 over code E404",
			lines: []string{
				"npm ERR! code E404",
				"npm ERR! 404 Not Found - GET https://registry.npmjs.org/lodahs - Not found",
				"npm ERR! 404 'lodahs@^4.17.0' is not in this registry.",
			},
			wantReason: "404 Not Found - GET https://registry.npmjs.org/lodahs",
		},
		{
			name: "eslint error over ELIFECYCLE",
			lines: []string{
				"/home/runner/work/shop/shop/src/cart.js",
				"  14:7  error  'total' is assigned a value but never used  no-unused-vars",
				"✖ 1 problem (1 error, 0 warnings)",
				"npm ERR! code ELIFECYCLE",
				"npm ERR! errno 1",
				"npm ERR! shop@1.0.0 lint: `eslint src`",
				"npm ERR! Exit status 1",
			},
			wantReason: "'total' is assigned a value but never used",
		},
		{
			name: "missing module over code 1",
			lines: []string{
				"Error: Cannot find module 'left-pad'",
				"Require stack:",
				"- /app/index.js",
				"npm error code 1",
			},
			wantReason: "Cannot find module 'left-pad'",
		},
		{
			name:        "jest assertion over the summary and the FAIL marker",
			lines:       excerpttest.JestFailure,
			wantReason:  "expect(received).toBe(expected)",
			wantContext: excerpttest.JestContext,
		},
		{
			name: "ginkgo expectation over Failure [N seconds] and FAIL!",
			lines: []string{
				"• Failure [0.005 seconds]",
				"Widget",
				"/src/widget_test.go:23",
				"  paints it blue [It]",
				"",
				"  Expected",
				"      <string>: red",
				"  to equal",
				"      <string>: blue",
				"FAIL! -- 3 Passed | 1 Failed | 0 Pending | 0 Skipped",
			},
			wantReason: "Expected <string>: red to equal <string>: blue",
		},
		{
			name: "node assertion over throw new AssertionError(obj)",
			lines: []string{
				"node:assert:124",
				"  throw new AssertionError(obj);",
				"  ^",
				"",
				"AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:",
				"",
				"1 !== 2",
			},
			wantReason: "Expected values to be strictly equal: 1 !== 2",
		},
		{
			name: "the message under error: |-",
			lines: []string{
				"  error: |-",
				`    pod "web-0" never became Ready within 5m0s`,
			},
			wantReason: `pod "web-0" never became Ready`,
		},
		{
			name: "surefire assertion over Tests run <<< FAILURE!",
			lines: []string{
				"Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.31 s <<< FAILURE! - in com.shop.CartTest",
				"applyDiscount(com.shop.CartTest)  Time elapsed: 0.02 s  <<< FAILURE!",
				"org.opentest4j.AssertionFailedError: expected: <90> but was: <100>",
				"\tat com.shop.CartTest.applyDiscount(CartTest.java:31)",
			},
			wantReason:  "AssertionFailedError: expected: <90> but was: <100>",
			wantContext: []string{"applyDiscount(com.shop.CartTest)"},
		},
		{
			name: "a stalled build over The build has been terminated",
			lines: []string{
				"No output has been received in the last 10m0s, this potentially indicates a stalled build or something wrong with the build itself.",
				"Check the details on how to adjust your build configuration on: https://docs.travis-ci.com/user/common-build-problems/",
				"The build has been terminated",
			},
			wantReason: "No output has been received in the last 10m0s",
		},
		{
			name: "the final error over retry notices",
			lines: []string{
				"Failed to download action, retrying in 10s (attempt 1/3)",
				"Failed to download action, retrying in 20s (attempt 2/3)",
				"Error: getCacheEntry failed: Cache service responded with 503",
			},
			wantReason: "getCacheEntry failed: Cache service responded with 503",
		},
		{
			// The runner's write that failed is the failure; the warning
			// before it only forecast it.
			name: "the runner's failed write over its disk warning",
			lines: []string{
				"##[warning]You are running out of disk space. The runner will stop working when the machine runs out of disk space. Free space left: 12 MB",
				"System.IO.IOException: No space left on device : '/home/runner/runners/2.311.0/_diag/Worker_20240102-101010-utc.log'",
			},
			wantReason: "System.IO.IOException: No space left on device",
		},
		{
			name: "the cause under a compile summary",
			lines: []string{
				"error: failed to compile `cargo-outdated v0.13.1`, intermediate artifacts can be found at `/tmp/cargo-installXyZ`",
				"",
				"Caused by:",
				"  failed to select a version for the requirement `clap = \"^4.0.23\"`",
			},
			wantReason: "failed to select a version for the requirement",
		},
		{
			name: "the first causal error over a later vague one",
			lines: []string{
				"error: linker `cc` not found",
				"error: aborting due to previous error",
			},
			wantReason: "linker `cc` not found",
		},
		{
			name: "a CircleCI config error over the step's shebang",
			lines: []string{
				"#!/bin/sh -eo pipefail",
				"# ERROR IN CONFIG FILE:",
				"# [#/jobs/build] required key [steps] not found",
			},
			wantReason: "ERROR IN CONFIG FILE",
		},
		{
			name: "a network code is the cause itself",
			lines: []string{
				"npm error code ECONNRESET",
				"npm error network aborted",
			},
			wantReason: "npm error code ECONNRESET",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, tt.wantContext)
		})
	}
}

// reasonCase is a log written for a test and what its reason and context
// must and must not hold.
type reasonCase struct {
	name        string
	lines       []string
	wantReason  string   // a substring of the reason
	notReason   string   // not a substring of it
	wantContext []string // substrings of context lines, in order
	notContext  string   // not a substring of any context line
}

// runReasonCases checks each case as a subtest.
func runReasonCases(t *testing.T, cases []reasonCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkReason(t, tc.lines, tc.wantReason, tc.wantContext)
			ex := extract(t, strings.Join(tc.lines, "\n")+"\n", Options{})
			if tc.notReason != "" && strings.Contains(ex.Reason, tc.notReason) {
				t.Errorf("Reason = %q, want it without %q", ex.Reason, tc.notReason)
			}
			for _, c := range ex.Context {
				if tc.notContext != "" && strings.Contains(c, tc.notContext) {
					t.Errorf("Context = %q, want none with %q", ex.Context, tc.notContext)
				}
			}
		})
	}
}

// checkReason extracts the log made of lines and checks that its reason
// holds wantReason and its context, in order, a line holding each of
// wantContext.
func checkReason(t *testing.T, lines []string, wantReason string, wantContext []string) {
	t.Helper()
	ex := extract(t, strings.Join(lines, "\n")+"\n", Options{})
	if !strings.Contains(ex.Reason, wantReason) {
		t.Errorf("Reason = %q\nwant it to contain %q", ex.Reason, wantReason)
	}
	if len(ex.Context) > maxContextLines {
		t.Errorf("Context has %d lines, max %d", len(ex.Context), maxContextLines)
	}
	at := 0
	for _, want := range wantContext {
		i := slices.IndexFunc(ex.Context[min(at, len(ex.Context)):], func(c string) bool { return strings.Contains(c, want) })
		if i < 0 {
			t.Errorf("Context = %q\nwant a line containing %q (in order)", ex.Context, want)
			return
		}
		at += i + 1
	}
}
