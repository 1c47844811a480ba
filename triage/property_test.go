package triage

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// noiseWords never state a failure: logs built from them hold exactly one
// root cause, the injected one.
var noiseWords = []string{
	"compiling", "module", "resolved", "packages", "downloading", "cache", "restored",
	"step", "build", "done", "ok", "passed", "running", "tests", "checking", "files",
	"bytes", "linking", "target", "workspace", "install", "added", "audited", "from",
	"node_modules", "src/app.ts", "v1.2.3", "42", "0.5s", "[1/4]", "->", "=", "==>",
}

func noiseLine(t *rapid.T) string {
	n := rapid.IntRange(0, 10).Draw(t, "words")
	words := make([]string, n)
	for i := range words {
		words[i] = rapid.SampledFrom(noiseWords).Draw(t, "word")
	}
	line := strings.Repeat(" ", rapid.IntRange(0, 4).Draw(t, "indent")) + strings.Join(words, " ")
	switch rapid.IntRange(0, 5).Draw(t, "decor") {
	case 0:
		line = "\x1b[" + rapid.SampledFrom([]string{"32m", "1;36m", "0m", "2K"}).Draw(t, "ansi") + line + "\x1b[0m"
	case 1:
		line += "\r"
	case 2:
		line = rapid.SampledFrom([]string{"##[debug]", "##[warning]deprecated ", "##[notice]"}).Draw(t, "marker") + line
	}
	return line
}

func word(t *rapid.T, label string) string {
	return rapid.StringMatching(`[a-z][a-z0-9_]{2,10}`).Draw(t, label)
}

// rootCause draws one line that states why a build failed, in one of the
// forms real tools print.
func rootCause(t *rapid.T) string {
	w, n := word(t, "w"), rapid.IntRange(1, 999).Draw(t, "n")
	forms := []string{
		fmt.Sprintf("npm error code E%s", strings.ToUpper(w)),
		fmt.Sprintf("npm ERR! code E%s", strings.ToUpper(w)),
		fmt.Sprintf("error: could not compile `%s` due to %d previous errors", w, n),
		fmt.Sprintf("%s.go:%d:%d: undefined: %s", w, n, n%80, w),
		fmt.Sprintf("src/%s.c:%d:5: error: '%s' undeclared", w, n, w),
		fmt.Sprintf("panic: runtime error: index out of range [%d] with length %d", n, n),
		fmt.Sprintf("fatal: unable to access 'https://github.com/o/%s/': The requested URL returned error: 403", w),
		fmt.Sprintf("Error: Cannot find module '%s'", w),
		fmt.Sprintf("ERROR: Could not find a version that satisfies the requirement %s==%d.0", w, n),
		"ERROR: ResolutionImpossible: for help visit https://pip.pypa.io",
		fmt.Sprintf(" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because %s", w),
		fmt.Sprintf("verifying example.com/%s@v1.%d.0: checksum mismatch", w, n),
		"System.IO.IOException: No space left on device",
		fmt.Sprintf("java.lang.AssertionError: expected [%d] but found [%d]", n, n+1),
		fmt.Sprintf("%s.java:[%d,7] error: cannot find symbol", w, n),
		fmt.Sprintf("panic: test timed out after %dm0s", n%60+1),
		fmt.Sprintf("Error: Timeout of %dms exceeded.", n*10),
		"/home/runner/work/_temp/x.sh: line 1: 12345 Killed                  ./run",
		fmt.Sprintf("ModuleNotFoundError: No module named '%s'", w),
		fmt.Sprintf("FAIL src/%s.test.ts", w),
	}
	return rapid.SampledFrom(forms).Draw(t, "cause")
}

