// Package redacttest holds fake credentials for the tests of redact and of
// the packages that must redact (excerpt).
package redacttest

// Realistic-looking credentials, all fake: every one has the shape of its
// kind, so the redaction must remove it.
const (
	FakeGHP      = "ghp_R8tq2ZkA0bXc7YpLm4Nv9Ws1Jd6Hf3Ge5Ui0"
	FakeGHS      = "ghs_R8tq2ZkA0bXc7YpLm4Nv9Ws1Jd6Hf3Ge5Ui0"
	FakePAT      = "github_pat_11ABCDEFG0aBcDeFgHiJkL_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789aBcDeFgHiJkLmNoPqRsTuVwX"
	FakeXoxb     = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	FakeXapp     = "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123456789"
	FakeAKIA     = "AKIAIOSFODNN7EXAMPLE"
	FakeAWSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	FakeJWT      = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	FakeOpenAI   = "sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1eF3hJ5kL7n"
	FakeGoogle   = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
	FakeGitLab   = "glpat-Xy9z8W7v6U5t4S3r2Q1p"
	FakeNPM      = "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
)
