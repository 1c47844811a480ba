package redact_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/excerpt/excerpttest"
	"github.com/ccm-ci/ccm/redact"
)

// The secret formats real CI logs leak, in the lines that leak them. The
// formats follow the providers' documented prefixes as secret scanners
// (gitleaks, GitHub secret scanning, trufflehog) know them. Every credential
// is fake and built at run time, so that no token-shaped literal sits in the
// source for push protection to flag.

const (
	b62    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b64std = b62 + "+/"
	b64url = b62 + "-_"
	hexLow = "0123456789abcdef"
)

// fk returns n characters of alphabet, spread by a fixed LCG seeded with
// seed: random-looking (every class occurs) and the same on every run.
func fk(seed uint32, n int, alphabet string) string {
	b := make([]byte, n)
	x := seed*2654435761 + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = alphabet[(x>>16)%uint32(len(alphabet))]
	}
	return string(b)
}

// Fake credentials, one per format.
var (
	cGHP      = "gh" + "p_" + fk(1, 36, b62)
	cGHO      = "gh" + "o_" + fk(2, 36, b62)
	cGHS      = "gh" + "s_" + fk(3, 36, b62)
	cGHR      = "gh" + "r_" + fk(4, 76, b62)
	cGHPAT    = "github" + "_pat_" + fk(5, 22, b62) + "_" + fk(6, 59, b62)
	cGLPAT    = "gl" + "pat-" + fk(7, 20, b64url)
	cGLDT     = "gl" + "dt-" + fk(8, 20, b62)
	cGLRT     = "gl" + "rt-" + "t1_" + fk(9, 27, b62) + ".01" + fk(10, 7, hexLow)
	cXOXB     = "xo" + "xb-" + fk(11, 13, "0123456789") + "-" + fk(12, 13, "0123456789") + "-" + fk(13, 24, b62)
	cXOXP     = "xo" + "xp-" + fk(14, 13, "0123456789") + "-" + fk(15, 13, "0123456789") + "-" + fk(16, 32, hexLow)
	cXAPP     = "xa" + "pp-1-A" + fk(17, 10, "0123456789") + "-" + fk(18, 13, "0123456789") + "-" + fk(19, 64, hexLow)
	cSlackHk  = "T0" + fk(20, 8, b62) + "/B0" + fk(21, 8, b62) + "/" + fk(22, 24, b62)
	cAKIA     = "AK" + "IA" + fk(23, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	cASIA     = "AS" + "IA" + fk(24, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	cAWSSec   = fk(25, 40, b64std)
	cAWSSess  = "IQoJb3JpZ2luX2Vj" + fk(26, 300, b64std)
	cPEMBody  = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + fk(27, 32, b64std)
	cAIza     = "AI" + "za" + fk(28, 35, b64url)
	cAcctKey  = fk(29, 86, b64std) + "=="
	cSASSig   = fk(30, 20, b62) + "%2B" + fk(31, 20, b62) + "%3D"
	cAzureAD  = "abc" + "8Q~" + fk(32, 34, b62+"_~.-")
	cNPM      = "np" + "m_" + fk(33, 36, b62)
	cPyPI     = "py" + "pi-AgEIcHlwaS5vcmc" + fk(34, 150, b64url)
	cDocker   = "dc" + "kr_pat_" + fk(35, 27, b64url)
	cOpenAI   = "sk-" + "proj-" + fk(36, 156, b64url)
	cAnth     = "sk-" + "ant-api03-" + fk(37, 93, b64url) + "AA"
	cStripe   = "sk" + "_live_" + fk(38, 99, b62)
	cStripeRK = "rk" + "_live_" + fk(39, 99, b62)
	cWhsec    = "wh" + "sec_" + fk(40, 32, b62)
	cTwilioSK = "S" + "K" + fk(41, 32, hexLow)
	cTwilioTk = fk(42, 32, hexLow)
	cSendGrid = "S" + "G." + fk(43, 22, b64url) + "." + fk(44, 43, b64url)
	cHerokuV2 = "HR" + "KU-AA" + fk(45, 58, b64url)
	cJWT      = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJ" + fk(46, 80, b64url) + "." + fk(47, 86, b64url)
	cOpaque   = "ya29." + fk(48, 120, b64url)
	cPass     = "Zq8" + fk(49, 13, b62) + "!x"
)

type corpusCase struct {
	name    string
	log     string   // one or more log lines, as a tool prints them
	secrets []string // none may survive
	kind    string   // "[REDACTED:kind]" must appear
}

func corpusPositives() []corpusCase {
	pemBlock := func(kind string) string {
		return "-----BEGIN " + kind + "PRIVATE KEY-----\n" + cPEMBody + "\n" + fk(50, 64, b64std) + "\n" + fk(51, 20, b64std) + "==\n-----END " + kind + "PRIVATE KEY-----"
	}
	saJSON := `{"type": "service_account", "project_id": "ci-prod", "private_key_id": "` + fk(52, 40, hexLow) +
		`", "private_key": "-----BEGIN PRIVATE KEY-----\n` + cPEMBody + `\n-----END PRIVATE KEY-----\n", "client_email": "ci@ci-prod.iam.gserviceaccount.com"}`
	saPretty := base64.StdEncoding.EncodeToString([]byte("{\n  \"type\": \"service_account\",\n  \"project_id\": \"ci-prod\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n" + cPEMBody + "\\n-----END PRIVATE KEY-----\\n\"\n}\n"))
	keyData := base64.StdEncoding.EncodeToString([]byte(pemBlock("RSA ") + "\n"))
	return []corpusCase{
		{"github classic token in clone url", "fatal: Authentication failed for 'https://" + cGHP + "@github.com/acme/app.git/'", []string{cGHP}, "github_token"},
		{"github oauth token from gh auth status", "  ✓ Token: " + cGHO, []string{cGHO}, "github_token"},
		{"github app token in env dump", "  GITHUB_TOKEN=" + cGHS, []string{cGHS}, "github_token"},
		{"github refresh token in json", `{"access_token":"ghu_` + fk(53, 36, b62) + `","refresh_token":"` + cGHR + `"}`, []string{cGHR, fk(53, 36, b62)}, "github_token"},
		{"github fine-grained pat in header", `curl -sS -H "Authorization: token ` + cGHPAT + `" https://api.github.com/user`, []string{cGHPAT}, "github_token"},
		{"gitlab pat in env", "export GITLAB_TOKEN=" + cGLPAT, []string{cGLPAT}, "gitlab_token"},
		{"gitlab deploy token in docker login", "docker login -u gitlab+deploy-token-42 -p " + cGLDT + " registry.gitlab.com", []string{cGLDT}, "gitlab_token"},
		{"gitlab routable runner token", "gitlab-runner register --non-interactive --url https://gitlab.com --token " + cGLRT, []string{cGLRT, cGLRT[len(cGLRT)-9:]}, "gitlab_token"},
		{"slack bot token in yaml", "  SLACK_BOT_TOKEN: " + cXOXB, []string{cXOXB}, "slack_token"},
		{"slack user token in curl", "curl -H 'Authorization: Bearer " + cXOXP + "' https://slack.com/api/chat.postMessage", []string{cXOXP}, "slack_token"},
		{"slack app token", "Connecting to Socket Mode with " + cXAPP, []string{cXAPP}, "slack_token"},
		{"slack incoming webhook", `curl -X POST -H 'Content-type: application/json' --data '{"text":"build failed"}' https://hooks.slack.com/services/` + cSlackHk, []string{cSlackHk, cSlackHk[12:]}, "slack_webhook"},
		{"aws access key id in env", "  AWS_ACCESS_KEY_ID: " + cAKIA, []string{cAKIA}, "aws_access_key_id"},
		{"aws session key id in sts json", `    "AccessKeyId": "` + cASIA + `",`, []string{cASIA}, "aws_access_key_id"},
		{"aws secret in env", "export AWS_SECRET_ACCESS_KEY=" + cAWSSec, []string{cAWSSec}, "aws_secret_access_key"},
		{"aws secret in credentials file", "aws_secret_access_key = " + cAWSSec, []string{cAWSSec}, "aws_secret_access_key"},
		{"aws secret in sts json", `    "SecretAccessKey": "` + cAWSSec + `",`, []string{cAWSSec}, "aws_secret_access_key"},
		{"aws secret on cli", "+ aws configure set aws_secret_access_key " + cAWSSec + " --profile ci", []string{cAWSSec}, "aws_secret_access_key"},
		{"aws session token in sts json", `    "SessionToken": "` + cAWSSess + `",`, []string{cAWSSess}, "token"},
		{"aws session token on cli", "aws configure set aws_session_token " + cAWSSess, []string{cAWSSess}, "token"},
		{"s3 presigned url", "GET https://b.s3.amazonaws.com/a.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + cAKIA + "%2F20240506%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=" + fk(54, 64, hexLow), []string{cAKIA, fk(54, 64, hexLow)}, "signature"},
		{"gcp service account json on one line", "+ echo '" + saJSON + "'", []string{cPEMBody, fk(52, 40, hexLow)}, "private_key"},
		{"gcp service account json pretty", "{\n  \"type\": \"service_account\",\n  \"private_key_id\": \"" + fk(52, 40, hexLow) + "\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n" + cPEMBody + "\\n-----END PRIVATE KEY-----\\n\",\n  \"client_id\": \"1234\"\n}", []string{cPEMBody}, "private_key"},
		{"gcp service account json base64", "GOOGLE_CREDENTIALS=" + saPretty, []string{saPretty[:60], saPretty[len(saPretty)-40:]}, "service_account_key"},
		{"google api key in url", "GET https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=" + cAIza + " 403", []string{cAIza}, "google_api_key"},
		{"azure storage connection string", "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=ciartifacts;AccountKey=" + cAcctKey + ";EndpointSuffix=core.windows.net", []string{cAcctKey, cAcctKey[:40]}, "azure_storage_key"},
		{"azure storage key flag", "az storage blob upload --account-name ciartifacts --account-key " + cAcctKey + " -f app.zip", []string{cAcctKey}, "azure_storage_key"},
		{"azure storage key env", "  AZURE_STORAGE_KEY: " + cAcctKey, []string{cAcctKey}, "azure_storage_key"},
		{"azure sas url", "azcopy copy 'https://ciartifacts.blob.core.windows.net/builds/app.zip?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2025-01-01T00:00:00Z&spr=https&sig=" + cSASSig + "' .", []string{cSASSig, cSASSig[:20]}, "signature"},
		{"azure ad client secret on az login", "az login --service-principal -u 5f1c2d3e-0000-4a5b-8c9d-0e1f2a3b4c5d -p " + cAzureAD + " --tenant acme.onmicrosoft.com", []string{cAzureAD}, "azure_client_secret"},
		{"npm token in env", "  NODE_AUTH_TOKEN: " + cNPM, []string{cNPM}, "npm_token"},
		{"npmrc authToken other registry", "//artifactory.acme.io/api/npm/npm/:_authToken=AKCp8" + fk(55, 60, b62), []string{fk(55, 60, b62)}, "token"},
		{"npmrc basic auth", "//registry.acme.io/:_auth=" + base64.StdEncoding.EncodeToString([]byte("ci:"+cPass)), []string{base64.StdEncoding.EncodeToString([]byte("ci:" + cPass))}, "basic_auth"},
		{"pypi token in twine upload", "twine upload -u __token__ -p " + cPyPI + " dist/*", []string{cPyPI, cPyPI[:40]}, "pypi_token"},
		{"pypi token in env", "  TWINE_PASSWORD: " + cPyPI, []string{cPyPI}, "pypi_token"},
		{"docker hub pat", "+ docker login -u acmebot -p " + cDocker, []string{cDocker}, "docker_token"},
		{"docker login password flag", "docker login -u acmebot -p " + cPass + " registry.acme.io", []string{cPass}, "password"},
		{"password starting with a caret", "  password: ^" + cPass, []string{cPass}, "password"},
		{"password after a caret and a dash", "DB_PASSWORD=^5-CorrectHorseBattery9", []string{"5-CorrectHorseBattery9"}, "password"},
		{"password after a caret, digits only", "DB_PASSWORD=^123456789", []string{"123456789"}, "password"},
		{"password like a pre-release", `PASSWORD=">=1.0-hunter2XYZ"`, []string{"hunter2XYZ"}, "password"},
		{"url user named token, password with a slash", "git clone https://token:AbCd/EfGh+IjKl9876@github.com/acme/app.git", []string{"AbCd/EfGh+IjKl9876"}, "token"},
		{"url user named password, password with a hash", "https://password:s3cr3t#Pa55@git.acme.io/app.git", []string{"s3cr3t#Pa55"}, "password"},
		{"docker login long password flag", "docker login --username acmebot --password " + cPass + " registry.acme.io", []string{cPass}, "password"},
		{"docker login password on stdin", "+ echo '" + cPass + "' | docker login ghcr.io -u acmebot --password-stdin", []string{cPass}, "password"},
		{"docker config auth", `		"auth": "` + base64.StdEncoding.EncodeToString([]byte("acmebot:"+cPass)) + `"`, []string{base64.StdEncoding.EncodeToString([]byte("acmebot:" + cPass))}, "basic_auth"},
		{"openai key in error", "openai.AuthenticationError: Incorrect API key provided: " + cOpenAI + ".", []string{cOpenAI}, "openai_key"},
		{"anthropic key in env", "ANTHROPIC_API_KEY=" + cAnth, []string{cAnth}, "anthropic_key"},
		{"anthropic key in header", "> x-api-key: " + cAnth, []string{cAnth}, "anthropic_key"},
		{"stripe secret key", "  STRIPE_SECRET_KEY: " + cStripe, []string{cStripe}, "stripe_key"},
		{"stripe restricted key in error", "Stripe::AuthenticationError: Invalid API Key provided: " + cStripeRK, []string{cStripeRK}, "stripe_key"},
		{"stripe webhook secret", "stripe listen: Ready! Your webhook signing secret is " + cWhsec, []string{cWhsec}, "stripe_webhook_secret"},
		{"twilio auth token", "TWILIO_AUTH_TOKEN=" + cTwilioTk, []string{cTwilioTk}, "token"},
		{"twilio api key and secret flags", "twilio api:core:messages:create --api-key " + cTwilioSK + " --api-secret " + cPass, []string{cTwilioSK, cPass}, "twilio_api_key"},
		{"sendgrid key", "SENDGRID_API_KEY=" + cSendGrid, []string{cSendGrid}, "sendgrid_key"},
		{"heroku legacy uuid key", "  HEROKU_API_KEY: 8d2f4c1a-3b5e-4f6a-9c7d-1e2f3a4b5c6d", []string{"8d2f4c1a-3b5e-4f6a-9c7d-1e2f3a4b5c6d"}, "api_key"},
		{"heroku v2 key", "heroku: using " + cHerokuV2, []string{cHerokuV2}, "heroku_key"},
		{"rsa pem block", "Run ssh-add\n" + pemBlock("RSA ") + "\nIdentity added", []string{cPEMBody, fk(50, 64, b64std), fk(51, 20, b64std)}, "private_key"},
		{"openssh block", pemBlock("OPENSSH "), []string{cPEMBody, fk(50, 64, b64std)}, "private_key"},
		{"encrypted pkcs8 block", pemBlock("ENCRYPTED "), []string{cPEMBody}, "private_key"},
		{"pgp block with armor headers", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\nComment: ci signing key\n\nlQOYBF" + fk(56, 58, b64std) + "\n" + fk(57, 64, b64std) + "\n=" + fk(58, 4, b64std) + "\n-----END PGP PRIVATE KEY BLOCK-----\ngpg: key imported", []string{fk(56, 58, b64std), fk(57, 64, b64std)}, "private_key"},
		{"pem in escaped json", `  "key": "-----BEGIN EC PRIVATE KEY-----\n` + cPEMBody + `\n-----END EC PRIVATE KEY-----\n"`, []string{cPEMBody}, "private_key"},
		{"kubeconfig client key data", "    client-key-data: " + keyData, []string{keyData[:60], keyData[len(keyData)-40:]}, "private_key"},
		{"jwt in bearer header", "> Authorization: Bearer " + cJWT, []string{cJWT, cJWT[37:]}, "jwt"},
		{"jwt in url fragment", "redirect to https://app.acme.io/cb#id_token=" + cJWT + "&state=x", []string{cJWT}, "jwt"},
		{"basic auth in https url", "git clone https://ci-bot:" + cPass + "@git.acme.io/acme/app.git", []string{cPass}, "url_credentials"},
		{"password with at sign in url", "Cloning into 'app'... https://bot:p@ss" + cTwilioTk + "@git.acme.io/app", []string{"ss" + cTwilioTk, cTwilioTk}, "url_credentials"},
		{"postgres url", "DATABASE_URL=postgres://app:" + cPass + "@db.internal:5432/app?sslmode=require", []string{cPass}, "url_credentials"},
		{"redis url without user", "connecting to redis://:" + cPass + "@cache:6379/0", []string{cPass}, "url_credentials"},
		{"token query parameter", "GET https://api.acme.io/v1/builds?token=" + cTwilioTk + "&page=2 401", []string{cTwilioTk}, "token"},
		{"access token query parameter", "Fetching https://gitlab.acme.io/api/v4/projects/1/jobs?access_token=" + fk(59, 40, b62), []string{fk(59, 40, b62)}, "token"},
		{"private token query parameter", "curl https://gitlab.acme.io/api/v4/projects?private_token=" + fk(60, 20, b62), []string{fk(60, 20, b62)}, "token"},
		{"bearer header from curl -v", "> Authorization: Bearer " + cOpaque, []string{cOpaque}, "authorization"},
		{"basic header", "> Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("ci:"+cPass)), []string{base64.StdEncoding.EncodeToString([]byte("ci:" + cPass))}, "authorization"},
		{"proxy authorization", "Proxy-Authorization: Basic " + fk(61, 24, b64std), []string{fk(61, 24, b64std)}, "authorization"},
		{"go header map", "request headers: map[Accept:[application/json] Authorization:[Bearer " + cOpaque + "]]", []string{cOpaque}, "authorization"},
		{"bare bearer token", "retrying request with Bearer " + cOpaque + " (attempt 2)", []string{cOpaque}, "bearer_token"},
		{"x auth token header", "X-Auth-Token: " + fk(62, 40, b62), []string{fk(62, 40, b62)}, "token"},
		{"mysql attached password", "+ mysql -h db -u root -p" + cPass + " app < schema.sql", []string{cPass}, "password"},
		{"sshpass", "sshpass -p " + cPass + " ssh -o StrictHostKeyChecking=no deploy@10.0.0.5", []string{cPass}, "password"},
		{"helm password flag", "helm repo add acme https://charts.acme.io --username ci --password " + cPass, []string{cPass}, "password"},
		{"curl user flag", "curl -fsSL -u admin:" + cPass + " https://nexus.acme.io/repository/raw/app.tgz", []string{cPass}, "password"},
		{"token flag", "codecov upload-process --token " + fk(63, 36, hexLow) + " -f coverage.xml", []string{fk(63, 36, hexLow)}, "token"},
		{"gpg passphrase flag", "gpg --batch --pinentry-mode loopback --passphrase " + cPass + " --sign dist/app.tar.gz", []string{cPass}, "password"},
		{"openssl passin", "openssl pkcs12 -in cert.p12 -passin pass:" + cPass + " -nodes", []string{cPass}, "password"},
		{"yaml password", "    password: " + cPass, []string{cPass}, "password"},
		{"yaml secret", "    client_secret: \"" + fk(64, 32, b62) + "\"", []string{fk(64, 32, b62)}, "secret"},
		{"env pass suffix", "  DB_PASS=" + cPass, []string{cPass}, "password"},
		{"add-mask echoed by set -x", "+ echo '::add-mask::" + cPass + "'", []string{cPass}, "masked_value"},
	}
}

// Lines that look secret-adjacent but hold nothing to hide.
var corpusNegatives = []struct{ name, line string }{
	{"commit sha", "HEAD is now at 3a2844b7e9c422d3c10d287c895573f7108da1b3 fix: retry flaky upload"},
	{"short sha", "Merge 4f3c2b1 into 9e8d7c6"},
	{"uuid", "Request ID: 123e4567-e89b-12d3-a456-426614174000"},
	{"sha256 digest", "Digest: sha256:2d0a1f5e6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e"},
	{"image by digest", "docker pull ghcr.io/acme/app@sha256:2d0a1f5e6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e"},
	{"base64 of plain json", "data: " + base64.StdEncoding.EncodeToString([]byte(`{"name":"ccm","version":"1.2.3","description":"watches CI runs"}`))},
	{"base64 of pretty json", "config=" + base64.StdEncoding.EncodeToString([]byte("{\n  \"type\": \"external_account\",\n  \"audience\": \"//iam.googleapis.com/projects/1\"\n}"))},
	{"base64 certificate", "    certificate-authority-data: " + base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+gAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n-----END CERTIFICATE-----\n"))},
	{"base64 text", "echo VGhpcyBpcyBub3QgYSBzZWNyZXQsIGp1c3QgYSBzZW50ZW5jZS4= | base64 -d"},
	{"token word alone", "Error: Input required and not supplied: token"},
	{"password word alone", `psql: error: FATAL:  password authentication failed for user "postgres"`},
	{"password prompt", "Password for 'https://ci-bot@github.com': "},
	{"password masked", "  password: ***"},
	{"token masked", "  GITHUB_TOKEN: ***"},
	{"checkout extraheader masked", "git config --local http.https://github.com/.extraheader AUTHORIZATION: basic ***"},
	{"secret reference", "  token: ${{ secrets.NPM_TOKEN }}"},
	{"npm integrity", `      "integrity": "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUR5dEFJ1x0gNs7fbA==",`},
	{"go sum", "github.com/stretchr/testify v1.8.4 h1:CcVxjf3Q8PM0mHUKJCdn+eZZtm5yQwehR5yeSVQQcUk="},
	{"go sum mod", "github.com/stretchr/testify v1.8.4/go.mod h1:sz/lmYIOXD/1dqDmKjjqLyZ2RngseejIcXlSw2iwfAo="},
	{"pip hash", "    --hash=sha256:4c1a2b3d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"},
	{"mkdir -p", "mkdir -p /home/runner/.docker && docker login ghcr.io -u acmebot --password-stdin"},
	{"docker run -p", "docker run -d -p 8080:80 --name web nginx:1.25"},
	{"ssh -p", "ssh -p 2222 deploy@10.0.0.5 'systemctl restart app'"},
	{"mysql prompt flag", "mysql -u root -p appdb"},
	{"docker login from variable", `echo "$CR_PAT" | docker login ghcr.io -u acmebot --password-stdin`},
	{"curl user without password", "curl -u admin https://nexus.acme.io/service/rest/v1/status"},
	{"go test pass", "--- PASS: TestRedactLine (0.00s)"},
	{"automake pass", "PASS: tests/test-suite.sh"},
	{"action ref", "Run actions/checkout@v4"},
	{"public key", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7" + "vbqajDhA4kT0dqI4RmPuDuNp0CyIcrXxBkRlw deploy@ci"},
	{"certificate header", "-----BEGIN CERTIFICATE-----"},
	{"stripe publishable key", "pk_live_" + fk(65, 24, b62)},
	{"twilio account sid", "Twilio account AC" + fk(66, 32, hexLow) + " rate limited"},
	{"docker auth challenge", `WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"`},
	{"aws arn", "assumed role arn:aws:iam::123456789012:role/ci-deploy"},
	{"cache key", "Cache restored from key: node-cache-Linux-x64-npm-4f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f"},
	{"max tokens", "max_tokens=4096 temperature=0.2"},
	{"tokenizers flag", "TOKENIZERS_PARALLELISM=false"},
	{"secrets inherit", "    secrets: inherit"},
	{"gpg signature", `gpg: Good signature from "Acme Release <release@acme.io>"`},
	{"secret id flag", "aws secretsmanager get-secret-value --secret-id prod/app/db-credentials-2024"},
	{"token file flag", "vault login -method=kubernetes --token-file /var/run/secrets/kubernetes.io/serviceaccount/token"},
	{"sk-learn package", "Collecting sk-learn-compatible-estimator-v2"},
	{"task id", "task-0123456789abcdefghijKLMNOP finished"},
	{"gitlab word", "Running with gitlab-runner 16.11.0 (91a27b2a)"},
	{"add-mask of variable", `echo "::add-mask::$DEPLOY_KEY"`},
	{"where a password is", "  KEY_PASSWORD_FILE=/tmp/keystore.pass"},
	{"a rule about passwords", "password_min_length=12 password_max_length=64"},
	{"docker's own warning", " WARNING! Using --password via the CLI is insecure. Use --password-stdin."},
	{"crate named for passwords", "error: failed to select a version for the requirement `rpassword = \"^7.0.0\"`"},
	{"version range", `keyring-password = ">=1.2, <2.0"`},
	{"url credentials masked by gitlab", "fatal: unable to access 'https://gitlab-ci-token:xxxxxxxxxxxxxxxxxxxx@gitlab.com/acme/app.git/': The requested URL returned error: 500"},
	{"url credentials masked, user named for tokens", "fatal: unable to access 'https://gitlab-ci-token:xxxxxxxxxxxxxxxxxxxx@gitlab.com/##REDACTED##/app.git/': The requested URL returned error: 403"},
	{"url credentials masked by npm", "npm ERR! 404 Not Found - GET http://localhost:***@types%2fyargs - no such package available"},
}

func TestRedact_Corpus(t *testing.T) {
	for _, tc := range corpusPositives() {
		t.Run(tc.name, func(t *testing.T) {
			got := redact.Redact(tc.log)
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Errorf("Redact keeps %q:\n%s", s, got)
				}
			}
			if marker := "[REDACTED:" + tc.kind + "]"; !strings.Contains(got, marker) {
				t.Errorf("Redact lacks %s:\n%s", marker, got)
			}
			if again := redact.Redact(got); again != got {
				t.Errorf("not idempotent:\n%s\n->\n%s", got, again)
			}
			lines := strings.Split(tc.log, "\n")
			lines = append(lines, "##[error]Process completed with exit code 1.")
			ex, err := excerpt.Extract(strings.NewReader(excerpttest.GHLog(lines...)), excerpt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			all := ex.Text() + ex.Reason + strings.Join(ex.ErrorLines, "\n")
			for _, s := range tc.secrets {
				if strings.Contains(all, s) {
					t.Errorf("Extract keeps %q:\n%s", s, ex.Text())
				}
			}
		})
	}
}

func TestRedact_CorpusNegatives(t *testing.T) {
	for _, tc := range corpusNegatives {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact.Redact(tc.line); got != tc.line {
				t.Errorf("Redact changed an innocent line:\n got %q\nwant %q", got, tc.line)
			}
		})
	}
}

// Real CI logs from public projects hold almost no secrets: redaction must
// leave every line of the visible sets as it was, but for the few logs
// below, whose lines do carry a credential or a value ccm cannot tell from
// one (kept redacted on purpose).
func TestRedact_RealLogsUntouched(t *testing.T) {
	redacted := map[string]string{
		"a-oracle-setup-java-bad-semver":        "server-password: GITHUB_TOKEN: the name of a variable, but a password may be all capitals too",
		"c7b-sneakers-travis-order-flaky":       "amqp://guest:guest@ and amqp://someuser:somepassword@: credentials in a URL",
		"c11b-gitlab-spack-artifact-upload-500": "token=A2Ehhxi2: the GitLab runner's job token prefix",
	}
	for _, set := range cilogs.Visible() {
		for _, fx := range set {
			_, want := redacted[fx.ID]
			changed := false
			for _, l := range strings.Split(fx.Log, "\n") {
				if got := redact.RedactLine(l); got != l {
					changed = true
					if !want {
						t.Errorf("%s: RedactLine changed a real log line:\n got %q\nwant %q", fx.ID, got, l)
					}
				}
			}
			if want && !changed {
				t.Errorf("%s: no longer redacted (%s); take it off the list", fx.ID, redacted[fx.ID])
			}
		}
	}
}