// TestProperty03_FailureReasonExtraction checks seed property 3:
// "*For any* workflow log containing a failure pattern, the failure reason
// extraction should identify the root cause category correctly".
// Logs are GitHub Actions logs (timestamps, steps, groups, ANSI, markers) or
// plain logs of other CI systems, made of noise that states no failure plus
// one injected root-cause line, possibly as an ##[error] annotation, followed
// by the exit-code marker and later steps. The reason must be that line.
func TestProperty03_FailureReasonExtraction(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		github := rapid.Bool().Draw(t, "github")
		cause := rootCause(t)
		var lines []string
		noise := func(label string, max int) {
			for range rapid.IntRange(0, max).Draw(t, label) {
				lines = append(lines, noiseLine(t))
			}
		}
		failingStep := ""
		if github {
			lines = append(lines, withSetup()...)
			for i := range rapid.IntRange(0, 3).Draw(t, "earlier steps") {
				lines = append(lines, fmt.Sprintf("##[group]Run step-%d", i), "echo hi", "##[endgroup]")
				noise("earlier noise", 20)
			}
			failingStep = "Run " + word(t, "step")
			lines = append(lines, "##[group]"+failingStep, "  shell: /usr/bin/bash -e {0}", "##[endgroup]")
		}
		noise("noise before", 150)
		injected := cause
		if github && rapid.Bool().Draw(t, "annotation") {
			injected = "##[error]" + cause
		}
		lines = append(lines, injected)
		noise("noise after", 150)
		if github {
			lines = append(lines, fmt.Sprintf("##[error]Process completed with exit code %d.", rapid.IntRange(1, 255).Draw(t, "exit")))
			if rapid.Bool().Draw(t, "post step") {
				lines = append(lines, "##[group]Run actions/cache/save@v4", "##[endgroup]")
				noise("post noise", 20)
			}
		}
		log := strings.Join(lines, "\n")
		if github {
			log = ghLog(lines...)
		}

		ex, err := Extract(strings.NewReader(log), Options{})
		if err != nil {
			t.Fatalf("Extract: %v", err)
		}
		want := reasonKey(cause)
		if got := reasonKey(ex.Reason); !strings.Contains(got, want) {
			t.Fatalf("reason %q does not contain the root cause %q", got, want)
		}
		if ex.FailingStep != failingStep {
			t.Fatalf("FailingStep = %q, want %q", ex.FailingStep, failingStep)
		}
	})
}

