package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Webhook signature errors.
var (
	ErrSignatureMissing   = errors.New("webhook signature missing")
	ErrSignatureMalformed = errors.New("webhook signature malformed (want sha256=<64 hex digits>)")
	ErrSignatureMismatch  = errors.New("webhook signature does not match")
)

// VerifySignature checks an X-Hub-Signature-256 header ("sha256=<hex>")
// against the HMAC-SHA256 of body under secret, in constant time. An empty
// secret verifies nothing and is an error.
func VerifySignature(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return errors.New("webhook secret is not configured")
	}
	if header == "" {
		return ErrSignatureMissing
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return ErrSignatureMalformed
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return ErrSignatureMalformed
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrSignatureMismatch
	}
	return nil
}

// WorkflowRunEvent is the part of a workflow_run delivery ccm uses.
type WorkflowRunEvent struct {
	Action string // "requested", "in_progress", "completed"
	Repo   string // "owner/name"
	Run    Run
}

// Failed reports whether the delivery announces a run that completed with
// one of FailedConclusions: the only deliveries ccm acts on.
func (e WorkflowRunEvent) Failed() bool {
	return e.Action == "completed" && e.Run.Failed()
}

// ParseWorkflowRunEvent decodes a workflow_run webhook body. Check the
// signature first.
func ParseWorkflowRunEvent(body []byte) (WorkflowRunEvent, error) {
	var ev gh.WorkflowRunEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return WorkflowRunEvent{}, fmt.Errorf("parse workflow_run event: %w: %v", ErrMalformedResponse, err)
	}
	repo := ev.GetRepo().GetFullName()
	if repo == "" {
		repo = ev.GetWorkflowRun().GetRepository().GetFullName()
	}
	switch {
	case ev.GetAction() == "":
		return WorkflowRunEvent{}, fmt.Errorf("parse workflow_run event: %w: no action", ErrMalformedResponse)
	case ev.WorkflowRun == nil || ev.WorkflowRun.ID == nil:
		return WorkflowRunEvent{}, fmt.Errorf("parse workflow_run event: %w: no workflow_run", ErrMalformedResponse)
	case strings.Count(repo, "/") != 1:
		return WorkflowRunEvent{}, fmt.Errorf("parse workflow_run event: %w: no repository", ErrMalformedResponse)
	}
	return WorkflowRunEvent{Action: ev.GetAction(), Repo: repo, Run: toRun(repo, ev.WorkflowRun)}, nil
}
