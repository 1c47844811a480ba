package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
)

// hostile is text an attacker controls (a log line, a branch name, a
// model's answer) carrying every kind of Slack markup.
var hostile = []string{
	"<!channel>", "<!here>", "<@UEVIL01>", "<http://evil.example|github.com/acme/app>", "<!subteam^S0EVIL>",
	"@channel", "```", "*bold* _it_ ~x~", "&lt;!channel&gt;", "plain",
}

// markers must never reach Slack from hostile text.
var markers = []string{"<!channel>", "<!here>", "<@UEVIL01>", "<http://evil.example", "<!subteam", "@channel"}

func hostileText(t *rapid.T, label string) string {
	parts := rapid.SliceOfN(rapid.OneOf(rapid.SampledFrom(hostile), rapid.String()), 0, 6).Draw(t, label)
	s := strings.Join(parts, " ")
	if rapid.Bool().Draw(t, label+"_long") {
		s = strings.Repeat(s+" <!channel> ", rapid.IntRange(1, 400).Draw(t, label+"_n"))
	}
	return s
}

func genRecord(t *rapid.T) (state.FailureRecord, state.Approval) {
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	var jobs []state.FailedJob
	for i := range rapid.IntRange(0, 12).Draw(t, "jobs") {
		jobs = append(jobs, state.FailedJob{ID: int64(i + 1), Name: hostileText(t, "job"), URL: "https://github.com/acme/app/actions/runs/1/job/1",
			FailedSteps: []string{hostileText(t, "step")}, StartedAt: at, CompletedAt: at.Add(time.Duration(i+1) * 90 * time.Second)})
	}
	actions := []analysis.Action{{Type: rapid.SampledFrom([]analysis.ActionType{analysis.ActionRerunFailedJobs, analysis.ActionRerunWorkflow,
		analysis.ActionDeleteCache, analysis.ActionOpenFixPR, analysis.ActionCancelRun}).Draw(t, "action"), Key: hostileText(t, "key"), Title: hostileText(t, "title")}}
	rec := state.FailureRecord{
		ID: "acme/app#1.1", Repo: "acme/app", RunID: 1, RunAttempt: 1, RunURL: "https://github.com/acme/app/actions/runs/1",
		Workflow: hostileText(t, "workflow"), Branch: hostileText(t, "branch"), CommitSHA: "0123456789abcdef", Actor: hostileText(t, "actor"),
		FailedJobs: jobs, FailureReason: hostileText(t, "reason"), FailureContext: []string{hostileText(t, "context")}, SuspiciousLog: hostileText(t, "suspicious"),
		Status: rapid.SampledFrom([]state.Status{state.StatusDetected, state.StatusAnalyzed, state.StatusAwaitingApproval,
			state.StatusRemediating, state.StatusRemediated, state.StatusFailed}).Draw(t, "status"),
		Analysis: &analysis.AnalysisResult{Category: analysis.CategoryInfrastructure, RiskScore: rapid.IntRange(0, 10).Draw(t, "risk"),
			Confidence: rapid.IntRange(0, 100).Draw(t, "confidence"), Effort: analysis.EffortLow, ProposedFix: hostileText(t, "fix"),
			Actions: actions, Source: analysis.SourceLLM, Model: hostileText(t, "model")},
		Gate: &state.GateDecision{Decision: rapid.SampledFrom([]string{"auto", "approval", "none"}).Draw(t, "decision"),
			Reasons: rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string { return hostileText(t, "r") }), 0, 30).Draw(t, "reasons"),
			Mode:    "approve", Threshold: 5, Actions: actions},
		Remediation: &state.Remediation{Steps: []state.RemediationStep{{Action: string(actions[0].Type), State: "failed", Error: hostileText(t, "err")}},
			Reason: hostileText(t, "why"), VerifyAttempt: 2, ActedAt: at},
	}
	a := state.Approval{ID: "AAAAAAAAAAAAAAAAAAAAAA", FailureID: rec.ID, Repo: rec.Repo, Actions: actions, Risk: 7,
		Reasons: rec.Gate.Reasons, RequestedAt: at, ExpiresAt: at.Add(24 * time.Hour),
		Status:    rapid.SampledFrom([]state.ApprovalStatus{state.ApprovalPending, state.ApprovalApproved, state.ApprovalRejected, state.ApprovalExpired}).Draw(t, "astatus"),
		DecidedBy: rapid.SampledFrom([]string{"U0APPROVER", "<!channel>", "ccm"}).Draw(t, "by"), DecidedAt: at.Add(time.Hour), Reason: hostileText(t, "areason")}
	return rec, a
}

// every builder, on one record.
func allMessages(rec state.FailureRecord, a state.Approval) map[string]Message {
	return map[string]Message{
		"root":      AlertRoot(rec, Status(rec, &a), Seen{Times: 4, Repos: 3}),
		"analysis":  AnalysisReply(rec),
		"gate":      GateReply(rec),
		"seen":      SeenAgain(rec, Status(rec, nil), Seen{Times: 2, Repos: 1}),
		"approval":  ApprovalRequest(rec, a, "https://acme.slack.com/archives/C1/p1"),
		"link":      ApprovalLink(a, Ref{Channel: "C0APPROVALS", TS: "1.2"}, ""),
		"remedy":    RemediationReply(rec),
		"critical":  Critical(rec.FailureReason, rec.Repo, rec.ID, "", 12),
		"notice":    Notice(rec.FailureReason),
		"undecided": GateReply(state.FailureRecord{}),
	}
}