// drawSecret draws a line holding one secret of a format Redact knows, and
// the text that must not survive.
func drawSecret(t *rapid.T) (line, secret string) {
	alnum := func(label string, n int) string {
		return rapid.StringMatching(fmt.Sprintf(`[A-Za-z0-9]{%d}`, n)).Draw(t, label)
	}
	upperNum := func(label string, n int) string {
		return rapid.StringMatching(fmt.Sprintf(`[A-Z0-9]{%d}`, n)).Draw(t, label)
	}
	// Random base62 with every class present, as real keys are.
	mixed := func(label string, n int) string {
		return "aZ9" + alnum(label, n-3)
	}
	switch kind := rapid.IntRange(0, 14).Draw(t, "kind"); kind {
	case 0:
		s := "gh" + rapid.SampledFrom([]string{"p", "o", "s", "u", "r"}).Draw(t, "p") + "_" + alnum("body", 36)
		return s, s
	case 1:
		s := "github_pat_" + alnum("a", 22) + "_" + alnum("b", 59)
		return s, s
	case 2:
		s := "xox" + rapid.SampledFrom([]string{"b", "p", "a", "r", "s", "e"}).Draw(t, "p") + "-" + alnum("a", 10) + "-" + alnum("b", 24)
		return s, s
	case 3:
		s := "xapp-1-" + alnum("a", 11) + "-" + alnum("b", 30)
		return s, s
	case 4:
		s := rapid.SampledFrom([]string{"AKIA", "ASIA"}).Draw(t, "p") + upperNum("id", 16)
		return s, s
	case 5:
		v := mixed("aws", 40)
		return rapid.SampledFrom([]string{"aws_secret_access_key = ", "AWS_SECRET_ACCESS_KEY=", `"SecretAccessKey": "`}).Draw(t, "k") + v, v
	case 6:
		s := "eyJ" + alnum("h", 20) + ".eyJ" + alnum("p", 40) + "." + alnum("s", 43)
		return s, s
	case 7:
		pass := mixed("pass", rapid.IntRange(4, 30).Draw(t, "len"))
		return "https://" + word(t, "user") + ":" + pass + "@" + word(t, "host") + ".example.com/x", pass
	case 8:
		v := mixed("pw", rapid.IntRange(3, 30).Draw(t, "len"))
		return rapid.SampledFrom([]string{"password=", "PASSWORD: ", "db_passwd=", `"password": "`, "--password="}).Draw(t, "k") + v, v
	case 9:
		v := mixed("tok", rapid.IntRange(8, 60).Draw(t, "len"))
		return rapid.SampledFrom([]string{"token: ", "NPM_TOKEN=", "access_token=", `"token":"`}).Draw(t, "k") + v, v
	case 10:
		v := mixed("sec", rapid.IntRange(8, 60).Draw(t, "len"))
		return rapid.SampledFrom([]string{"secret=", "CLIENT_SECRET: ", "api_key=", "X-API-KEY: "}).Draw(t, "k") + v, v
	case 11:
		v := mixed("bearer", rapid.IntRange(8, 80).Draw(t, "len"))
		return "Authorization: " + rapid.SampledFrom([]string{"Bearer ", "token ", "Basic ", ""}).Draw(t, "scheme") + v, v
	case 12:
		s := "sk-" + rapid.SampledFrom([]string{"", "proj-", "svcacct-"}).Draw(t, "p") + mixed("key", rapid.IntRange(20, 80).Draw(t, "len"))
		return s, s
	case 13:
		s := "glpat-" + alnum("gl", 20)
		return s, s
	default:
		s := "npm_" + alnum("npm", 36)
		return s, s
	}
}

// Redact removes any generated secret of each kind embedded in random text,
// on its own line (RedactLine, idempotently) and inside a streamed log
// (Extract).
func TestRedact_PropertyRemovesSecrets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		line, secret := drawSecret(t)
		sep := func(label string) string {
			return rapid.SampledFrom([]string{" ", "\t", " (", ") ", ", ", " '"}).Draw(t, label)
		}
		text := rapid.StringMatching(`[ -~]{0,40}`).Draw(t, "before") + sep("s1") + line + sep("s2") +
			rapid.StringMatching(`[ -~]{0,40}`).Draw(t, "after")
		got := RedactLine(text)
		if strings.Contains(got, secret) {
			t.Fatalf("RedactLine(%q) = %q keeps the secret", text, got)
		}
		if again := RedactLine(got); again != got {
			t.Fatalf("not idempotent: %q -> %q", got, again)
		}
		log := ghLog("##[group]Run deploy", "##[endgroup]", noiseLine(t), text, "##[error]"+text, "##[error]Process completed with exit code 1.")
		ex, err := Extract(strings.NewReader(log), Options{})
		if err != nil {
			t.Fatal(err)
		}
		all := ex.Reason + ex.Section + ex.Tail + strings.Join(ex.ErrorLines, "\n") + ex.Text()
		if strings.Contains(all, secret) {
			t.Fatalf("Extract keeps the secret %q:\n%s", secret, ex.Text())
		}
	})
}

