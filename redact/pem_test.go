package redact_test

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/redact"
)

// keyBody returns base64 lines that look like a key body, made at test
// time so no key-shaped text sits in the source.
func keyBody(t *testing.T, lines int) []string {
	t.Helper()
	out := make([]string, lines)
	for i := range out {
		b := make([]byte, 48)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		out[i] = base64.StdEncoding.EncodeToString(b)
	}
	out[lines-1] = out[lines-1][:12] + "=="
	return out
}

// Tools relay output with a prefix on every line (docker build, docker
// compose, kubectl); a key printed through them must not leak line by line.
func TestRedactPrivateKeyBehindRelayPrefixes(t *testing.T) {
	tests := []struct {
		name   string
		prefix func(i int) string
	}{
		{name: "buildkit", prefix: func(i int) string { return "#12 0." + strings.Repeat("3", 1+i%3) + " " }},
		{name: "docker compose", prefix: func(int) string { return "web-1  | " }},
		{name: "kubectl", prefix: func(int) string { return "[pod/web-7d9/app] " }},
		{name: "actions timestamp", prefix: func(int) string { return "2024-05-05T10:00:00.1234567Z " }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := keyBody(t, 6)
			var b strings.Builder
			b.WriteString(tt.prefix(0) + "-----BEGIN OPENSSH PRIVATE KEY-----\n")
			for i, l := range body {
				b.WriteString(tt.prefix(i+1) + l + "\n")
			}
			b.WriteString(tt.prefix(9) + "-----END OPENSSH PRIVATE KEY-----\n")
			b.WriteString(tt.prefix(10) + "npm error code E401\n")
			log := b.String()

			ex, err := excerpt.Extract(strings.NewReader(log), excerpt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{redact.Redact(log), ex.Text()} {
				for _, l := range body {
					if strings.Contains(out, l) {
						t.Fatalf("key line %q leaked:\n%s", l, out)
					}
				}
				if !strings.Contains(out, "npm error code E401") {
					t.Errorf("the output after the key was dropped:\n%s", out)
				}
			}
		})
	}
}

func TestLooksLikeKeyMaterial(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", true},
		{"#12 0.312 MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj", true},
		{"web-1  | MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj", true},
		{"#12 0.312 Proc-Type: 4,ENCRYPTED", true},
		{"", true},
		{"npm error code E401", false},
		{"#12 DONE 0.3s", false},
		{"Error: something failed here", false},
	}
	for _, tt := range tests {
		if got := redact.LooksLikeKeyMaterial(tt.line); got != tt.want {
			t.Errorf("looksLikeKeyMaterial(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}
