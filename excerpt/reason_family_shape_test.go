package excerpt

import (
	"strings"
	"testing"
)

// TestReason_MessageShape holds the reason to the whole of a message: a
// Python traceback's exception, not the source lines its frames quote; an
// assertion's two compared values; an announced message kept whole when
// its header and it are longer than a reason. The logs are written for
// the test.
func TestReason_MessageShape(t *testing.T) {
	long := "java.io.IOException: Error downloading [https://downloads.example.org/archive/v2.3.4/libfoo-2.3.4.tar.gz] to " +
		"/private/var/tmp/_bazel_ci/0123456789abcdef/external/libfoo/v2.3.4.tar.gz: connection reset after 1,048,576 bytes while the server closed the stream"
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "Python: the exception over the raise it quotes",
			lines: []string{
				"Traceback (most recent call last):",
				`  File "/venv/lib/python3.11/site-packages/httpx/_transports.py", line 88, in read`,
				"    raise ConnectTimeout(self.pool, None, 'Connect timed out.')",
				"httpx.ConnectTimeout: HTTPSConnectionPool(host='api.example.org', port=443): Connect timed out.",
			},
			wantReason: "httpx.ConnectTimeout: HTTPSConnectionPool",
		},
		{
			name: "Python: a cut traceback's named raise over the vague source lines above it",
			lines: []string{
				`  File "/venv/lib/python3.9/contextlib.py", line 131, in __exit__`,
				"    self.gen.throw(type, value, traceback)",
				`  File "/venv/lib/python3.9/site-packages/urllib3/response.py", line 440, in _error_catcher`,
				"    raise ProtocolError('Connection broken: IncompleteRead')",
			},
			wantReason: "raise ProtocolError('Connection broken: IncompleteRead')",
		},
		{
			name: "an Expected line joined with the Received line under it",
			lines: []string{
				"Expected: \"C:/work/out/report.json\"",
				"Received: \"C:\\work\\out\\report.json\"",
				"",
				"AssertionError: expected 1 to be 0",
			},
			wantReason: "Expected: \"C:/work/out/report.json\" Received: \"C:\\work\\out\\report.json\"",
		},
		{
			name: "a long announced message kept whole without its header",
			lines: []string{
				"ERROR: An error occurred during the fetch of repository 'libfoo':",
				"   " + long,
				"ERROR: no such package '@libfoo//src': " + long,
			},
			wantReason: long,
		},
		{
			name: "Terraform: the headline joined with its boxed detail",
			lines: []string{
				"╷",
				"│ Error: Unsupported argument",
				"│ ",
				"│   on main.tf line 14, in resource \"aws_s3_bucket\" \"logs\":",
				"│   14:   acl_policy = \"private\"",
				"╵",
			},
			wantReason: "Error: Unsupported argument on main.tf line 14",
		},
		{
			name: "an HCL headline takes the cause its wrapped detail names",
			lines: []string{
				"Error: Failed to install provider",
				"",
				"Error while installing example/cloud v1.2.0: could not query",
				"provider registry for registry.example.io/example/cloud: the request",
				"failed after 2 attempts: context deadline exceeded",
			},
			wantReason: "Error: Failed to install provider Error while installing example/cloud v1.2.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
	// The header stays when the message fits with it.
	lines := []string{"ERROR: An error occurred during the fetch of repository 'libbar':", "   java.io.IOException: connection reset"}
	if got := extract(t, strings.Join(lines, "\n")+"\n", Options{}).Reason; !strings.HasPrefix(got, "ERROR: An error occurred") {
		t.Errorf("Reason = %q, want the header joined with its short message", got)
	}
}
