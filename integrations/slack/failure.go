package slack

import (
	"fmt"
	"strings"

	goslack "github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
)

// Seen counts one fingerprint's failures in a thread: "seen 4 times in 3
// repositories".
type Seen struct {
	Times, Repos int
}

func (s Seen) String() string {
	if s.Times <= 1 {
		return ""
	}
	repos := "1 repository"
	if s.Repos != 1 {
		repos = fmt.Sprintf("%d repositories", s.Repos)
	}
	return fmt.Sprintf("seen %d times in %s", s.Times, repos)
}

// AlertRoot is the thread's first message: the failure (repository,
// workflow, branch, commit, author, the run) and its status line, which
// ccm keeps current by updating this message.
func AlertRoot(rec state.FailureRecord, status string, seen Seen) Message {
	title := fmt.Sprintf("CI failed: %s · %s", rec.Repo, rec.Workflow)
	commit := rec.CommitSHA
	if len(commit) > 7 {
		commit = commit[:7]
	}
	commitURL := ""
	if rec.Repo != "" && rec.CommitSHA != "" {
		commitURL = "https://github.com/" + rec.Repo + "/commit/" + rec.CommitSHA
		if base := runBase(rec.RunURL); base != "" {
			commitURL = base + "/commit/" + rec.CommitSHA
		}
	}
	blocks := []goslack.Block{
		header(title),
		fieldsSection(
			"*Repository*\n"+Escape(rec.Repo),
			"*Workflow*\n"+Escape(rec.Workflow),
			"*Branch*\n"+InlineCode(rec.Branch, 200),
			"*Commit*\n"+link(commitURL, commit),
			"*Author*\n"+Escape(rec.Actor),
			"*Run*\n"+link(rec.RunURL, fmt.Sprintf("#%d attempt %d", rec.RunID, rec.RunAttempt)),
		),
	}
	if jobs := jobList(rec.FailedJobs); jobs != "" {
		blocks = append(blocks, section("*Failed jobs*\n"+jobs))
	}
	line := "*Status:* " + status
	if s := seen.String(); s != "" {
		line += "  ·  " + s
	}
	blocks = append(blocks, section(line))
	text := fmt.Sprintf("CI failed: %s %s on %s — %s", Escape(rec.Repo), Escape(rec.Workflow), Escape(rec.Branch), status)
	return Message{Text: text, Blocks: blocks}
}

// runBase is the repository's web address from its run URL
// (https://host/owner/repo/actions/runs/1 → https://host/owner/repo), so
// a GitHub Enterprise commit link points at the right host.
func runBase(runURL string) string {
	i := strings.Index(runURL, "/actions/runs/")
	if i < 0 || !safeURL.MatchString(runURL) {
		return ""
	}
	return runURL[:i]
}

