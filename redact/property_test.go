package redact_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/excerpt/excerpttest"
	"github.com/ccm-ci/ccm/redact"
	"pgregory.net/rapid"
)

// drawSecret draws a line holding one secret of a format Redact knows, and
// the text that must not survive.
func drawSecret(t *rapid.T) (line, secret string) {
	alnum := func(label string, n int) string {
		return rapid.StringMatching(fmt.Sprintf(`[A-Za-z0-9]{%d}`, n)).Draw(t, label)
	}
	upperNum := func(label string, n int) string {
		return rapid.StringMatching(fmt.Sprintf(`[A-Z0-9]{%d}`, n)).Draw(t, label)
	}
	// Random base62 with every class present, as real keys are.
	mixed := func(label string, n int) string {
		return "aZ9" + alnum(label, n-3)
	}
	switch kind := rapid.IntRange(0, 24).Draw(t, "kind"); kind {
	case 0:
		s := "gh" + rapid.SampledFrom([]string{"p", "o", "s", "u", "r"}).Draw(t, "p") + "_" + alnum("body", 36)
		return s, s
	case 1:
		s := "github_pat_" + alnum("a", 22) + "_" + alnum("b", 59)
		return s, s
	case 2:
		s := "xox" + rapid.SampledFrom([]string{"b", "p", "a", "r", "s", "e"}).Draw(t, "p") + "-" + alnum("a", 10) + "-" + alnum("b", 24)
		return s, s
	case 3:
		s := "xapp-1-" + alnum("a", 11) + "-" + alnum("b", 30)
		return s, s
	case 4:
		s := rapid.SampledFrom([]string{"AKIA", "ASIA"}).Draw(t, "p") + upperNum("id", 16)
		return s, s
	case 5:
		v := mixed("aws", 40)
		return rapid.SampledFrom([]string{"aws_secret_access_key = ", "AWS_SECRET_ACCESS_KEY=", `"SecretAccessKey": "`}).Draw(t, "k") + v, v
	case 6:
		s := "eyJ" + alnum("h", 20) + ".eyJ" + alnum("p", 40) + "." + alnum("s", 43)
		return s, s
	case 7:
		pass := mixed("pass", rapid.IntRange(4, 30).Draw(t, "len"))
		return "https://" + excerpttest.Word(t, "user") + ":" + pass + "@" + excerpttest.Word(t, "host") + ".example.com/x", pass
	case 8:
		v := mixed("pw", rapid.IntRange(3, 30).Draw(t, "len"))
		return rapid.SampledFrom([]string{"password=", "PASSWORD: ", "db_passwd=", `"password": "`, "--password="}).Draw(t, "k") + v, v
	case 9:
		v := mixed("tok", rapid.IntRange(8, 60).Draw(t, "len"))
		return rapid.SampledFrom([]string{"token: ", "NPM_TOKEN=", "access_token=", `"token":"`}).Draw(t, "k") + v, v
	case 10:
		v := mixed("sec", rapid.IntRange(8, 60).Draw(t, "len"))
		return rapid.SampledFrom([]string{"secret=", "CLIENT_SECRET: ", "api_key=", "X-API-KEY: "}).Draw(t, "k") + v, v
	case 11:
		v := mixed("bearer", rapid.IntRange(8, 80).Draw(t, "len"))
		return "Authorization: " + rapid.SampledFrom([]string{"Bearer ", "token ", "Basic ", ""}).Draw(t, "scheme") + v, v
	case 12:
		s := "sk-" + rapid.SampledFrom([]string{"", "proj-", "svcacct-"}).Draw(t, "p") + mixed("key", rapid.IntRange(20, 80).Draw(t, "len"))
		return s, s
	case 13:
		s := rapid.SampledFrom([]string{"glpat-", "gldt-", "glrt-", "glcbt-1_", "glptt-"}).Draw(t, "p") + alnum("gl", 20)
		return s, s
	case 14:
		s := "npm_" + alnum("npm", 36)
		return s, s
	case 15:
		s := rapid.SampledFrom([]string{"pypi-AgEIcHlwaS5vcmc", "dckr_pat_", "sk-ant-api03-", "HRKU-AA", "sk_live_", "rk_test_", "whsec_"}).Draw(t, "p") +
			mixed("body", rapid.IntRange(30, 90).Draw(t, "len"))
		return s, s
	case 16:
		s := "SG." + mixed("a", 22) + "." + mixed("b", 43)
		return s, s
	case 17:
		s := "SK" + rapid.StringMatching(`[0-9a-f]{32}`).Draw(t, "sid")
		return s, s
	case 18:
		hook := "T" + upperNum("t", 10) + "/B" + upperNum("b", 10) + "/" + mixed("secret", 24)
		return "https://hooks.slack.com/services/" + hook, hook
	case 19:
		v := mixed("acct", 86) + "=="
		return "DefaultEndpointsProtocol=https;AccountName=" + excerpttest.Word(t, "acct") + ";AccountKey=" + v + ";EndpointSuffix=core.windows.net", v
	case 20:
		v := mixed("sig", 43) + "%3D"
		return "https://a.blob.core.windows.net/c/x?sv=2022-11-02&sp=r&sig=" + v, v
	case 21:
		v := mixed("pw", rapid.IntRange(8, 30).Draw(t, "len"))
		return rapid.SampledFrom([]string{"docker login -u bot -p ", "sshpass -p ", "mysql -u root -p", "--password ", "curl -u admin:", "--api-token "}).Draw(t, "flag") + v, v
	case 22:
		v := mixed("pw", rapid.IntRange(4, 30).Draw(t, "len"))
		return "echo '" + v + "' | docker login ghcr.io -u bot --password-stdin", v
	case 23:
		v := mixed("aws", 40)
		return rapid.SampledFrom([]string{"aws configure set aws_secret_access_key ", "aws configure set aws_session_token "}).Draw(t, "k") + v, v
	default:
		v := mixed("bearer", rapid.IntRange(16, 80).Draw(t, "len"))
		return "Bearer " + v, v
	}
}

