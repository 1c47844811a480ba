package slack

import (
	"fmt"
	"math"
	"slices"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
)

// Cost is what re-running a failure's jobs costs in runner time.
type Cost struct {
	Jobs int
	// Minutes is the runner minutes the failed jobs took, each rounded up
	// to a whole minute as GitHub bills them; valid only when Known.
	Minutes int
	// Known: GitHub gave a start and end time for every failed job.
	Known bool
}

// RerunCost estimates a re-run from how long the failed jobs ran (GitHub's
// job timings, kept on the record at ingest).
func RerunCost(jobs []state.FailedJob) Cost {
	c := Cost{Jobs: len(jobs), Known: len(jobs) > 0}
	for _, j := range jobs {
		if j.StartedAt.IsZero() || !j.CompletedAt.After(j.StartedAt) {
			c.Known = false
			continue
		}
		c.Minutes += int(math.Ceil(j.CompletedAt.Sub(j.StartedAt).Minutes()))
	}
	return c
}

func (c Cost) String() string {
	jobs := "1 failed job"
	if c.Jobs != 1 {
		jobs = fmt.Sprintf("%d failed jobs", c.Jobs)
	}
	if !c.Known {
		return "re-running " + jobs + " costs an unknown number of runner minutes (GitHub gave no job timings)"
	}
	return fmt.Sprintf("re-running %s costs ~%d runner minutes", jobs, c.Minutes)
}

// reruns reports whether any action re-runs jobs, so the cost matters.
func reruns(actions []analysis.Action) (some, whole bool) {
	for _, a := range actions {
		switch a.Type {
		case analysis.ActionRerunFailedJobs:
			some = true
		case analysis.ActionRerunWorkflow:
			some, whole = true, true
		}
	}
	return some, whole
}

// decidedTitle heads a decided request ("Approved: acme/web · CI"), where
// the pending one asks ("Approval needed: …").
var decidedTitle = map[state.ApprovalStatus]string{
	state.ApprovalApproved: "Approved", state.ApprovalRejected: "Rejected", state.ApprovalExpired: "Expired",
}

// ApprovalRequest is the message in the approvals channel: exactly what
// will be done, the risk, the gate's reasons, what a re-run costs and when
// the request expires. While the request is pending it carries the Approve
// and Reject buttons, whose value is only the request ID; once decided the
// same message shows who decided and when, and no buttons.
// thread is a link to the failure's thread ("" when unknown).
func ApprovalRequest(rec state.FailureRecord, a state.Approval, thread string) Message {
	title := "Approval needed: " + rec.Repo + " · " + rec.Workflow
	if decided, ok := decidedTitle[a.Status]; ok {
		title = decided + ": " + rec.Repo + " · " + rec.Workflow
	}
	intro := fmt.Sprintf("%s failed on %s (%s).", Escape(rec.Repo), InlineCode(rec.Branch, 200),
		link(rec.RunURL, fmt.Sprintf("run #%d attempt %d", rec.RunID, rec.RunAttempt)))
	if thread != "" {
		intro += " " + link(thread, "The failure's thread")
	}
	blocks := []goslack.Block{
		header(title),
		section(intro),
		section("*ccm will*\n" + ActionList(a.Actions)),
	}
	if an := rec.Analysis; an != nil {
		blocks = append(blocks, section(fmt.Sprintf("*Analysis* %s, confidence %d%%\n", Escape(string(an.Category)), an.Confidence)+
			Code(rec.FailureReason, 600)+"\n*Proposed fix*\n"+Escape(an.ProposedFix)))
	}
	blocks = append(blocks,
		fieldsSection(fmt.Sprintf("*Risk*\n%d/10", a.Risk), "*Expires*\n"+when(a.ExpiresAt)))
	if some, whole := reruns(a.Actions); some {
		cost := RerunCost(rec.FailedJobs).String()
		if whole {
			cost += "; the whole workflow re-runs every job, so at least that"
		}
		blocks = append(blocks, section("*Cost*\n"+cost))
	}
	if len(a.Reasons) > 0 {
		blocks = append(blocks, section("*Why a person is asked*\n"+bullets(a.Reasons)))
	}
	if since := regated(rec, a); since != "" {
		blocks = append(blocks, section(since))
	}
	text := fmt.Sprintf("Approval needed for %s: %s (risk %d/10)", Escape(rec.Repo), actionWords(a.Actions), a.Risk)
	if a.Status == state.ApprovalPending {
		blocks = append(blocks, goslack.NewActionBlock(BlockApproval,
			goslack.NewButtonBlockElement(ActionApprove, a.ID, goslack.NewTextBlockObject(goslack.PlainTextType, "Approve", false, false)).
				WithStyle(goslack.StylePrimary),
			goslack.NewButtonBlockElement(ActionReject, a.ID, goslack.NewTextBlockObject(goslack.PlainTextType, "Reject", false, false)).
				WithStyle(goslack.StyleDanger),
		))
	} else {
		line := Decision(a)
		blocks = append(blocks, section(line))
		text = line
	}
	return Message{Text: text, Blocks: blocks}
}

