package bot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestParseSlash(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want SlashCommand
		form string // set: an error naming this form
	}{
		{in: "", want: SlashCommand{Verb: "help"}},
		{in: "  HELP ", want: SlashCommand{Verb: "help"}},
		{in: "threshold", want: SlashCommand{Verb: "threshold"}},
		{in: "threshold 7", want: SlashCommand{Verb: "threshold", Set: true, Threshold: 7}},
		{in: "threshold 0 acme/web", want: SlashCommand{Verb: "threshold", Set: true, Threshold: 0, Repo: "acme/web"}},
		{in: "threshold 11", form: FormThreshold},
		{in: "threshold -1", form: FormThreshold},
		{in: "threshold seven", form: FormThreshold},
		{in: "threshold 3 not-a-repo", form: FormThreshold},
		{in: "threshold 3 a/b c", form: FormThreshold},
		{in: "audit", want: SlashCommand{Verb: "audit", Audit: AuditArgs{Limit: DefaultAuditLimit}}},
		{in: "audit repo=acme/web action=approval failure=acme/web#12.1 since=7d until=2026-12-01T10:00:00Z limit=5",
			want: SlashCommand{Verb: "audit", Audit: AuditArgs{Repo: "acme/web", Action: "approval", Failure: "acme/web#12.1",
				Since: When{Ago: 7 * 24 * time.Hour}, Until: When{At: at}, Limit: 5}}},
		{in: "audit since=2h", want: SlashCommand{Verb: "audit", Audit: AuditArgs{Since: When{Ago: 2 * time.Hour}, Limit: DefaultAuditLimit}}},
		{in: "audit action=bogus", form: FormAudit},
		{in: "audit repo", form: FormAudit},
		{in: "audit repo=", form: FormAudit},
		{in: "audit who=me", form: FormAudit},
		{in: "audit limit=0", form: FormAudit},
		{in: "audit limit=41", form: FormAudit},
		{in: "audit since=yesterday", form: FormAudit},
		{in: "audit since=-2h", form: FormAudit},
		{in: "audit failure=acme/web", form: FormAudit},
		{in: "audit repo=a/b repo=c/d", form: FormAudit},
		{in: "approvals", want: SlashCommand{Verb: "approvals"}},
		{in: "approvals now", form: FormApprovals},
		{in: "mode", want: SlashCommand{Verb: "mode"}},
		{in: "mode auto", form: FormMode},
		{in: "stats", want: SlashCommand{Verb: "stats", Since: 7 * 24 * time.Hour}},
		{in: "stats since=30d", want: SlashCommand{Verb: "stats", Since: 30 * 24 * time.Hour}},
		{in: "stats 30d", form: FormStats},
		{in: "deploy prod", form: FormHelp},
	} {
		t.Run(tc.in, func(t *testing.T) { checkParse(t, ParseSlash, tc.in, tc.want, tc.form) })
	}
}

func TestParseMention(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mention
		form string
	}{
		{in: "<@U0CCM>", want: Mention{Verb: "help"}},
		{in: "<@U0CCM> help", want: Mention{Verb: "help"}},
		{in: "<@U0CCM> status", want: Mention{Verb: "status"}},
		{in: "<@U0CCM> status now", form: FormStatus},
		{in: "<@U0CCM|ccm> failures", want: Mention{Verb: "failures", Since: DefaultFailuresSince}},
		{in: "<@U0CCM> failures acme/web since 2h", want: Mention{Verb: "failures", Repo: "acme/web", Since: 2 * time.Hour}},
		{in: "<@U0CCM> failures since=3d", want: Mention{Verb: "failures", Since: 72 * time.Hour}},
		{in: "<@U0CCM> failures since", form: FormFailures},
		{in: "<@U0CCM> failures since 2x", form: FormFailures},
		{in: "<@U0CCM> failures a/b c/d", form: FormFailures},
		{in: "<@U0CCM> show acme/web#123.1", want: Mention{Verb: "show", FailureID: "acme/web#123.1"}},
		{in: "why acme/web#123.2", want: Mention{Verb: "why", FailureID: "acme/web#123.2"}},
		{in: "<@U0CCM> fix acme/web#9.1", want: Mention{Verb: "fix", FailureID: "acme/web#9.1"}},
		{in: "<@U0CCM> fix", form: FormFix},
		{in: "<@U0CCM> show 123", form: FormShow},
		{in: "<@U0CCM> why a/b#1.1 a/b#1.2", form: FormWhy},
		{in: "<@U0CCM> analyze <https://github.com/acme/web/actions/runs/42>",
			want: Mention{Verb: "analyze", Run: runRef("github.com", "acme/web", 42, 0)}},
		{in: "<@U0CCM> analyze <https://github.com/acme/web/actions/runs/42/attempts/2|run>",
			want: Mention{Verb: "analyze", Run: runRef("github.com", "acme/web", 42, 2)}},
		{in: "<@U0CCM> analyze https://example.com/x", form: FormAnalyze},
		{in: "<@U0CCM> analyze", form: FormAnalyze},
		{in: "<@U0CCM> poll", want: Mention{Verb: "poll"}},
		{in: "<@U0CCM> poll acme/web", want: Mention{Verb: "poll", Repo: "acme/web"}},
		{in: "<@U0CCM> poll everything now", form: FormPoll},
		{in: "<@U0CCM> poll web", form: FormPoll},
		{in: "<@U0CCM> make me a sandwich", want: Mention{Verb: "help", Unknown: "make me a sandwich"}},
	} {
		t.Run(tc.in, func(t *testing.T) { checkParse(t, ParseMention, tc.in, tc.want, tc.form) })
	}
}