// TestBlockKitLimitsAndEscaping: for any failure, however long or hostile
// its text (logs, the model's answer, branch and job names), every message
// ccm builds stays within Block Kit's limits and carries none of that
// text's markup: no mention, broadcast or disguised link reaches Slack.
func TestBlockKitLimitsAndEscaping(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rec, a := genRecord(t)
		for name, m := range allMessages(rec, a) {
			checkMessage(t, name, m.Fit())
		}
	})
}

// checkMessage asserts Block Kit's limits and the absence of markers.
func checkMessage(t interface {
	Helper()
	Fatalf(string, ...any)
}, name string, m Message) {
	t.Helper()
	if n := len(m.Blocks); n == 0 || n > MaxBlocks {
		t.Fatalf("%s: %d blocks", name, n)
	}
	if n := utf8.RuneCountInString(m.Text); n == 0 || n > MaxMessageText {
		t.Fatalf("%s: text of %d characters", name, n)
	}
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	limit := func(what string, s any, max int) {
		str, _ := s.(string)
		if n := utf8.RuneCountInString(str); n > max {
			t.Fatalf("%s: %s has %d characters, limit %d", name, what, n, max)
		}
	}
	text := func(o any) any { m, _ := o.(map[string]any); return m["text"] }
	for i, b := range blocks {
		switch b["type"] {
		case "header":
			limit("header", text(b["text"]), MaxHeaderText)
		case "section":
			limit("section text", text(b["text"]), MaxSectionText)
			fields, _ := b["fields"].([]any)
			if len(fields) > MaxFields {
				t.Fatalf("%s: block %d has %d fields", name, i, len(fields))
			}
			for _, f := range fields {
				limit("field", text(f), MaxFieldText)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			for _, e := range els {
				em, _ := e.(map[string]any)
				limit("button value", em["value"], MaxButtonValue)
				limit("button text", text(em["text"]), MaxButtonText)
			}
		}
	}
	for _, s := range []string{strings.Join(strs(blocks), "\n"), m.Text} {
		for _, mk := range markers {
			if strings.Contains(s, mk) {
				t.Fatalf("%s: %q reached Slack: %.300s", name, mk, s)
			}
		}
	}
}

// buttons returns the actions blocks' buttons as action_id -> value.
func buttons(t *testing.T, m Message) map[string]string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, b := range blocks {
		if b.Type == "actions" {
			for _, e := range b.Elements {
				out[e.ActionID] = e.Value
			}
		}
	}
	return out
}

// blockText is every string in m's blocks, as Slack receives them.
func blockText(t *testing.T, m Message) string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return strings.Join(strs(v), "\n")
}

// strs collects every string value in decoded JSON.
func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = append(out, strs(e)...)
		}
	case []map[string]any:
		for _, e := range x {
			out = append(out, strs(e)...)
		}
	case map[string]any:
		for _, e := range x {
			out = append(out, strs(e)...)
		}
	}
	return out
}

// TestProperty24_InteractiveButtonsInclusion (and Property 31):
// "For any approval request notification, the notification payload
// should include interactive Approve and Reject buttons" — and each
// carries only the request's ID. Once decided, the same message has no
// buttons and says who decided and when (Property 28's face in Slack).
func TestProperty24_InteractiveButtonsInclusion(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rec, a := genRecord(rt)
		m := ApprovalRequest(rec, a, "")
		got := buttons(t, m)
		if a.Status == state.ApprovalPending {
			if len(got) != 2 || got[ActionApprove] != a.ID || got[ActionReject] != a.ID {
				rt.Fatalf("pending request: buttons %v, want %s and %s valued %s", got, ActionApprove, ActionReject, a.ID)
			}
			return
		}
		if len(got) != 0 {
			rt.Fatalf("%s request still has buttons %v", a.Status, got)
		}
		want := map[state.ApprovalStatus]string{state.ApprovalApproved: "Approved by", state.ApprovalRejected: "Rejected by",
			state.ApprovalExpired: "Expired"}[a.Status]
		if body := blockText(t, m); !strings.Contains(body, want) || !strings.Contains(body, "<!date^") {
			rt.Fatalf("%s request does not say %q and when: %.400s", a.Status, want, body)
		}
		title := map[state.ApprovalStatus]string{state.ApprovalApproved: "Approved: ", state.ApprovalRejected: "Rejected: ",
			state.ApprovalExpired: "Expired: "}[a.Status] + rec.Repo
		if body := blockText(t, m); !strings.Contains(body, title) {
			rt.Fatalf("%s request is not headed %q: %.200s", a.Status, title, body)
		}
	})
}

