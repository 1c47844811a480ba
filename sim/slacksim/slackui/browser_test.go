package slackui_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/sim/slacksim/slackui"
)

// chromium finds a headless-capable browser: $CCM_CHROMIUM, else chromium
// on PATH. Without one the browser tests skip, unless CCM_REQUIRE_BROWSER
// is set (CI installs Debian's chromium and sets it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CCM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CCM_REQUIRE_BROWSER") != "" {
		t.Fatal("CCM_REQUIRE_BROWSER is set but no chromium is on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install chromium, or set CCM_CHROMIUM); CCM_REQUIRE_BROWSER=1 makes this a failure")
	return ""
}

// runBrowser runs headless chromium with args on url, bounded, and returns
// its stdout. The browser is killed (with its children, via the context
// and WaitDelay) if it outlives the test's budget.
func runBrowser(t *testing.T, bin, url string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{
		"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium %v did not finish in 60s; stderr:\n%s", args, stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium %v: %v; stderr:\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestBrowserRendersWorkspace loads the page in a real headless browser:
// the DOM it builds has the thread, the buttons and the hostile log text
// as text (its script never ran: the title is unchanged), and a
// screenshot comes out at the window's size.
func TestBrowserRendersWorkspace(t *testing.T) {
	bin := chromium(t)
	srv := httptest.NewServer(slackui.New(workspace(t), slackui.Options{}))
	defer srv.Close()

	dom := string(runBrowser(t, bin, srv.URL+"/", "--dump-dom"))
	for _, want := range []string{
		`<title>#ci-alerts - ccm-sim (simulated Slack)</title>`,
		`class="btn btn-primary">Approve</button>`,
		`class="btn btn-danger">Reject</button>`,
		`&lt;script&gt;document.title="pwned"&lt;/script&gt; looking at it`, // bob's raw markup, as text
		`The log says &lt;script&gt;document.title="pwned"&lt;/script&gt;`,  // the analysis quoting the log
		`<pre class="code">--- FAIL: TestCache (30.00s)`,
		`<span class="edited">(edited)</span>`,
		`Only visible to you`,
		`<summary>3 replies<span class="last">Last reply `,
		`<b>Approved</b> by <span class="mention">@bob</span>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered DOM lacks %s", want)
		}
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script>document\.title`), regexp.MustCompile(`pwned</title>`),
		regexp.MustCompile(`href="javascript:`), regexp.MustCompile(`<a [^>]*onmouseover`),
	} {
		if bad.MatchString(dom) {
			t.Errorf("the rendered DOM matches %s: hostile text became markup", bad)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	shot := filepath.Join(t.TempDir(), "slack.png")
	runBrowser(t, bin, srv.URL+"/", "--screenshot="+shot, "--window-size=1280,900", "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 900 {
		t.Errorf("screenshot is %dx%d, want 1280x900", b.Dx(), b.Dy())
	}
	if dst := os.Getenv("CCM_SLACKUI_SCREENSHOT"); dst != "" {
		// For a person to look at (docs/sandbox-slack-ui.png comes from here).
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(dst, b, 0o644)
		}
		if err != nil {
			t.Fatalf("copying the screenshot to %s: %v", dst, err)
		}
	}
}

// TestBrowserFollowsChanges: a page left open shows a message posted
// after it loaded (it polls state.json and reloads on a change).
func TestBrowserFollowsChanges(t *testing.T) {
	bin := chromium(t)
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts"}})
	if _, err := sim.PostUserMessage("#ci-alerts", slacksim.DefaultBotUserID, "first message", ""); err != nil {
		t.Fatal(err)
	}
	h := slackui.New(sim, slackui.Options{Poll: 100 * time.Millisecond})
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/state.json" && polls.Add(1) == 1 {
			// The page has loaded and polls: now something happens.
			if _, err := sim.PostUserMessage("#ci-alerts", slacksim.DefaultBotUserID, "posted while watching", ""); err != nil {
				t.Error(err)
			}
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dom := string(runBrowser(t, bin, srv.URL+"/", "--virtual-time-budget=5000", "--dump-dom"))
	if !strings.Contains(dom, "posted while watching") {
		t.Errorf("after %d polls the page still lacks the new message:\n%s", polls.Load(), dom)
	}
}