// checkParse checks parse(in): want, or (form set) an error naming form.
func checkParse[T any](t *testing.T, parse func(string) (T, error), in string, want T, form string) {
	t.Helper()
	got, err := parse(in)
	if form != "" {
		checkUsage(t, err, form)
		return
	}
	if err != nil {
		t.Fatalf("parse %q: %v", in, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parse %q (-want +got):\n%s", in, diff)
	}
}

func checkUsage(t *testing.T, err error, form string) {
	t.Helper()
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a *UsageError", err)
	}
	if ue.Form != form {
		t.Errorf("form = %q, want %q", ue.Form, form)
	}
	if !strings.Contains(err.Error(), form) {
		t.Errorf("error %q does not show the form %q", err, form)
	}
}

// slashForms maps each verb to the form its errors must name.
var slashForms = map[string]string{
	"threshold": FormThreshold, "audit": FormAudit, "approvals": FormApprovals,
	"stats": FormStats, "mode": FormMode,
}

// TestSlashCommandParsingProperty checks: "any text after /ccm parses either to
// a command or to an error naming the right form; the parser never
// panics". The oracle: an error's form is the form of the verb typed
// (the first word), or the help's when the verb is unknown; a command's
// verb is the word typed, or help for nothing at all.
func TestSlashCommandParsingProperty(t *testing.T) {
	verbs := []string{"threshold", "audit", "approvals", "stats", "mode", "help", "THRESHOLD", "deploy", ""}
	words := []string{"7", "11", "-1", "acme/web", "repo=a/b", "action=approval", "action=nope", "since=2h",
		"until=2026-01-02T03:04:05Z", "limit=5", "limit=999", "failure=a/b#1.1", "x=y", "=", "since=7d", "  "}
	rapid.Check(t, func(t *rapid.T) {
		verb := rapid.SampledFrom(verbs).Draw(t, "verb")
		args := rapid.SliceOfN(rapid.OneOf(rapid.SampledFrom(words), rapid.String()), 0, 4).Draw(t, "args")
		text := verb + " " + strings.Join(args, " ")
		cmd, err := ParseSlash(text)
		typed := ""
		if f := strings.Fields(text); len(f) > 0 {
			typed = strings.ToLower(f[0])
		}
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseSlash(%q): %v is not a *UsageError", text, err)
			}
			want, known := slashForms[typed]
			if !known {
				want = FormHelp
			}
			if ue.Form != want || !strings.Contains(err.Error(), want) {
				t.Fatalf("ParseSlash(%q): form %q, want %q", text, ue.Form, want)
			}
			return
		}
		want := typed
		if want == "" {
			want = "help"
		}
		if cmd.Verb != want {
			t.Fatalf("ParseSlash(%q): verb %q, want %q", text, cmd.Verb, want)
		}
		if cmd.Set && (cmd.Threshold < 0 || cmd.Threshold > 10) {
			t.Fatalf("ParseSlash(%q): threshold %d outside 0-10", text, cmd.Threshold)
		}
		if cmd.Verb == "audit" && (cmd.Audit.Limit < 1 || cmd.Audit.Limit > MaxAuditLimit) {
			t.Fatalf("ParseSlash(%q): limit %d", text, cmd.Audit.Limit)
		}
	})
}

// TestMentionParsingProperty checks: "any @ccm text gets either a
// command, the help (for text ccm does not understand: never silence), or
// an error naming the right form; the parser never panics".
func TestMentionParsingProperty(t *testing.T) {
	forms := map[string]string{"failures": FormFailures, "show": FormShow, "why": FormWhy, "status": FormStatus,
		"analyze": FormAnalyze, "poll": FormPoll, "fix": FormFix}
	verbs := []string{"failures", "show", "why", "status", "analyze", "poll", "fix", "help", "hello", ""}
	words := []string{"acme/web", "a/b#1.1", "since", "2h", "3d", "<https://github.com/a/b/actions/runs/1>", "x"}
	rapid.Check(t, func(t *rapid.T) {
		verb := rapid.SampledFrom(verbs).Draw(t, "verb")
		args := rapid.SliceOfN(rapid.OneOf(rapid.SampledFrom(words), rapid.String()), 0, 4).Draw(t, "args")
		text := "<@U0CCM> " + verb + " " + strings.Join(args, " ")
		m, err := ParseMention(text)
		typed := ""
		if f := strings.Fields(userMentionRE.ReplaceAllString(text, " ")); len(f) > 0 {
			typed = strings.ToLower(f[0])
		}
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Form != forms[typed] {
				t.Fatalf("ParseMention(%q): %v, want a usage error with form %q", text, err, forms[typed])
			}
			return
		}
		if _, known := forms[typed]; known && m.Verb != typed {
			t.Fatalf("ParseMention(%q): verb %q, want %q", text, m.Verb, typed)
		}
		if _, known := forms[typed]; !known && m.Verb != "help" {
			t.Fatalf("ParseMention(%q): verb %q, want help", text, m.Verb)
		}
	})
}

func runRef(host, repo string, id int64, attempt int) github.RunRef {
	return github.RunRef{Host: host, Repo: repo, RunID: id, Attempt: attempt}
}