// A private key block is removed whole, whatever its body and wherever a
// window of the excerpt starts.
func TestRedact_PropertyRemovesPrivateKeys(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]string{"RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""}).Draw(t, "kind")
		body := rapid.SliceOfN(rapid.StringMatching(`[A-Za-z0-9+/]{16,64}={0,2}`), 1, 40).Draw(t, "body")
		lines := []string{"##[group]Run ssh-add", "##[endgroup]"}
		for range rapid.IntRange(0, 50).Draw(t, "noise") {
			lines = append(lines, noiseLine(t))
		}
		lines = append(lines, "-----BEGIN "+kind+"PRIVATE KEY-----")
		lines = append(lines, body...)
		lines = append(lines, "-----END "+kind+"PRIVATE KEY-----", "Error: invalid format")
		tail := rapid.IntRange(1, 30).Draw(t, "tail lines")
		ex, err := Extract(strings.NewReader(ghLog(lines...)), Options{TailLines: tail, MaxSectionBytes: rapid.IntRange(256, 4096).Draw(t, "section")})
		if err != nil {
			t.Fatal(err)
		}
		all := ex.Section + "\n" + ex.Tail + "\n" + ex.Text()
		for _, b := range body {
			if strings.Contains(all, b) {
				t.Fatalf("key line %q kept:\n%s", b, all)
			}
		}
		if got := Redact(strings.Join(lines, "\n")); strings.Contains(got, body[0]) {
			t.Fatalf("Redact kept key material:\n%s", got)
		}
	})
}

// volatileKinds is how many kinds of volatile value volatileValue draws.
const volatileKinds = 12

// volatileValue draws a value of the given kind that differs between runs
// of one failure.
func volatileValue(t *rapid.T, label string, kind int) string {
	hex := func(n int) string { return rapid.StringMatching(fmt.Sprintf(`[0-9a-f]{%d}`, n)).Draw(t, label+" hex") }
	i := func(lo, hi int) int { return rapid.IntRange(lo, hi).Draw(t, label+" int") }
	switch kind {
	case 0:
		return fmt.Sprint(i(0, 1<<30))
	case 1:
		return hex(40)
	case 2:
		return hex(7)
	case 3:
		return hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12)
	case 4:
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%dZ", i(2000, 2099), i(1, 12), i(1, 28), i(0, 23), i(0, 59), i(0, 59), i(0, 9999999))
	case 5:
		return fmt.Sprintf("%dm%ds", i(0, 90), i(0, 59))
	case 6:
		return fmt.Sprintf("%d.%dms", i(0, 9999), i(0, 999))
	case 7:
		return "/tmp/" + rapid.StringMatching(`[a-zA-Z0-9_.-]{1,20}(/[a-zA-Z0-9_.-]{1,10}){0,3}`).Draw(t, label+" tmp")
	case 8:
		repo := rapid.StringMatching(`[a-zA-Z0-9_.-]{1,20}`).Draw(t, label+" repo")
		return "/home/runner/work/" + repo + "/" + repo + "/src/main.go:" + fmt.Sprint(i(1, 9999))
	case 9:
		return fmt.Sprintf("%d.%d.%d.%d:%d", i(0, 255), i(0, 255), i(0, 255), i(0, 255), i(1, 65535))
	case 10:
		return fmt.Sprintf("0x%x", i(0, 1<<30))
	default:
		return fmt.Sprintf("%d.%d", i(0, 999), i(0, 999))
	}
}

var templateWords = []string{"error:", "failed", "to", "connect", "test", "TestUpload", "in", "at", "run", "upload_test.go", "(", ")", "[", "]", "goroutine", "took", "Error:", "npm", "ERR!", "line", "for", "job"}

