package excerpt

import (
	"strings"
	"testing"
)

// TestReason_UncutAnnotation: an action's annotation cut before the cause
// yields to the step's own line, which goes on to it.
func TestReason_UncutAnnotation(t *testing.T) {
	cases := []struct{ name, log, want string }{
		{
			name: "buildx: 429 after the cut",
			log: "##[group]Run docker/build-push-action@v6\nwith:\n##[endgroup]\n" +
				"ERROR: failed to solve: node:20: failed to resolve source metadata: unexpected status from HEAD request to https://registry-1.docker.io/v2/library/node/manifests/20: 429 Too Many Requests\n" +
				"##[error]buildx failed with: ERROR: failed to solve: node:20: failed to resolve source metadata: unexpected status from HEAD request\n",
			want: "ERROR: failed to solve: node:20: failed to resolve source metadata: unexpected status from HEAD request to https://registry-1.docker.io/v2/library/node/manifests/20: 429 Too Many Requests",
		},
		{
			name: "helm action: cause after the cut",
			log: "##[group]Run deploy\nhelm upgrade\n##[endgroup]\n" +
				"Error: UPGRADE FAILED: cannot patch \"web\" with kind Deployment: Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: Required value\n" +
				"##[error]helm upgrade failed with: Error: UPGRADE FAILED: cannot patch \"web\" with kind Deployment\n",
			want: "Error: UPGRADE FAILED: cannot patch \"web\" with kind Deployment: Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: Required value",
		},
		{
			name: "an annotation as long as the line stays",
			log: "##[group]Run make\nmake\n##[endgroup]\nsrc/a.c:3:1: error: unknown type name 'foo'\n" +
				"##[error]src/a.c:3:1: error: unknown type name 'foo'\n",
			want: "src/a.c:3:1: error: unknown type name 'foo'",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex, err := Extract(strings.NewReader(c.log), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ex.Reason != c.want {
				t.Errorf("Reason = %q\nwant %q", ex.Reason, c.want)
			}
		})
	}
}