// jobList names the failed jobs (linked) and their failed steps.
func jobList(jobs []state.FailedJob) string {
	var lines []string
	for i, j := range jobs {
		if i == 8 {
			lines = append(lines, fmt.Sprintf("_and %d more_", len(jobs)-i))
			break
		}
		if j.Name == "" {
			continue
		}
		l := "• " + link(j.URL, j.Name)
		if len(j.FailedSteps) > 0 {
			l += " — step " + InlineCode(strings.Join(j.FailedSteps, ", "), 300)
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// AnalysisReply is the analysis in the failure's thread: category, risk,
// confidence, the line that says why, and the fix. Everything in it came
// from a log or a model, so all of it is escaped.
func AnalysisReply(rec state.FailureRecord) Message {
	a := rec.Analysis
	if a == nil {
		return Message{Text: "No analysis yet.", Blocks: []goslack.Block{section("No analysis yet.")}}
	}
	source := string(a.Source)
	if a.Model != "" {
		source += " (" + a.Model + ")"
	}
	blocks := []goslack.Block{
		section("*Analysis*"),
		fieldsSection(
			"*Category*\n"+Escape(string(a.Category)),
			fmt.Sprintf("*Risk*\n%d/10", a.RiskScore),
			fmt.Sprintf("*Confidence*\n%d%%", a.Confidence),
			"*Effort*\n"+Escape(string(a.Effort)),
			"*Source*\n"+Escape(source),
		),
	}
	reason := rec.FailureReason
	if a.NoFailureFound() {
		reason = "none: no failure line was found in the log"
	} else if len(rec.FailureContext) > 0 {
		reason += "\n" + strings.Join(rec.FailureContext, "\n")
	}
	if reason != "" {
		blocks = append(blocks, section("*Why it failed*\n"+Code(reason, 1000)))
	}
	if fix := strings.TrimSpace(a.ProposedFix); fix != "" {
		blocks = append(blocks, section("*Proposed fix*\n"+Escape(fix)))
	}
	if a.InvolvesApplicationCode {
		blocks = append(blocks, contextLine("The analysis says application code is involved: ccm never changes it alone."))
	}
	if rec.SuspiciousLog != "" {
		blocks = append(blocks, section(":warning: The log holds text addressed to an AI model; ccm will not act on it alone:\n"+
			Code(rec.SuspiciousLog, 500)))
	}
	text := fmt.Sprintf("Analysis: %s, risk %d/10, confidence %d%%", Escape(string(a.Category)), a.RiskScore, a.Confidence)
	return Message{Text: text, Blocks: blocks}
}

// GateReply says what ccm will do and why: the safety gate's decision,
// its mode and every reason.
func GateReply(rec state.FailureRecord) Message {
	g := rec.Gate
	if g == nil {
		return Message{Text: "The safety gate has not decided yet.", Blocks: []goslack.Block{section("The safety gate has not decided yet.")}}
	}
	head := GateHeadline(rec)
	blocks := []goslack.Block{section("*What ccm will do*\n" + head)}
	if acts := ActionList(g.Actions); acts != "" {
		blocks = append(blocks, section("*Actions*\n"+acts))
	}
	if len(g.Reasons) > 0 {
		blocks = append(blocks, section("*Why*\n"+bullets(g.Reasons)))
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("mode %s · risk %d, threshold %d (%s)",
		Escape(g.Mode), g.EffectiveRisk, g.Threshold, Escape(g.ThresholdSource))))
	return Message{Text: "ccm's decision: " + head, Blocks: blocks}
}

// GateHeadline is the gate's decision in one line.
func GateHeadline(rec state.FailureRecord) string {
	g := rec.Gate
	if g == nil {
		return "not decided yet"
	}
	var s string
	switch g.Decision {
	case "auto":
		s = "fix it alone"
	case "approval":
		s = "ask a person to approve"
	default:
		if rec.Shadow {
			return "shadow mode: ccm would do nothing (a person has to fix this) — nothing is done"
		}
		s = "nothing: a person has to fix this"
	}
	if rec.Shadow {
		return "shadow mode: ccm would " + s + " — nothing is done"
	}
	return s
}

// bullets lists gate reasons (ccm's own words, escaped all the same).
func bullets(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i == 12 {
			fmt.Fprintf(&b, "• _and %d more_\n", len(items)-i)
			break
		}
		b.WriteString("• " + Escape(it) + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ActionList says in words what each action does.
func ActionList(actions []analysis.Action) string {
	var lines []string
	for _, a := range actions {
		lines = append(lines, "• "+DescribeAction(a))
	}
	return strings.Join(lines, "\n")
}

// DescribeAction is one typed action in words; its parameters are shown
// escaped (a cache key or a PR title may come from a model).
func DescribeAction(a analysis.Action) string {
	switch a.Type {
	case analysis.ActionRerunFailedJobs:
		return "re-run the failed jobs"
	case analysis.ActionRerunWorkflow:
		return "re-run the whole workflow"
	case analysis.ActionCancelRun:
		return "cancel the run"
	case analysis.ActionDeleteCache:
		s := "delete the broken Actions cache of the failing ref (the key is read from GitHub)"
		if a.Key != "" {
			s += ", suggested key " + InlineCode(a.Key, 200)
		}
		return s
	case analysis.ActionOpenFixPR:
		s := "open a fix pull request"
		if a.Title != "" {
			s += " " + InlineCode(a.Title, 200)
		}
		if n := len(a.Files); n > 0 {
			s += fmt.Sprintf(" changing %d file(s)", n)
		}
		return s
	case analysis.ActionNone:
		return "nothing automatic"
	}
	return Escape(string(a.Type))
}

// SeenAgain is the reply for a failure added to an open thread instead of
// a new alert: which run, and where it stands.
func SeenAgain(rec state.FailureRecord, status string, seen Seen) Message {
	line := fmt.Sprintf("*Seen again* in %s · %s on %s: %s", Escape(rec.Repo), Escape(rec.Workflow),
		InlineCode(rec.Branch, 200), link(rec.RunURL, fmt.Sprintf("run #%d attempt %d", rec.RunID, rec.RunAttempt)))
	blocks := []goslack.Block{section(line), contextLine("Status: " + status)}
	if s := seen.String(); s != "" {
		blocks = append(blocks, contextLine(s))
	}
	return Message{Text: fmt.Sprintf("Seen again in %s: %s", Escape(rec.Repo), status), Blocks: blocks}
}