// TestProperty23_ApprovalRequestNotification: "For any failure requiring
// approval, a Slack notification should be sent with complete failure
// details and proposed fix" — the repository, the branch, the run, what
// ccm will do, the risk, every reason (up to the shown cap), the fix, the
// cost of a re-run and the expiry.
func TestProperty23_ApprovalRequestNotification(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rec, a := genRecord(rt)
		a.Status = state.ApprovalPending
		body := blockText(t, ApprovalRequest(rec, a, ""))
		want := []string{"acme/app", rec.RunURL, fmt.Sprintf("%d/10", a.Risk), "Proposed fix", "*Expires*",
			DescribeAction(a.Actions[0])[:10]}
		if len(a.Reasons) > 0 {
			want = append(want, "Why a person is asked")
		}
		if some, _ := reruns(a.Actions); some {
			want = append(want, "runner minutes")
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				rt.Fatalf("approval request lacks %q: %.600s", w, body)
			}
		}
	})
}

// TestProperty30_AnalysisNotificationContent: "For any completed
// analysis, a notification should be sent containing classification, risk
// score, and proposed fix".
func TestProperty30_AnalysisNotificationContent(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rec, _ := genRecord(rt)
		rec.Analysis.Category = rapid.SampledFrom(analysis.Categories).Draw(rt, "category")
		body := blockText(t, AnalysisReply(rec))
		fix := Truncate(Escape(strings.TrimSpace(rec.Analysis.ProposedFix)), 200)
		fix = strings.TrimSuffix(fix, ellipsis)
		for _, w := range []string{string(rec.Analysis.Category), fmt.Sprintf("%d/10", rec.Analysis.RiskScore), fix} {
			if !strings.Contains(body, w) {
				rt.Fatalf("analysis reply lacks %q: %.600s", w, body)
			}
		}
	})
}

// TestAnalysisReplyShowsFailureContext: the lines a person needs with the
// reason (expected and received values) are shown under it, escaped.
func TestAnalysisReplyShowsFailureContext(t *testing.T) {
	rec := state.FailureRecord{
		FailureReason:  "expect(received).toBe(expected)",
		FailureContext: []string{"Expected: 90", "Received: <100>"},
		Analysis:       &analysis.AnalysisResult{Category: analysis.CategoryCode, Source: analysis.SourceRules},
	}
	body := blockText(t, AnalysisReply(rec))
	for _, w := range []string{"expect(received).toBe(expected)\nExpected: 90\nReceived: &lt;100&gt;"} {
		if !strings.Contains(body, w) {
			t.Errorf("analysis reply lacks %q:\n%s", w, body)
		}
	}
}

func TestRerunCost(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		jobs []state.FailedJob
		want string
	}{
		{"two jobs, rounded up each", []state.FailedJob{{StartedAt: at, CompletedAt: at.Add(6*time.Minute + time.Second)},
			{StartedAt: at, CompletedAt: at.Add(7 * time.Minute)}}, "re-running 2 failed jobs costs ~14 runner minutes"},
		{"one job", []state.FailedJob{{StartedAt: at, CompletedAt: at.Add(30 * time.Second)}}, "re-running 1 failed job costs ~1 runner minutes"},
		{"no timings", []state.FailedJob{{}}, "re-running 1 failed job costs an unknown number of runner minutes (GitHub gave no job timings)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RerunCost(tt.jobs).String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecisionMentionsOnlyUserIDs(t *testing.T) {
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		by, want string
	}{
		{"U0APPROVER", "Approved by <@U0APPROVER> <!date^1767261600^{date_short_pretty} at {time}|2026-01-01 10:00 UTC>"},
		{"<!channel>", "Approved by &lt;!channel&gt; <!date^"},
	}
	for _, tt := range tests {
		got := Decision(state.Approval{Status: state.ApprovalApproved, DecidedBy: tt.by, DecidedAt: at})
		if !strings.Contains(got, tt.want) {
			t.Errorf("Decision by %q = %q, want it to hold %q", tt.by, got, tt.want)
		}
	}
}

func TestFitCapsBlocks(t *testing.T) {
	var m Message
	for range 80 {
		m.Blocks = append(m.Blocks, section("x"))
	}
	m.Text = strings.Repeat("y", MaxMessageText+10)
	f := m.Fit()
	if len(f.Blocks) != MaxBlocks || utf8.RuneCountInString(f.Text) != MaxMessageText {
		t.Fatalf("Fit: %d blocks, %d characters", len(f.Blocks), utf8.RuneCountInString(f.Text))
	}
	if !strings.Contains(blockText(t, Message{Blocks: f.Blocks[MaxBlocks-1:]}), "31 more blocks left out") {
		t.Errorf("the last block does not say what was left out")
	}
}

// TestGateHeadlineShadowNone reads as a sentence in every mode.
func TestGateHeadlineShadowNone(t *testing.T) {
	rec := state.FailureRecord{Shadow: true, Gate: &state.GateDecision{Decision: "none"}}
	if got := GateHeadline(rec); strings.Contains(got, "would nothing") || !strings.Contains(got, "would do nothing") {
		t.Errorf("GateHeadline = %q", got)
	}
}
