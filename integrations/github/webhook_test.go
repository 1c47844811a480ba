package github

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestVerifySignature(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	body := []byte("Hello, World!")
	// The example from GitHub's webhook documentation.
	const documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   error // nil = valid
	}{
		{name: "GitHub's documented example", secret: secret, body: body, header: documented},
		{name: "signed by the simulator", secret: secret, body: body, header: githubsim.SignWebhook(secret, body)},
		{name: "wrong secret", secret: []byte("other"), body: body, header: documented, want: ErrSignatureMismatch},
		{name: "tampered body", secret: secret, body: []byte("Hello, World?"), header: documented, want: ErrSignatureMismatch},
		{name: "missing", secret: secret, body: body, header: "", want: ErrSignatureMissing},
		{name: "sha1 header", secret: secret, body: body, header: "sha1=0123456789abcdef0123456789abcdef01234567", want: ErrSignatureMalformed},
		{name: "no prefix", secret: secret, body: body, header: strings.TrimPrefix(documented, "sha256="), want: ErrSignatureMalformed},
		{name: "not hex", secret: secret, body: body, header: "sha256=" + strings.Repeat("zz", 32), want: ErrSignatureMalformed},
		{name: "truncated", secret: secret, body: body, header: documented[:40], want: ErrSignatureMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.secret, tt.body, tt.header)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("VerifySignature = %v, want %v", err, tt.want)
			}
		})
	}
	if err := VerifySignature(nil, body, documented); err == nil {
		t.Error("an empty secret verified a signature")
	}
}

func TestParseWorkflowRunEvent(t *testing.T) {
	created := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	run := githubsim.Run{
		ID: 30433642, Attempt: 2, Name: "Build", Event: "pull_request", Conclusion: "failure",
		HeadBranch: "fix/flaky", HeadSHA: strings.Repeat("c", 40), Actor: "alice", TriggeringActor: "bob",
		FromFork: true, WorkflowID: 159038, CreatedAt: created,
	}
	tests := []struct {
		name       string
		body       []byte
		want       WorkflowRunEvent
		wantFailed bool
		wantErr    bool
	}{
		{
			name: "completed failure",
			body: githubsim.WorkflowRunEventBody("acme/web", run, "completed"),
			want: WorkflowRunEvent{Action: "completed", Repo: "acme/web", Run: Run{
				ID: 30433642, Attempt: 2, Name: "Build", Event: "pull_request", Status: "completed", Conclusion: "failure",
				HeadBranch: "fix/flaky", HeadSHA: strings.Repeat("c", 40), HTMLURL: "https://github.com/acme/web/actions/runs/30433642",
				Actor: "alice", TriggeringActor: "bob", HeadRepoFullName: "alice/web", FromFork: true, WorkflowID: 159038,
				CreatedAt: created, UpdatedAt: created, RunStartedAt: created,
			}},
			wantFailed: true,
		},
		{
			name: "completed success does not matter",
			body: githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 1, Conclusion: "success", CreatedAt: created}, "completed"),
		},
		{
			name: "in progress does not matter",
			body: githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 1, Status: "in_progress", CreatedAt: created}, "in_progress"),
		},
		{
			name:       "timed out matters",
			body:       githubsim.WorkflowRunEventBody("acme/web", githubsim.Run{ID: 1, Conclusion: "timed_out", CreatedAt: created}, "completed"),
			wantFailed: true,
		},
		{name: "garbage", body: []byte("{not json"), wantErr: true},
		{name: "empty object", body: []byte("{}"), wantErr: true},
		{name: "no workflow_run", body: []byte(`{"action":"completed","repository":{"full_name":"acme/web"}}`), wantErr: true},
		{name: "no repository", body: []byte(`{"action":"completed","workflow_run":{"id":1}}`), wantErr: true},
		{name: "wrong types", body: []byte(`{"action":"completed","workflow_run":{"id":"one"}}`), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWorkflowRunEvent(tt.body)
			if tt.wantErr {
				if !errors.Is(err, ErrMalformedResponse) {
					t.Errorf("err = %v, want ErrMalformedResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWorkflowRunEvent: %v", err)
			}
			if got.Failed() != tt.wantFailed {
				t.Errorf("Failed() = %v, want %v", got.Failed(), tt.wantFailed)
			}
			if tt.want.Action != "" {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("event (-want +got):\n%s", diff)
				}
			}
		})
	}
}