// regated says what the gate decided when it ran again after the request
// was made (an incident closed, a threshold changed) while the request is
// still open: its reasons above are those of the moment it was asked, and
// a person reading "an incident is open" after the incident closed would
// act on a stale reason. The request itself stays with a person.
func regated(rec state.FailureRecord, a state.Approval) string {
	g := rec.Gate
	if a.Status != state.ApprovalPending || g == nil || !g.DecidedAt.After(a.RequestedAt) || slices.Equal(g.Reasons, a.Reasons) {
		return ""
	}
	var now string
	switch g.Decision {
	case "auto":
		now = "ccm could now do this alone"
	case "approval":
		now = "ccm would still ask a person"
	default:
		now = "ccm would now do nothing"
	}
	s := fmt.Sprintf("*Since it was asked* (the gate ran again %s): %s", when(g.DecidedAt), now)
	if len(g.Reasons) > 0 {
		s += ":\n" + bullets(g.Reasons)
	}
	return s + "\nThe request stays open for a person until it is decided or expires."
}

// Decision says who decided a request and when: "Approved by <@U…> at …".
func Decision(a state.Approval) string {
	switch a.Status {
	case state.ApprovalApproved:
		return fmt.Sprintf(":white_check_mark: Approved by %s %s", slackUser(a.DecidedBy), when(a.DecidedAt))
	case state.ApprovalRejected:
		s := fmt.Sprintf(":no_entry: Rejected by %s %s — nothing was done", slackUser(a.DecidedBy), when(a.DecidedAt))
		if a.Reason != "" {
			s += ": " + Escape(a.Reason)
		}
		return s
	case state.ApprovalExpired:
		s := fmt.Sprintf(":hourglass: Expired %s without a decision — nothing was done", when(a.DecidedAt))
		if a.Reason != "" && a.Reason != "approval_timeout elapsed" {
			s += " (" + Escape(a.Reason) + ")"
		}
		return s
	}
	return fmt.Sprintf(":hourglass_flowing_sand: Waiting for an approver until %s", when(a.ExpiresAt))
}

func actionWords(actions []analysis.Action) string {
	var ws []string
	for _, a := range actions {
		ws = append(ws, strings.ReplaceAll(string(a.Type), "_", " "))
	}
	return Escape(strings.Join(ws, ", "))
}

// ApprovalLink is the reply in the failure's thread pointing at the
// request in the approvals channel; it is updated with the decision.
func ApprovalLink(a state.Approval, request Ref, permalink string) Message {
	where := "in " + channelRef(request.Channel)
	if permalink != "" {
		where = link(permalink, "in the approvals channel")
	}
	line := fmt.Sprintf("*Approval requested* %s: %s", where, Decision(a))
	return Message{Text: "Approval requested: " + Decision(a), Blocks: []goslack.Block{section(line)}}
}
