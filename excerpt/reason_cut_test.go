package excerpt

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestReasonLine_Cut: a reason longer than maxReasonLen keeps what a person
// needs: a redaction marker whole, and the end of a line that ends in a
// server's answer or in the message after a long URL or path, with "…"
// where the middle was cut. A line whose end says nothing more keeps its
// head, as before.
func TestReasonLine_Cut(t *testing.T) {
	gradle := "Could not resolve all files for configuration ':app:debugRuntimeClasspath'. > Could not resolve com.squareup.okhttp3:okhttp:4.12.0. Required by: project :app > Could not resolve com.squareup.okhttp3:okhttp:4.12.0. > Could not get resource 'https://dl.google.com/dl/android/maven2/com/squareup/okhttp3/okhttp/4.12.0/okhttp-4.12.0.pom'. > Could not GET 'https://dl.google.com/dl/android/maven2/com/squareup/okhttp3/okhttp/4.12.0/okhttp-4.12.0.pom'. Received status code 502 from server: Bad Gateway"
	cases := []struct {
		name  string
		line  string
		want  []string // substrings of the reason, in order
		not   []string // not substrings of it
		whole bool     // the plain head cut: s[:297]+"…"
	}{
		{
			name: "maven: status code and reason phrase at the end",
			line: "[ERROR] Failed to execute goal on project billing-api: Could not resolve dependencies for project org.example:billing-api:jar:1.4.0: Failed to collect dependencies at org.example.lib:ledger-core:jar:3.1.0 -> com.fasterxml.jackson.core:jackson-databind:jar:2.16.1: Failed to read artifact descriptor for com.fasterxml.jackson.core:jackson-databind:jar:2.16.1: Could not transfer artifact com.fasterxml.jackson.core:jackson-databind:pom:2.16.1 from/to central (https://repo.maven.apache.org/maven2): status code: 503, reason phrase: Service Unavailable (503) -> [Help 1]",
			want: []string{"[ERROR] Failed to execute goal on project billing-api: Could not resolve dependencies", " … ", "status code: 503, reason phrase: Service Unavailable (503) -> [Help 1]"},
		},
		{
			name: "older maven: Return code is: 502",
			line: "[ERROR] Failed to execute goal on project svc: Could not resolve dependencies for project org.example:svc:war:2.0: Failed to collect dependencies at org.example:dep-one:jar:1.0 -> org.example:dep-two:jar:2.0: Failed to read artifact descriptor for org.example:dep-two:jar:2.0: Could not transfer artifact org.example:dep-two:pom:2.0 from/to nexus (https://nexus.example.org/repository/maven-public/): Failed to transfer file https://nexus.example.org/repository/maven-public/org/example/dep-two/2.0/dep-two-2.0.pom. Return code is: 502, ReasonPhrase: Bad Gateway.",
			want: []string{"[ERROR] Failed to execute goal on project svc", " … ", "Return code is: 502, ReasonPhrase: Bad Gateway."},
		},
		{
			name: "a registry's 403 after two digests and a long URL",
			line: "error: failed to push ghcr.io/example/web@sha256:0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e: unexpected status from HEAD request to https://ghcr.io/v2/example/platform/frontend/web/blobs/sha256:0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e: 403 Forbidden (token [REDACTED:github_token] lacks write:packages)",
			want: []string{"error: failed to push ghcr.io/example/web@sha256:", " … ", "403 Forbidden (token [REDACTED:github_token] lacks write:packages)"},
		},
		{
			name: "the answer in the head: a plain cut, before the masked token",
			line: "error: failed to push ghcr.io/example/web@sha256:0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e: unexpected status from HEAD request to https://ghcr.io/v2/example/web/blobs/sha256:0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e: 403 Forbidden (token [REDACTED:github_token] lacks write:packages)",
			want: []string{"error: failed to push ghcr.io/example/web@sha256:", ": 403 Forbidden (token …"},
			not:  []string{" … ", "[REDACTED:"},
		},
		{
			name: "the message after a long URL started before the cut: a plain cut",
			line: "Error: Failed to query available provider packages: could not retrieve the list of available versions for provider example/random: could not connect to registry.example.org: failed to request discovery document: Get \"https://registry.example.org/.well-known/terraform.json\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
			want: []string{"terraform.json\": context deadline", "…"},
			not:  []string{" … "},
		},
		{
			name: "the connection reset instead of an answer",
			line: "[ERROR] Failed to execute goal on project api: Could not resolve dependencies for project org.example:api:jar:3.0.0: Could not transfer artifact org.example.util:strings:jar:1.8.2 from/to central (https://repo.maven.apache.org/maven2): GET request of: org/example/util/strings/1.8.2/strings-1.8.2.jar from central failed: Connection reset -> [Help 1]",
			want: []string{"[ERROR] Failed to execute goal on project api", " … ", "Connection reset -> [Help 1]"},
		},
		{
			name: "gradle: status at the end of a joined chain",
			line: gradle,
			want: []string{"Could not resolve all files for configuration ':app:debugRuntimeClasspath'.", " … ", "Received status code 502 from server: Bad Gateway"},
		},
		{
			name: "the message after a long path",
			line: "cp: cannot create regular file '/home/runner/work/storefront/storefront/packages/checkout/dist/assets/fonts/inter/variable/InterVariable-Italic.woff2.tmp-18392/also/a/very/deep/generated/cache/directory/that/goes/on/for/a/while/before/the/message/and/then/some/more/directories/to/pass/the/limit/InterVariable-Italic.woff2': Permission denied",
			want: []string{"cp: cannot create regular file '/home/runner/work/storefront", " … ", "Permission denied"},
		},
		{
			name: "a redaction marker at the cut is dropped whole, not split",
			line: "error: could not authenticate to https://registry.example.org/v2/team/service/manifests/latest with the credentials from the environment of the deploy job running on runner 42 in pool linux-large of the organisation example, using the service account user deploy-bot-prod-eu and token [REDACTED:github_token] and then some more words that say nothing at all, really nothing",
			not:  []string{"[REDACTED:github_t…", "[REDACTED:github_token"},
		},
		{
			name:  "nothing worth keeping at the end: the head, as before",
			line:  "Error: the following files are not formatted: " + strings.Repeat("src/components/widgets/Widget.tsx ", 12),
			whole: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := reasonLine(c.line)
			if len(got) > maxReasonLen || !utf8.ValidString(got) {
				t.Fatalf("reasonLine = %q: %d bytes (max %d), valid UTF-8 %v", got, len(got), maxReasonLen, utf8.ValidString(got))
			}
			if c.whole && got != c.line[:maxReasonLen-len("…")]+"…" {
				t.Errorf("reasonLine = %q\nwant the plain head cut", got)
			}
			at := 0
			for _, w := range c.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Errorf("reasonLine = %q\nwant %q (in order)", got, w)
					break
				}
				at += i + len(w)
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("reasonLine = %q\nwant it without %q", got, n)
				}
			}
			if strings.Count(got, "[REDACTED:") != strings.Count(got, "[REDACTED:github_token]") {
				t.Errorf("reasonLine = %q splits a redaction marker", got)
			}
		})
	}
}

// TestReason_LongMavenLineKeepsStatus: through Extract, Maven's one long
// line keeps its head and the repository's answer.
func TestReason_LongMavenLineKeepsStatus(t *testing.T) {
	runReasonCases(t, []reasonCase{{
		name: "maven 503 at the end of its only error line",
		lines: []string{
			"[INFO] BUILD FAILURE",
			"[ERROR] Failed to execute goal on project mailer: Could not resolve dependencies for project org.example:mailer:jar:0.9.2: Failed to collect dependencies at org.example:templates:jar:5.0.1 -> org.example:render-core:jar:5.0.1: Failed to read artifact descriptor for org.example:render-core:jar:5.0.1: The following artifacts could not be resolved: org.example:render-core:pom:5.0.1 (absent): Could not transfer artifact org.example:render-core:pom:5.0.1 from/to central (https://repo.maven.apache.org/maven2): status code: 503, reason phrase: Service Unavailable (503) -> [Help 1]",
			"[ERROR] ",
			"[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.",
			"Finished: FAILURE",
		},
		wantReason: "status code: 503, reason phrase: Service Unavailable (503)",
	}})
}
