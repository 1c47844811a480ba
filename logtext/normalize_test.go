package logtext

import (
	"regexp"
	"testing"

	"pgregory.net/rapid"
)

func TestNormalizeLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "npm ci", want: "npm ci"},
		{name: "empty", in: "", want: ""},
		{name: "github timestamp", in: "2024-01-02T03:04:05.1234567Z Run npm ci", want: "Run npm ci"},
		{name: "timestamp without fraction", in: "2024-01-02T03:04:05Z hello", want: "hello"},
		{name: "timestamp only", in: "2024-01-02T03:04:05.1234567Z", want: ""},
		{name: "timestamp keeps further indent", in: "2024-01-02T03:04:05.1234567Z   indented", want: "  indented"},
		{name: "marker kept", in: "2024-01-02T03:04:05.1234567Z ##[error]Process completed with exit code 1.", want: "##[error]Process completed with exit code 1."},
		{name: "group marker kept", in: "2024-01-02T03:04:05.1234567Z ##[group]Run npm ci", want: "##[group]Run npm ci"},
		{name: "byte order mark", in: "\ufeff2024-01-02T03:04:05.1234567Z Current runner version: '2.311.0'", want: "Current runner version: '2.311.0'"},
		{name: "jenkins timestamp", in: "[2020-01-15T21:02:08.170Z] WorkflowScript: 82: expecting '}'", want: "WorkflowScript: 82: expecting '}'"},
		{name: "gh run view prefix", in: "build\tRun npm test\t2026-08-22T07:25:14.8738962Z ##[error]boom", want: "##[error]boom"},
		{name: "tabs without timestamp kept", in: "\tat org.junit.Assert.fail(Assert.java:89)", want: "\tat org.junit.Assert.fail(Assert.java:89)"},
		{name: "two tab columns without timestamp kept", in: "a\tb\tc", want: "a\tb\tc"},
		{name: "ansi colour", in: "\x1b[31mError:\x1b[0m boom", want: "Error: boom"},
		{name: "ansi bold and params", in: "\x1b[1;36;40mnpm ci\x1b[0m", want: "npm ci"},
		{name: "ansi erase line", in: "\x1b[2Kdone", want: "done"},
		{name: "osc hyperlink", in: "\x1b]8;;https://example.com\x07link\x1b]8;;\x07", want: "link"},
		{name: "osc with string terminator", in: "\x1b]0;title\x1b\\text", want: "text"},
		{name: "charset escape", in: "\x1b(Bplain", want: "plain"},
		{name: "unterminated escape swallowed", in: "ok\x1b[12", want: "ok"},
		{name: "caret form", in: "^[[36;1mnpm run typecheck^[[0m", want: "npm run typecheck"},
		{name: "caret not an escape", in: "match ^[[a-z]] here", want: "match ^[[a-z]] here"},
		{name: "crlf", in: "line\r", want: "line"},
		{name: "progress bar redraw", in: "10%\r50%\r100%", want: "100%"},
		{name: "timestamp then ansi then cr", in: "2024-01-02T03:04:05.1234567Z \x1b[32m✓ passed\x1b[0m\r", want: "✓ passed"},
		{name: "teamcity nested, tabs", in: "[17:17:13] :\t\t [Run Bazel test] //pkg/sql/colexec:colexec_test   TIMEOUT in 300.1s", want: "//pkg/sql/colexec:colexec_test   TIMEOUT in 300.1s"},
		{name: "teamcity warning, spaces", in: "[17:31:52]W:         [docker] 2014/11/30 16:31:52 HTTP code: 502", want: "2014/11/30 16:31:52 HTTP code: 502"},
		{name: "teamcity top level", in: "[17:31:51]W: Step 2/2: Docker / Vagrant", want: "Step 2/2: Docker / Vagrant"},
		{name: "teamcity block name alone", in: "[17:17:13] :\t\t [Run Bazel test]", want: ""},
		{name: "teamcity keeps a level tag", in: "[10:00:01]E:\t [ERROR] /src/A.java:[25,40] cannot find symbol", want: "[ERROR] /src/A.java:[25,40] cannot find symbol"},
		{name: "teamcity keeps the message's own indent", in: "[10:00:01] :\t\t [Step 1/1]   at Foo.bar(Foo.java:3)", want: "  at Foo.bar(Foo.java:3)"},
		{name: "teamcity nested without a block's name", in: "[10:00:01]i:\t\t plain text", want: "plain text"},
		{name: "teamcity copied from the page, tab", in: "[13:30:12]\t[Step 1/1] Execution timeout", want: "Execution timeout"},
		{name: "teamcity copied from the page, step block at once", in: "[04:00:35][Step 2/3] Process did not exit within allowed time", want: "Process did not exit within allowed time"},
		// Without a tab, only TeamCity's step block marks its prefix: a
		// logger's "[clock][level]" or "[clock][thread]" is its own layout.
		{name: "a logger's clock and lowercase level", in: "[12:00:09][error] Upload rejected: quota exceeded", want: "[12:00:09][error] Upload rejected: quota exceeded"},
		{name: "a logger's clock and thread", in: "[12:00:01][main] ERROR boom", want: "[12:00:01][main] ERROR boom"},
		{name: "teamcity keeps a lowercase level tag", in: "[13:30:12]\t[error] boom", want: "[error] boom"},
		{name: "codebuild under github's timestamp", in: "2024-06-05T02:04:09.1234567Z [Container] 2024/06/05 02:04:08.791520 Phase complete: BUILD State: FAILED", want: "Phase complete: BUILD State: FAILED"},
		{name: "teamcity copied from the page, no block", in: "[13:30:12]\tTerminating", want: "Terminating"},
		{name: "teamcity copied from the page keeps a level tag", in: "[13:30:12]\t[ERROR] boom", want: "[ERROR] boom"},
		{name: "a clock exactly", in: "[13:30:12]", want: "[13:30:12]"},
		{name: "a clock and a status, nothing more", in: "[13:30:12]W:", want: ""},
		{name: "codebuild's container prefix", in: "[Container] 2024/06/05 02:04:08.791520 Phase context status code: YAML_FILE_ERROR Message: stat buildspec.yml: no such file or directory", want: "Phase context status code: YAML_FILE_ERROR Message: stat buildspec.yml: no such file or directory"},
		{name: "codebuild's prefix without fraction", in: "[Container] 2023/03/31 03:13:58 Phase complete: DOWNLOAD_SOURCE State: FAILED", want: "Phase complete: DOWNLOAD_SOURCE State: FAILED"},
		{name: "a [Container] word that is not codebuild's", in: "[Container] started", want: "[Container] started"},
		{name: "cloud build step with id", in: "Step #2 - \"save-cache\": failed to walk files", want: "failed to walk files"},
		{name: "cloud build step without id", in: "Step #5: /env/bin/python3.7: No module named pip", want: "/env/bin/python3.7: No module named pip"},
		{name: "cloud build step's empty line", in: "Step #2 - \"save-cache\":", want: ""},
		{name: "docker's own step is kept", in: "Step 1/8 : FROM node:16", want: "Step 1/8 : FROM node:16"},
		{name: "cloud build's step banner is kept", in: "Finished Step #2 - \"save-cache\"", want: "Finished Step #2 - \"save-cache\""},
		{name: "a bracketed clock alone is kept", in: "[17:17:13] Starting", want: "[17:17:13] Starting"},
		{name: "an unknown status is kept", in: "[17:17:13]X: text", want: "[17:17:13]X: text"},
		{name: "not a timestamp", in: "2024-01-02 03:04:05 local time", want: "2024-01-02 03:04:05 local time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeLine(tt.in); got != tt.want {
				t.Errorf("NormalizeLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "ascii untouched", in: "a\tb", want: "a\tb"},
		{name: "utf8 untouched", in: "✓ passé", want: "✓ passé"},
		{name: "invalid utf8 replaced", in: "a\xffb", want: "a\uFFFDb"},
		{name: "controls dropped", in: "a\x00b\x07c\x7f", want: "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

var isoTimestampRef = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d*)?Z`)

// The word-at-a-time timestamp check agrees with a regular expression on
// timestamps with any byte changed.
func TestIsoTimestampLen_MatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := []byte("2024-01-02T03:04:05.1234567Z rest")
		b = b[:rapid.IntRange(0, len(b)).Draw(t, "len")]
		for range rapid.IntRange(0, 3).Draw(t, "mutations") {
			if len(b) == 0 {
				break
			}
			i := rapid.IntRange(0, len(b)-1).Draw(t, "at")
			b[i] = rapid.SampledFrom([]byte("0189-:TZ. /;\xff\x00a")).Draw(t, "byte")
		}
		want := len(isoTimestampRef.Find(b))
		if got := TimestampLen(b); got != want {
			t.Fatalf("TimestampLen(%q) = %d, want %d", b, got, want)
		}
	})
}
