package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmeCommand is one command line from a ```sh block of README.md.
type readmeCommand struct {
	line string
	args []string // argv after the program name, for a ccm command
	ccm  bool
}

// notRunHere are the programs README shows that this test does not run,
// and who does: CI builds and tests (go), deploy's tests check the
// Kubernetes manifest, CI builds the binary with the Dockerfile's flags.
var notRunHere = []string{"go test", "go build", "export ", "cp ", "docker ", "kubectl ", "redis-cli ", "curl ", "redis-server "}

// readmeCommands extracts the commands of every ```sh block: comments
// dropped, redirections and pipes cut, quotes honoured.
func readmeCommands(t *testing.T, text string) []readmeCommand {
	t.Helper()
	var out []readmeCommand
	in := false
	for _, raw := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(raw, "```sh"):
			in = true
			continue
		case strings.HasPrefix(raw, "```"):
			in = false
			continue
		}
		if !in {
			continue
		}
		line := strings.TrimSpace(raw)
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := shellFields(line)
		c := readmeCommand{line: line}
		switch {
		case len(fields) > 0 && (fields[0] == "ccm" || fields[0] == "./ccm"):
			c.ccm, c.args = true, fields[1:]
		case len(fields) > 3 && fields[0] == "go" && fields[1] == "run" && fields[2] == "./cmd/ccm":
			c.ccm, c.args = true, fields[3:]
		}
		for i, a := range c.args {
			if a == ">" || a == "<" || a == "|" || strings.HasPrefix(a, ">") || a == "&&" {
				c.args = c.args[:i]
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// shellFields splits a command line on blanks, keeping quoted text whole.
func shellFields(s string) []string {
	var out []string
	var cur strings.Builder
	quote, has := rune(0), false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '\'' || r == '"'):
			quote, has = r, true
		case quote == 0 && (r == ' ' || r == '\t'):
			if cur.Len() > 0 || has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 || has {
		out = append(out, cur.String())
	}
	return out
}

var flagName = regexp.MustCompile(`^--?([a-z][a-z0-9-]*)`)

// TestREADMECommands holds README.md to the truth: every ccm command it
// shows either runs here as shown (offline ones: analyze, slack-manifest,
// version, help) or, when it needs a server, GitHub or Slack, names a
// subcommand and flags that exist; every other command is one CI or
// another test runs.
func TestREADMECommands(t *testing.T) {
	offline(t)
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, string(data))
	if len(cmds) < 5 {
		t.Fatalf("found %d commands in README's sh blocks", len(cmds))
	}
	ran := 0
	for _, c := range cmds {
		if !c.ccm {
			known := false
			for _, p := range notRunHere {
				known = known || strings.HasPrefix(c.line, p)
			}
			if !known {
				t.Errorf("README shows %q: no test runs it (add it here or to notRunHere with who does)", c.line)
			}
			continue
		}
		if len(c.args) == 0 {
			t.Errorf("README shows %q: ccm without a command", c.line)
			continue
		}
		sub := c.args[0]
		switch sub {
		case "analyze", "slack-manifest", "version", "help":
			args := append([]string(nil), c.args...)
			for i, a := range args {
				if _, err := os.Stat("../../" + a); err == nil && !strings.HasPrefix(a, "-") {
					args[i] = "../../" + a
				}
			}
			if _, stderr, code := runCLI(t, nil, args...); code != 0 {
				t.Errorf("README's %q exits %d: %s", c.line, code, stderr)
			}
			ran++
			continue
		}
		help, stderr, code := runCLI(t, nil, sub, "--help")
		if code != 0 {
			t.Errorf("README's %q: `ccm %s --help` exits %d: %s", c.line, sub, code, stderr)
			continue
		}
		usage := help + stderr
		for _, a := range c.args[1:] {
			if m := flagName.FindStringSubmatch(a); m != nil && !strings.Contains(usage, "-"+m[1]) {
				t.Errorf("README's %q: ccm %s has no flag -%s", c.line, sub, m[1])
			}
		}
	}
	t.Logf("%d README commands, %d ccm commands run offline", len(cmds), ran)
}
