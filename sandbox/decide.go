package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sandbox/slackview"
	"github.com/ccm-ci/ccm/sim/slacksim"
)

// Decision is what a scenario's person does with an approval request:
// press Action (slack.ActionApprove or ActionReject, with Reason) as
// User, or nothing ("" Action).
type Decision struct {
	User, Action, Reason string
}

// Decider plays the person at an approval request.
type Decider interface {
	Decide(ctx context.Context, p *Play, req slacksim.Message, d Decision) error
}

// Decide hands the request to whoever plays the people.
func (p *Play) Decide(ctx context.Context, req slacksim.Message, d Decision) error {
	if p.withhold {
		p.Step("nobody answers the request (withheld)")
		return nil
	}
	return p.people.Decide(ctx, p, req, d)
}

// scripted presses what the scenario says, as the configured user.
type scripted struct{}

func (scripted) Decide(ctx context.Context, p *Play, req slacksim.Message, d Decision) error {
	switch d.Action {
	case "":
		p.Step("nobody answers the request")
		return nil
	case slackmsg.ActionReject:
		return p.Reject(ctx, d.User, p.sc.Approvals(), req, d.Reason)
	default:
		return p.Click(ctx, d.User, p.sc.Approvals(), req, d.Action)
	}
}

const terminalHelp = `  approve            press [Approve] as alice (the approver)
  reject REASON      press [Reject] as alice and give REASON
  /ccm ARGS          type a /ccm command as alice (try /ccm help, /ccm approvals, /ccm stats)
  @ccm QUESTION      mention ccm in the channel as alice (try @ccm failures, @ccm why FAILURE-ID)
  continue           let the scenario's own person do what it planned
`

// terminal lets the person at the terminal decide (--interactive).
type terminal struct {
	out   io.Writer
	w     *World
	lines chan string
	stop  chan struct{}
	once  sync.Once
}

func newTerminal(in io.Reader, out io.Writer, w *World) *terminal {
	t := &terminal{out: out, w: w, lines: make(chan string), stop: make(chan struct{})}
	go func() {
		defer close(t.lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case t.lines <- strings.TrimSpace(sc.Text()):
			case <-t.stop:
				return
			}
		}
	}()
	return t
}

// Close lets the reader go once it has a line (a terminal's read cannot
// be cut short; the process exits after this anyway).
func (t *terminal) Close() { t.once.Do(func() { close(t.stop) }) }

func (t *terminal) Decide(ctx context.Context, p *Play, req slacksim.Message, d Decision) error {
	fmt.Fprintf(t.out, "\n>>> %s: the approval request for %s is waiting. Slack shows:\n\n%s\n", p.sc.Title,
		p.asking, slackview.Channels(t.w.Slack, "", p.sc.Approvals()))
	planned := "nobody answers"
	switch d.Action {
	case slackmsg.ActionApprove:
		planned = people[d.User] + " presses [Approve]"
	case slackmsg.ActionReject:
		planned = fmt.Sprintf("%s presses [Reject] (%q)", people[d.User], d.Reason)
	}
	fmt.Fprintf(t.out, "What now? (continue: %s)\n%s", planned, terminalHelp)
	for {
		fmt.Fprint(t.out, "ccm> ")
		var line string
		var ok bool
		waiting := time.Now()
		select {
		case <-ctx.Done():
			return errStopped
		case line, ok = <-t.lines:
		}
		// The deadline is on ccm, not on the person: their time at the
		// terminal is added to it.
		p.deadline = p.deadline.Add(time.Since(waiting))
		if !ok {
			fmt.Fprintln(t.out, "(end of input: continuing)")
			return scripted{}.Decide(ctx, p, req, d)
		}
		cmd, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch {
		case cmd == "approve":
			if d.Action != slackmsg.ActionApprove {
				p.diverged = fmt.Sprintf("you pressed [Approve] (the scenario's plan: %s)", planned)
			}
			return p.Click(ctx, UserApprover, p.sc.Approvals(), req, slackmsg.ActionApprove)
		case cmd == "reject":
			if d.Action != slackmsg.ActionReject {
				p.diverged = fmt.Sprintf("you pressed [Reject] (the scenario's plan: %s)", planned)
			}
			return p.Reject(ctx, UserApprover, p.sc.Approvals(), req, rest)
		case cmd == "continue" || cmd == "c":
			return scripted{}.Decide(ctx, p, req, d)
		case cmd == "/ccm":
			t.slash(p, rest)
		case cmd == "@ccm":
			t.mention(p, rest)
		case cmd == "":
			// An empty line asks for the prompt again, as a shell does.
		case cmd == "help" || cmd == "?":
			fmt.Fprint(t.out, terminalHelp)
		default:
			fmt.Fprintf(t.out, "unknown command %q\n%s", cmd, terminalHelp)
		}
	}
}

// slash types /ccm ARGS as alice and prints ccm's answer.
func (t *terminal) slash(p *Play, args string) {
	before := len(t.w.Slack.Ephemerals(UserApprover))
	posts := len(t.w.Slack.ResponsePosts())
	sent, err := t.w.Slack.SendSlashCommand(slacksim.SlashCommand{User: UserApprover, Channel: p.sc.Approvals(), Text: args})
	if err == nil {
		_, err = t.w.Slack.WaitAck(sent.EnvelopeID, 10*time.Second)
	}
	if err != nil {
		fmt.Fprintf(t.out, "(Slack: %v)\n", err)
		return
	}
	// The answer comes in the ack or a moment later by response_url.
	_ = t.w.Slack.WaitUntil(3*time.Second, func() bool {
		return len(t.w.Slack.Ephemerals(UserApprover)) > before || len(t.w.Slack.ResponsePosts()) > posts
	})
	// An answer is an ephemeral message (the ack's or a response_url
	// post's); one posted in the channel shows in the scenario's Slack.
	for _, e := range t.w.Slack.Ephemerals(UserApprover)[before:] {
		fmt.Fprintf(t.out, "ccm (only visible to you): %s\n", slackview.Text(t.w.Slack, e.Text))
	}
}

// mention asks @ccm as alice and prints its answer in the thread.
func (t *terminal) mention(p *Play, text string) {
	sent, err := t.w.Slack.SendAppMention(slacksim.AppMention{User: UserApprover, Channel: p.sc.Approvals(), Text: text})
	if err != nil {
		fmt.Fprintf(t.out, "(Slack: %v)\n", err)
		return
	}
	bot := t.w.Slack.Config().BotUserID
	m, err := t.w.Slack.WaitForMessage(p.sc.Approvals(), func(m slacksim.Message) bool {
		return m.ThreadTS == sent.TS && m.User == bot
	}, 10*time.Second)
	if err != nil {
		fmt.Fprintf(t.out, "(no answer: %v)\n", err)
		return
	}
	fmt.Fprintf(t.out, "ccm: %s\n", slackview.Text(t.w.Slack, m.Text))
}
