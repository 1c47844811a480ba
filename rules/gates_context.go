package rules

import (
	"bytes"
	"regexp"
	"strings"
)

// More context gates (listed in gates.go's gates): lines whose family
// depends on what else the log shows, found by review of the corpus10 and
// corpus11 families.

// offlineThenRanGate drops Jenkins' "‘node’ is offline" when the node came
// up after all: cloud and Kubernetes agents print it while they are being
// provisioned ("Still waiting to schedule task"), then "Running on node",
// and the build's own failure is the one to read. The agent's other lines
// (a connection lost during the build) stay.
func offlineThenRanGate(sc scanned, lines []span) []span {
	var out []span
	for _, sp := range lines {
		if bytes.HasSuffix(bytes.TrimRight(sc.low[sp.start:sp.end], " \t\r"), []byte(" is offline")) &&
			bytes.Contains(sc.low[sp.end:], []byte("running on ")) {
			continue
		}
		out = append(out, sp)
	}
	return out
}

// importedFrom is the module an ImportError names, and its top package.
var importedFrom = regexp.MustCompile(`cannot import name '\w+' from '(\w+)`)

// ownPackageGate drops an ImportError from site-packages whose package is
// the project's own: tox's default install and `pip install .` put the
// project in site-packages too, and its broken import is the change's,
// not a dependency's release. The project is known by its repository's
// name in the workspace path (/home/runner/work/<repo>/<repo>/,
// /builds/<group>/<repo>/, Jenkins' workspace/<repo>/; "-" read as "_"),
// or by the package's own source directory in the log (src/<package>/).
func ownPackageGate(sc scanned, lines []span) []span {
	var out []span
	for _, sp := range lines {
		m := importedFrom.FindSubmatch(sc.low[sp.start:sp.end])
		if m != nil && sc.ownPackage(string(m[1])) {
			continue
		}
		out = append(out, sp)
	}
	return out
}

// workspaceRepo finds the repository's name in a CI workspace path.
var workspaceRepo = regexp.MustCompile(`/home/runner/work/([\w.-]+)/|/builds/[\w.-]+/([\w.-]+)/|/workspace/([\w.-]+)/`)

// ownPackage reports whether pkg (lowercase) is the project's own package.
func (sc scanned) ownPackage(pkg string) bool {
	if bytes.Contains(sc.low, []byte("src/"+pkg+"/")) {
		return true
	}
	for _, m := range workspaceRepo.FindAllSubmatch(sc.low, 8) {
		for _, g := range m[1:] {
			if len(g) > 0 && strings.ReplaceAll(string(g), "-", "_") == pkg {
				return true
			}
		}
	}
	return false
}

// pytestFaulthandlerGate drops faulthandler's "Timeout (0:05:00)!" in a
// pytest session: pytest's faulthandler_timeout option dumps the threads
// of a slow test and carries on, and the test may still pass. regrtest's
// dump, which ends the run, is printed outside pytest; pytest-timeout's
// own "+++ Timeout +++" banner stays.
func pytestFaulthandlerGate(sc scanned, lines []span) []span {
	if !bytes.Contains(sc.low, []byte("test session starts")) {
		return lines
	}
	var out []span
	for _, sp := range lines {
		if t := bytes.TrimSpace(sc.low[sp.start:sp.end]); bytes.HasSuffix(t, []byte(")!")) && bytes.Contains(t, []byte("timeout (")) {
			continue
		}
		out = append(out, sp)
	}
	return out
}