// Fingerprint is invariant under masking of volatile parts: two runs of the
// same failure that differ only in numbers, hashes, UUIDs, timestamps,
// durations, temp and workspace paths and addresses get one fingerprint, and
// masking the input first changes nothing.
func TestFingerprint_PropertyInvariantUnderVolatileParts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type slot struct {
			word string
			kind int // of volatile value; -1 for a fixed word
		}
		template := func(label string) []slot {
			n := rapid.IntRange(1, 12).Draw(t, label)
			out := make([]slot, n)
			for i := range out {
				if rapid.Bool().Draw(t, label+" volatile") {
					out[i] = slot{kind: rapid.IntRange(0, volatileKinds-1).Draw(t, label+" kind")}
				} else {
					out[i] = slot{word: rapid.SampledFrom(templateWords).Draw(t, label+" word"), kind: -1}
				}
			}
			return out
		}
		fill := func(tpl []slot, run string) string {
			parts := make([]string, len(tpl))
			for i, s := range tpl {
				parts[i] = s.word
				if s.kind >= 0 {
					parts[i] = volatileValue(t, run, s.kind)
				}
			}
			return strings.Join(parts, " ")
		}
		reasonT := template("reason")
		lineTs := make([][]slot, rapid.IntRange(0, 4).Draw(t, "lines"))
		for i := range lineTs {
			lineTs[i] = template("line")
		}
		run := func(name string) (string, []string) {
			var lines []string
			for _, l := range lineTs {
				lines = append(lines, fill(l, name))
			}
			return fill(reasonT, name), lines
		}
		r1, l1 := run("run1")
		r2, l2 := run("run2")
		fp1, fp2 := Fingerprint(r1, l1), Fingerprint(r2, l2)
		if fp1 != fp2 {
			t.Fatalf("same failure, different fingerprints:\n%q %q -> %s\n%q %q -> %s\nmasked %q vs %q", r1, l1, fp1, r2, l2, fp2, MaskVolatile(r1), MaskVolatile(r2))
		}
		masked := make([]string, len(l1))
		for i, l := range l1 {
			masked[i] = MaskVolatile(l)
		}
		if fp := Fingerprint(MaskVolatile(r1), masked); fp != fp1 {
			t.Fatalf("masking the input changed the fingerprint: %s != %s for %q", fp, fp1, r1)
		}
	})
}

// MaskVolatile is idempotent on any text.
func TestMaskVolatile_PropertyIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(
			rapid.String(),
			rapid.StringMatching(`[ -~]{0,80}`),
			rapid.Custom(func(t *rapid.T) string {
				parts := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string {
					return volatileValue(t, "v", rapid.IntRange(0, volatileKinds-1).Draw(t, "kind"))
				}), 1, 5).Draw(t, "parts")
				return strings.Join(parts, rapid.SampledFrom([]string{"", " ", ":", "/", ".", "-", "_", "x"}).Draw(t, "glue"))
			}),
		).Draw(t, "s")
		once := MaskVolatile(s)
		if twice := MaskVolatile(once); twice != once {
			t.Fatalf("MaskVolatile(%q) = %q, again %q", s, once, twice)
		}
	})
}

// Any bytes at all: Extract does not panic, reads everything, and keeps
// within its bounds.
func TestExtract_PropertyArbitraryInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.SampledFrom([]byte("ab \t\n\r\x1b[]#-_:=eyJ0\xff\x00")), 0, 4000).Draw(t, "data")
		opt := Options{
			MaxSectionBytes: rapid.IntRange(0, 2048).Draw(t, "section"),
			TailLines:       rapid.IntRange(0, 20).Draw(t, "tail"),
			MaxLineBytes:    rapid.IntRange(0, 300).Draw(t, "line"),
			MaxErrorLines:   rapid.IntRange(0, 5).Draw(t, "errors"),
		}
		ex, err := Extract(strings.NewReader(string(data)), opt)
		if err != nil {
			t.Fatal(err)
		}
		o := opt.withDefaults()
		if ex.Bytes != int64(len(data)) {
			t.Fatalf("Bytes = %d, want %d", ex.Bytes, len(data))
		}
		if len(ex.Reason) > maxReasonLen {
			t.Fatalf("reason of %d bytes", len(ex.Reason))
		}
		if len(ex.ErrorLines) > o.MaxErrorLines {
			t.Fatalf("%d error lines", len(ex.ErrorLines))
		}
		if n := strings.Count(ex.Tail, "\n") + 1; ex.Tail != "" && n > o.TailLines {
			t.Fatalf("%d tail lines", n)
		}
		_ = ex.Text()
	})
}
