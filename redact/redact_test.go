package redact_test

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/redact"
	"github.com/ccm-ci/ccm/redact/redacttest"
)

// Realistic-looking credentials (all fake), shared with the excerpt tests.
const (
	fakeGHP      = redacttest.FakeGHP
	fakeGHS      = redacttest.FakeGHS
	fakePAT      = redacttest.FakePAT
	fakeXoxb     = redacttest.FakeXoxb
	fakeXapp     = redacttest.FakeXapp
	fakeAKIA     = redacttest.FakeAKIA
	fakeAWSecret = redacttest.FakeAWSecret
	fakeJWT      = redacttest.FakeJWT
	fakeOpenAI   = redacttest.FakeOpenAI
	fakeGoogle   = redacttest.FakeGoogle
	fakeGitLab   = redacttest.FakeGitLab
	fakeNPM      = redacttest.FakeNPM
)

func TestRedactLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "github classic token", in: "remote: using " + fakeGHP + " to push", want: "remote: using [REDACTED:github_token] to push"},
		{name: "github app token in env", in: "GITHUB_TOKEN=" + fakeGHS, want: "GITHUB_TOKEN=[REDACTED:github_token]"},
		{name: "github oauth user refresh", in: "gho_R8tq2ZkA0bXc7YpLm4Nv9Ws1Jd6Hf3Ge5Ui0 ghu_R8tq2ZkA0bXc7YpLm4Nv9Ws1Jd6Hf3Ge5Ui0 ghr_R8tq2ZkA0bXc7YpLm4Nv9Ws1Jd6Hf3Ge5Ui0", want: "[REDACTED:github_token] [REDACTED:github_token] [REDACTED:github_token]"},
		{name: "github fine-grained pat", in: "export GH_PAT=" + fakePAT, want: "export GH_PAT=[REDACTED:github_token]"},
		{name: "slack bot token", in: "SLACK_BOT_TOKEN: " + fakeXoxb, want: "SLACK_BOT_TOKEN: [REDACTED:slack_token]"},
		{name: "slack user token", in: "using xoxp-1234567890-1234567890123-AbCdEfGhIjKl", want: "using [REDACTED:slack_token]"},
		{name: "slack app token", in: "socket mode with " + fakeXapp, want: "socket mode with [REDACTED:slack_token]"},
		{name: "aws access key id", in: "aws_access_key_id = " + fakeAKIA, want: "aws_access_key_id = [REDACTED:aws_access_key_id]"},
		{name: "aws session key id", in: "key ASIAY34FZKBOKMUTVV7A expired", want: "key [REDACTED:aws_access_key_id] expired"},
		{name: "aws secret key lower", in: "aws_secret_access_key = " + fakeAWSecret, want: "aws_secret_access_key = [REDACTED:aws_secret_access_key]"},
		{name: "aws secret key env", in: "AWS_SECRET_ACCESS_KEY=" + fakeAWSecret, want: "AWS_SECRET_ACCESS_KEY=[REDACTED:aws_secret_access_key]"},
		{name: "pem on one line", in: `key: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n" done`, want: `key: "[REDACTED:private_key]\n" done`},
		{name: "pem begin without end", in: "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEA", want: "[REDACTED:private_key]"},
		{name: "jwt", in: "id_token " + fakeJWT + " ok", want: "id_token [REDACTED:jwt] ok"},
		{name: "url credentials", in: "git clone https://user:hunter2@example.com/org/repo.git", want: "git clone https://[REDACTED:url_credentials]@example.com/org/repo.git"},
		{name: "url credentials with token", in: "fatal: unable to access 'https://x-access-token:" + fakeGHS + "@github.com/o/r/'", want: "fatal: unable to access 'https://[REDACTED:url_credentials]@github.com/o/r/'"},
		{name: "password equals", in: "mysql -u root --password=S3cr3t!pw", want: "mysql -u root --password=[REDACTED:password]"},
		{name: "passwd colon", in: "passwd: hunter22", want: "passwd: [REDACTED:password]"},
		{name: "json password", in: `{"username": "ci", "password": "correct horse"}`, want: `{"username": "ci", "password": "[REDACTED:password]"}`},
		{name: "token colon", in: "token: 9f8e7d6c5b4a39281706f5e4d3c2b1a0", want: "token: [REDACTED:token]"},
		{name: "secret equals", in: "CLIENT_SECRET=Zq8xT4pL0vN2", want: "CLIENT_SECRET=[REDACTED:secret]"},
		{name: "api key", in: "api_key=a1b2c3d4e5f6a7b8", want: "api_key=[REDACTED:api_key]"},
		{name: "api key header", in: "X-Api-Key: 0123abcd4567efgh", want: "X-Api-Key: [REDACTED:api_key]"},
		{name: "bearer header", in: "curl -H 'Authorization: Bearer abc.def-123_456' https://api", want: "curl -H 'Authorization: Bearer [REDACTED:authorization]' https://api"},
		{name: "basic header", in: "Authorization: Basic dXNlcjpwYXNz", want: "Authorization: Basic [REDACTED:authorization]"},
		{name: "openai project key", in: "OPENAI_API_KEY=" + fakeOpenAI, want: "OPENAI_API_KEY=[REDACTED:openai_key]"},
		{name: "openai legacy key", in: "using sk-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1eF3hJ5kL7nPq", want: "using [REDACTED:openai_key]"},
		{name: "google api key", in: "key=" + fakeGoogle, want: "key=[REDACTED:google_api_key]"},
		{name: "gitlab token", in: "PRIVATE-TOKEN: " + fakeGitLab, want: "PRIVATE-TOKEN: [REDACTED:gitlab_token]"},
		{name: "npm token", in: "//registry.npmjs.org/:_authToken=" + fakeNPM, want: "//registry.npmjs.org/:_authToken=[REDACTED:npm_token]"},
		{name: "two secrets one line", in: "password=abc123 token=" + fakeGHP, want: "password=[REDACTED:password] token=[REDACTED:github_token]"},
		{name: "secret after non-secret key", in: "author=password=hunter2", want: "author=password=[REDACTED:password]"},

		// Negatives: must come out unchanged.
		{name: "word token without value", in: "Using token authentication", want: "Using token authentication"},
		{name: "token at end of line", in: "Error: Input required and not supplied: token", want: "Error: Input required and not supplied: token"},
		{name: "masked by github", in: "  token: ***", want: "  token: ***"},
		{name: "secret reference", in: "  token: ${{ secrets.GITHUB_TOKEN }}", want: "  token: ${{ secrets.GITHUB_TOKEN }}"},
		{name: "env reference", in: "password=$DB_PASSWORD", want: "password=$DB_PASSWORD"},
		{name: "commit sha", in: "HEAD is now at 3a2844b7e9c422d3c10d287c895573f7108da1b3 fix", want: "HEAD is now at 3a2844b7e9c422d3c10d287c895573f7108da1b3 fix"},
		{name: "max tokens number", in: "max_tokens=4096", want: "max_tokens=4096"},
		{name: "token count digits only", in: "tokens_used: 123456789", want: "tokens_used: 123456789"},
		{name: "tokenizer name", in: "tokenizer: bert-base-uncased", want: "tokenizer: bert-base-uncased"},
		{name: "pwd is a directory", in: "PWD=/home/runner/work/r/r", want: "PWD=/home/runner/work/r/r"},
		{name: "author", in: "Author: Jane Doe <jane@example.com>", want: "Author: Jane Doe <jane@example.com>"},
		{name: "plain url", in: "Fetching https://github.com/org/repo.git", want: "Fetching https://github.com/org/repo.git"},
		{name: "url with user only", in: "ssh://git@github.com/org/repo.git", want: "ssh://git@github.com/org/repo.git"},
		{name: "scikit learn name", in: "pip install sk-learn-compatible-estimator-v2", want: "pip install sk-learn-compatible-estimator-v2"},
		{name: "task id", in: "task-0123456789abcdefghijKLMNOP done", want: "task-0123456789abcdefghijKLMNOP done"},
		{name: "certificate is public", in: "-----BEGIN CERTIFICATE-----", want: "-----BEGIN CERTIFICATE-----"},
		{name: "pnpm error code", in: " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install", want: " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install"},
		{name: "already redacted", in: "token: [REDACTED:token]", want: "token: [REDACTED:token]"},
		{name: "placeholder", in: "password: null", want: "password: null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact.RedactLine(tt.in)
			if got != tt.want {
				t.Errorf("RedactLine(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := redact.RedactLine(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
			if redact.Redact(tt.in) != got {
				t.Errorf("Redact and RedactLine differ on one line: %q vs %q", redact.Redact(tt.in), got)
			}
		})
	}
}

