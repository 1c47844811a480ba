package excerpt

import "testing"

// TestReason_Trial2Families holds the reason to the line that says why,
// for the families a new-user trial found pointing at the wrong line: a
// later step's cleanup error over the failing step's own error, an
// action's "<tool> exited with code N." over the tool's error, the JVM's
// out-of-memory header over the exit status 137 after it, a diff check's
// changed files over its exit status, a test action's count of failures
// over the assertion, and GitHub's list of workflow errors read from its
// first. Each family has a case that must not move. The logs are written
// for the test.
func TestReason_Trial2Families(t *testing.T) {
	runReasonCases(t, []reasonCase{
		{
			name: "later steps: the failing step's compile error over an always() upload's and a teardown's errors",
			lines: []string{
				"##[group]Run go build ./...",
				"go build ./...",
				"##[endgroup]",
				"# example.org/shop/billing",
				"billing/invoice.go:57:9: undefined: taxRate",
				"##[error]Process completed with exit code 1.",
				"##[group]Run actions/upload-artifact@v4",
				"##[endgroup]",
				"##[error]No files were found with the provided path: dist/reports. No artifacts will be uploaded.",
				"##[group]Run docker compose down",
				"##[endgroup]",
				"Error response from daemon: removal of container db-1 is already in progress",
				"##[error]Process completed with exit code 1.",
			},
			wantReason: "billing/invoice.go:57:9: undefined: taxRate",
			notReason:  "No files were found",
		},
		{
			name: "later steps: a failing step that says only its exit status keeps the later step's mark",
			lines: []string{
				"##[group]Run ./scripts/smoke.sh",
				"./scripts/smoke.sh",
				"##[endgroup]",
				"make: *** [Makefile:12: smoke] Error 3",
				"##[error]Process completed with exit code 2.",
				"##[group]Run actions/upload-artifact@v4",
				"##[endgroup]",
				"##[error]Failed to CreateArtifact: Artifact storage quota has been hit. Unable to upload any new artifacts.",
			},
			wantReason: "Artifact storage quota has been hit",
		},
		{
			name: "tool exit: the HCL error over the wrapper's 'exited with code'",
			lines: []string{
				"##[group]Run terraform validate",
				"##[endgroup]",
				"╷",
				"│ Error: Unsupported block type",
				"│ ",
				"│   on network.tf line 8, in resource \"aws_vpc\" \"main\":",
				"│    8:   ingress {",
				"╵",
				"##[error]Terraform exited with code 1.",
				"##[error]Process completed with exit code 1.",
			},
			wantReason: "Error: Unsupported block type",
			notReason:  "exited with code",
		},
		{
			name: "tool exit: a signal's code is the cause, not a wrapper",
			lines: []string{
				"##[group]Run npm test",
				"##[endgroup]",
				"npm ERR! code ELIFECYCLE",
				"npm ERR! errno 1",
				"##[error]Jest exited with code 137.",
				"##[error]Process completed with exit code 1.",
			},
			wantReason: "Jest exited with code 137.",
		},
		{
			name: "JVM: the out-of-memory header over the CI system's exit status 137",
			lines: []string{
				"#!/bin/bash -eo pipefail",
				"mvn -B verify",
				"[INFO] Building billing-service 2.4.0",
				"#",
				"# There is insufficient memory for the Java Runtime Environment to continue.",
				"# Native memory allocation (malloc) failed to allocate 65536 bytes for Chunk::new",
				"# An error report file with more information is saved as:",
				"# /root/repo/hs_err_pid4411.log",
				"Exited with code exit status 137",
				"CircleCI received exit code 137",
			},
			wantReason: "insufficient memory for the Java Runtime Environment",
			notReason:  "received exit code 137",
		},
		{
			name: "JVM: exit status 137 alone stays the reason",
			lines: []string{
				"#!/bin/bash -eo pipefail",
				"./gradlew check",
				"> Task :app:test FAILED",
				"CircleCI received exit code 137",
			},
			wantReason: "CircleCI received exit code 137",
		},
		{
			name: "diff check: the first changed file, the others as context",
			lines: []string{
				"##[group]Run npm run codegen && git diff --exit-code",
				"##[endgroup]",
				"> web@1.0.0 codegen",
				"> graphql-codegen",
				"diff --git a/src/gql/graphql.ts b/src/gql/graphql.ts",
				"index 1a2b3c4..5d6e7f8 100644",
				"--- a/src/gql/graphql.ts",
				"+++ b/src/gql/graphql.ts",
				"@@ -40,3 +40,4 @@ export type Query = {",
				"+  invoices: Array<Invoice>;",
				"diff --git a/src/gql/gql.ts b/src/gql/gql.ts",
				"index 9a8b7c6..0f1e2d3 100644",
				"##[error]Process completed with exit code 1.",
			},
			wantReason:  "diff --git a/src/gql/graphql.ts b/src/gql/graphql.ts",
			wantContext: []string{"diff --git a/src/gql/gql.ts"},
		},
		{
			name: "diff check: an error printed with a diff is still the reason",
			lines: []string{
				"##[group]Run gofmt -d . && go vet ./...",
				"##[endgroup]",
				"diff --git a/cmd/main.go b/cmd/main.go",
				"+\tlog.Println(\"started\")",
				"cmd/main.go:14:2: fmt.Printf format %d has arg name of wrong type string",
				"##[error]Process completed with exit code 1.",
			},
			wantReason: "cmd/main.go:14:2: fmt.Printf format %d",
		},
		{
			name: "test count: the assertion over the action's count of failures",
			lines: []string{
				"##[group]Run ./ci/e2e.sh",
				"##[endgroup]",
				"  Checkout",
				"    1) applies the coupon",
				"  1 failing",
				"  1) Checkout",
				"       applies the coupon:",
				"     AssertionError: expected '$40.00' to equal '$36.00'",
				"##[error]E2E tests failed: 1 test failed",
			},
			wantReason: "AssertionError: expected '$40.00' to equal '$36.00'",
			notReason:  "tests failed",
		},
		{
			name: "test count: a verdict with words after the count stays the reason",
			lines: []string{
				"##[group]Run ./ci/e2e.sh",
				"##[endgroup]",
				"FAIL e2e/checkout.spec.ts",
				"##[error]Tests failed: the browser disconnected before the run finished",
			},
			wantReason: "the browser disconnected before the run finished",
		},
		{
			name: "workflow: the first of GitHub's listed errors, after its verdict",
			lines: []string{
				"Invalid workflow file: .github/workflows/deploy.yml#L12",
				"The workflow is not valid. .github/workflows/deploy.yml (Line: 12, Col: 5): Unexpected value 'step'",
				".github/workflows/deploy.yml (Line: 40, Col: 11): Unexpected symbol: '}'",
			},
			wantReason: "(Line: 12, Col: 5): Unexpected value 'step'",
		},
		{
			name: "workflow: Azure's numbered list still reads from its first",
			lines: []string{
				"1) /pipelines/build.yml (Line: 3, Col: 1): Unexpected value 'job'",
				"2) /pipelines/build.yml (Line: 9, Col: 7): A mapping was not expected",
			},
			wantReason: "(Line: 3, Col: 1): Unexpected value 'job'",
		},
	})
}

// TestReason_LaterStepAfterContinueOnError: a step that failed with
// continue-on-error leaves its ##[error] exit status, and the next step's
// own error is the failure: it stays the reason (only a later step's
// cleanup words yield to the failing step's error). Written for the test.
func TestReason_LaterStepAfterContinueOnError(t *testing.T) {
	runReasonCases(t, []reasonCase{{
		name: "lint with continue-on-error, then setup-node fails",
		lines: []string{
			"##[group]Run npx eslint .",
			"##[endgroup]",
			"/home/runner/work/app/app/src/api.ts",
			"  3:1  error  Unexpected any. Specify a different type  @typescript-eslint/no-explicit-any",
			"##[error]Process completed with exit code 1.",
			"##[group]Run actions/setup-node@v4",
			"##[endgroup]",
			"##[error]Unable to find Node version '99' for platform linux and architecture x64.",
		},
		wantReason: "Unable to find Node version '99'",
	}})
}
