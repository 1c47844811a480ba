package githubsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SignWebhook returns the X-Hub-Signature-256 header GitHub sends with
// body: "sha256=" and the hex HMAC-SHA256 of body under secret.
func SignWebhook(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// WorkflowRunEventBody builds the payload of a workflow_run webhook
// delivery for r in repo with action ("requested", "in_progress" or
// "completed"), with the fields GitHub sends. Zero fields of r get the same
// defaults as [Server.AddRun]; URLs point at api.github.com.
func WorkflowRunEventBody(repo string, r Run, action string) []byte {
	gh := &Server{URL: "https://api.github.com", api: "https://api.github.com"}
	if r.ID == 0 {
		r.ID = stableID(fmt.Sprintf("run:%s:%s:%d", repo, r.Name, r.CreatedAt.UnixNano()))
	}
	r = r.withDefaults(repo, time.Now())
	run := gh.runJSON(repo, r)
	// Only plain strings, numbers and times are marshalled: it cannot fail.
	body, _ := json.Marshal(map[string]any{
		"action":       action,
		"workflow_run": run,
		"workflow": map[string]any{
			"id": r.WorkflowID, "node_id": fmt.Sprintf("W_kwDO%d", r.WorkflowID), "name": r.Name,
			"path": run.Path, "state": "active", "created_at": ts(r.CreatedAt), "updated_at": ts(r.CreatedAt),
			"url":      fmt.Sprintf("https://api.github.com/repos/%s/actions/workflows/%d", repo, r.WorkflowID),
			"html_url": fmt.Sprintf("%s/%s/blob/%s/%s", htmlBase, repo, r.HeadBranch, run.Path),
			"badge_url": fmt.Sprintf("%s/%s/workflows/%s/badge.svg", htmlBase, repo,
				strings.ReplaceAll(r.Name, " ", "%20")),
		},
		"repository": gh.repo(repo, false),
		"sender":     user(r.TriggeringActor),
	})
	return body
}