func TestRedact_PEMAcrossLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "block removed",
			in: "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4UbaDzY\nProc-Type: 4,ENCRYPTED\nabc+/==\n" +
				"-----END RSA PRIVATE KEY-----\nafter",
			want: "before\n[REDACTED:private_key]\nafter",
		},
		{
			name: "text after end marker kept",
			in:   "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY----- trailing",
			want: "[REDACTED:private_key]\n trailing",
		},
		{
			name: "unterminated block ends at ordinary text",
			in:   "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nnpm error code E401",
			want: "[REDACTED:private_key]\nnpm error code E401",
		},
		{
			name: "timestamped lines",
			in: "2024-01-02T03:04:05.1Z -----BEGIN OPENSSH PRIVATE KEY-----\n2024-01-02T03:04:05.1Z b3BlbnNzaC1rZXktdjEAAAAA\n" +
				"2024-01-02T03:04:05.1Z -----END OPENSSH PRIVATE KEY-----\n2024-01-02T03:04:05.1Z ok",
			want: "2024-01-02T03:04:05.1Z [REDACTED:private_key]\n2024-01-02T03:04:05.1Z ok",
		},
		{
			name: "public key untouched",
			in:   "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZI\n-----END PUBLIC KEY-----",
			want: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZI\n-----END PUBLIC KEY-----",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.Redact(tt.in); got != tt.want {
				t.Errorf("Redact:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestExtract_RedactsEverything(t *testing.T) {
	log := strings.Join([]string{
		"2024-01-02T03:04:05.1234567Z ##[group]Run ./deploy.sh",
		"2024-01-02T03:04:05.1234567Z ./deploy.sh",
		"2024-01-02T03:04:05.1234567Z ##[endgroup]",
		"2024-01-02T03:04:06.1234567Z -----BEGIN RSA PRIVATE KEY-----",
		"2024-01-02T03:04:06.1234567Z MIIEowIBAAKCAQEAx4UbaDzYFAKEFAKEFAKE",
		"2024-01-02T03:04:06.1234567Z dGhpcyBpcyBub3QgYSByZWFsIGtleQ==",
		"2024-01-02T03:04:06.1234567Z -----END RSA PRIVATE KEY-----",
		"2024-01-02T03:04:07.1234567Z pushing with " + fakeGHP,
		"2024-01-02T03:04:07.1234567Z error: authentication failed for https://bot:" + fakeGHS + "@github.com/o/r",
		"2024-01-02T03:04:07.1234567Z ##[error]Bad credentials for token=" + fakeOpenAI,
		"2024-01-02T03:04:08.1234567Z ##[error]Process completed with exit code 1.",
	}, "\n")
	ex, err := excerpt.Extract(strings.NewReader(log), excerpt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := ex.Text() + ex.Reason + ex.Section + ex.Tail + strings.Join(ex.ErrorLines, "\n")
	for _, secret := range []string{"MIIEowIBAAKCAQEAx4UbaDzY", "dGhpcyBpcyBub3QgYSByZWFsIGtleQ", fakeGHP, fakeGHS, fakeOpenAI, "ghs_"} {
		if strings.Contains(all, secret) {
			t.Errorf("excerpt leaks %q:\n%s", secret, ex.Text())
		}
	}
	if !strings.Contains(ex.Section, "[REDACTED:private_key]") {
		t.Errorf("section lacks the key marker:\n%s", ex.Section)
	}
}