// Redact removes any generated secret of each kind embedded in random text,
// on its own line (RedactLine, idempotently) and inside a streamed log
// (Extract).
func TestRedact_PropertyRemovesSecrets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		line, secret := drawSecret(t)
		sep := func(label string) string {
			return rapid.SampledFrom([]string{" ", "\t", " (", ") ", ", ", " '"}).Draw(t, label)
		}
		text := rapid.StringMatching(`[ -~]{0,40}`).Draw(t, "before") + sep("s1") + line + sep("s2") +
			rapid.StringMatching(`[ -~]{0,40}`).Draw(t, "after")
		got := redact.RedactLine(text)
		if strings.Contains(got, secret) {
			t.Fatalf("RedactLine(%q) = %q keeps the secret", text, got)
		}
		if again := redact.RedactLine(got); again != got {
			t.Fatalf("not idempotent: %q -> %q", got, again)
		}
		log := excerpttest.GHLog("##[group]Run deploy", "##[endgroup]", excerpttest.NoiseLine(t), text, "##[error]"+text, "##[error]Process completed with exit code 1.")
		ex, err := excerpt.Extract(strings.NewReader(log), excerpt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		all := ex.Reason + ex.Section + ex.Tail + strings.Join(ex.ErrorLines, "\n") + ex.Text()
		if strings.Contains(all, secret) {
			t.Fatalf("Extract keeps the secret %q:\n%s", secret, ex.Text())
		}
	})
}

// A private key block is removed whole, whatever its body and wherever a
// window of the excerpt starts.
func TestRedact_PropertyRemovesPrivateKeys(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]string{"RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""}).Draw(t, "kind")
		body := rapid.SliceOfN(rapid.StringMatching(`[A-Za-z0-9+/]{16,64}={0,2}`), 1, 40).Draw(t, "body")
		lines := []string{"##[group]Run ssh-add", "##[endgroup]"}
		for range rapid.IntRange(0, 50).Draw(t, "noise") {
			lines = append(lines, excerpttest.NoiseLine(t))
		}
		lines = append(lines, "-----BEGIN "+kind+"PRIVATE KEY-----")
		lines = append(lines, body...)
		lines = append(lines, "-----END "+kind+"PRIVATE KEY-----", "Error: invalid format")
		tail := rapid.IntRange(1, 30).Draw(t, "tail lines")
		ex, err := excerpt.Extract(strings.NewReader(excerpttest.GHLog(lines...)), excerpt.Options{TailLines: tail, MaxSectionBytes: rapid.IntRange(256, 4096).Draw(t, "section")})
		if err != nil {
			t.Fatal(err)
		}
		all := ex.Section + "\n" + ex.Tail + "\n" + ex.Text()
		for _, b := range body {
			if strings.Contains(all, b) {
				t.Fatalf("key line %q kept:\n%s", b, all)
			}
		}
		if got := redact.Redact(strings.Join(lines, "\n")); strings.Contains(got, body[0]) {
			t.Fatalf("Redact kept key material:\n%s", got)
		}
	})
}

// precheckFragments are the pieces of every format the redactor knows, to
// build lines that come close to a secret without always being one.
var precheckFragments = []string{
	"ghp_", "github_pat_", "npm_", "dckr_pat_", "sk_live_", "rk_test_", "whsec_", "aws_secret_access_key ",
	"AWS_SESSION_TOKEN ", "xoxb-", "xoxe.xoxp-1-", "xapp-1-", "sk-", "sk-ant-", "sk-proj-", "glpat-", "gldt-",
	"glrt-", "pypi-AgE", "HRKU-", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
	"https://", "redis://:", "@", ":", "=", "password", "token", "secret", "api_key", "AccountKey", "sig", "pass",
	"Authorization", "Bearer ", "Basic ", "AKIA", "ASIA", "AIza", "eyJ", "ewogICJ", "LS0tLS1CRUdJ", ".", "SG.",
	"SK", "8Q~", "://hooks.slack.com/services/", "://discord.com/api/webhooks/1/", "::add-mask::", "--password ",
	"--token ", "--user ", "--password-stdin", "echo ", " | docker login ", "docker login ", " -p ", " -p",
	"mysql", "curl", " -u ", "-passin ", "DB_PASS", " ", "'", "\"", "[", "]", "$", "***",
}

// The cheap pre-check never says no to a line the full redaction would
// change: were it wrong, that secret would pass through unredacted.
func TestRedact_PropertyPrecheckNeverMisses(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prefixed := rapid.Custom(func(t *rapid.T) string {
			return rapid.SampledFrom(precheckFragments).Draw(t, "prefix") + rapid.StringMatching(`[A-Za-z0-9_\-]{16,100}`).Draw(t, "body")
		})
		parts := rapid.SliceOfN(rapid.OneOf(
			rapid.SampledFrom(precheckFragments),
			prefixed,
			rapid.StringMatching(`[A-Za-z0-9+/_~-]{0,48}`),
			rapid.StringMatching(`[0-9a-f]{32}`),
		), 1, 12).Draw(t, "parts")
		s := strings.Join(parts, "")
		if redact.MayContainSecret(s) {
			return
		}
		if got, open := redact.ScrubLine(s); got != s || open {
			t.Fatalf("pre-check passed %q, but redaction gives %q (open %v)", s, got, open)
		}
	})
}
