package slackui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/sim/slacksim/slackui"
)

func get(t *testing.T, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", target, err)
	}
	return res, string(body)
}

func rev(t *testing.T, h http.Handler) string {
	t.Helper()
	_, body := get(t, h, "/state.json")
	var s struct{ Rev string }
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.Rev == "" {
		t.Fatalf("state.json = %q (%v), want {\"rev\": ...}", body, err)
	}
	return s.Rev
}

func TestPage(t *testing.T) {
	sim := workspace(t)
	h := slackui.New(sim, slackui.Options{})
	approvals := sim.ChannelID("#ci-approvals")

	tests := []struct {
		name, target string
		want, not    []string
	}{
		{"follows the latest activity", "/", []string{
			`<a class="chan follow on" href="?"`,
			`<title>#ci-alerts - ccm-sim (simulated Slack)</title>`,
			`<a class="chan selected" href="?c=C0ALERTS">`,
			`<summary>2 replies<span class="last">Last reply `, `<summary>3 replies<span class="last">Last reply `,
			`<span class="author">bob</span>`, `<span class="app">APP</span>`,
			`Only visible to you <span class="to">(shown to alice)</span>`,
			`<b>Approved</b> by <span class="mention">@bob</span>: re-running the failed jobs of run #7.<span class="edited">(edited)</span>`,
			`&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt; looking at it`,
		}, []string{hostile}},
		{"as alice: her private message is hers", "/?as=U1ALICE", []string{`Only visible to you</div>`, `as alice`}, []string{"shown to alice"}},
		{"as bob: alice's private message is not shown", "/?as=U2BOB", nil, []string{"Only visible to you"}},
		{"another channel", "/?c=" + approvals, []string{`No messages in this channel yet.`, `<a class="chan selected empty" href="?c=` + approvals + `">`}, []string{"Approve"}},
		{"unknown channel falls back", "/?c=C404", []string{`<title>#ci-alerts`}, nil},
		{"a channel asked for: no following", "/?c=C0ALERTS", []string{`<a class="chan follow" href="?"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, h, tt.target)
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("GET %s: %d %s", tt.target, res.StatusCode, res.Header.Get("Content-Type"))
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %s", tt.target, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("GET %s holds %s", tt.target, n)
				}
			}
			if t.Failed() {
				t.Logf("page:\n%s", body)
			}
		})
	}
}

// TestPageScriptPolicy: only the page's own script may run, and it carries
// the nonce the policy names.
func TestPageScriptPolicy(t *testing.T) {
	res, body := get(t, slackui.New(workspace(t), slackui.Options{}), "/")
	csp := res.Header.Get("Content-Security-Policy")
	_, after, ok := strings.Cut(csp, "script-src 'nonce-")
	if !ok {
		t.Fatalf("Content-Security-Policy = %q, want a script nonce", csp)
	}
	nonce, _, _ := strings.Cut(after, "'")
	if n := strings.Count(body, "<script"); n != 1 || !strings.Contains(body, `<script nonce="`+nonce+`">`) {
		t.Errorf("want exactly one <script>, carrying nonce %q; found %d", nonce, n)
	}
	if !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none' (nothing loaded from elsewhere)", csp)
	}
}

// TestStateChanges: the revision the page polls moves when a message is
// posted, edited or deleted or an ephemeral sent, and only then.
func TestStateChanges(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts"}, Users: map[string]string{"U1ALICE": "alice"}})
	api := slack.New(sim.Config().BotToken, slack.OptionAPIURL(sim.URL()))
	h := slackui.New(sim, slackui.Options{})
	last := rev(t, h)
	step := func(what string, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if r := rev(t, h); r == last {
			t.Errorf("after %s the revision is still %s", what, r)
		} else {
			last = r
		}
	}
	if r := rev(t, h); r != last {
		t.Errorf("nothing changed, yet the revision went from %s to %s", last, r)
	}
	var ch, ts string
	step("a post", func() (err error) {
		ch, ts, err = api.PostMessage("#ci-alerts", slack.MsgOptionText("one", false))
		return err
	})
	step("an edit", func() error {
		_, _, _, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("one, edited", false))
		return err
	})
	step("an ephemeral", func() error {
		_, err := api.PostEphemeral(ch, "U1ALICE", slack.MsgOptionText("psst", false))
		return err
	})
	step("a delete", func() error {
		_, _, err := api.DeleteMessage(ch, ts)
		return err
	})
}

func TestDeletedRootKeepsItsThread(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts"}})
	api := slack.New(sim.Config().BotToken, slack.OptionAPIURL(sim.URL()))
	ch, root, err := api.PostMessage("#ci-alerts", slack.MsgOptionText("root", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("the reply", false), slack.MsgOptionTS(root)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.DeleteMessage(ch, root); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, slackui.New(sim, slackui.Options{}), "/")
	for _, w := range []string{"This message was deleted.", "the reply", `<summary>1 reply<span class="last">Last reply `} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(body, ">root<") {
		t.Error("page still shows the deleted root's text")
	}
}

func TestWaitingAndNotFound(t *testing.T) {
	h := slackui.New(slackui.SourceFunc(func() slacksim.Workspace { return slacksim.Workspace{TeamName: "ccm-sim"} }), slackui.Options{})
	if _, body := get(t, h, "/"); !strings.Contains(body, "Waiting for the simulated workspace to start") {
		t.Errorf("an empty workspace draws %s", body)
	}
	if res, _ := get(t, h, "/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", res.StatusCode)
	}
}

// TestFollowsActivity: with no channel asked for, the page opens the one
// that got the latest message, so a watcher sees each scenario play.
func TestFollowsActivity(t *testing.T) {
	sim := workspace(t)
	h := slackui.New(sim, slackui.Options{})
	if _, body := get(t, h, "/"); !strings.Contains(body, "<title>#ci-alerts") {
		t.Fatalf("before: the page does not open #ci-alerts")
	}
	if _, err := sim.PostUserMessage("#ci-approvals", "U1ALICE", "anyone on this?", ""); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, h, "/"); !strings.Contains(body, "<title>#ci-approvals") || !strings.Contains(body, "anyone on this?") {
		t.Errorf("after a post to #ci-approvals the page does not open it:\n%s", body)
	}
	if _, body := get(t, h, "/?c=C0ALERTS"); !strings.Contains(body, "<title>#ci-alerts") {
		t.Error("a channel asked for is not the one shown")
	}
}
