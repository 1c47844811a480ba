package excerpt

import (
	"regexp"
	"strings"
)

// Lines an action or a CI system prints around the tool it ran, after the
// tool has said why it failed: they count what failed or say how it
// exited, and the tool's own lines above them say why.

// toolExitLine is an action's whole line on the tool it wrapped
// (hashicorp/setup-terraform's "Terraform exited with code 1.", "tsc
// exited with code 2"): the tool's own error, printed above it, says why.
var toolExitLine = regexp.MustCompile(`^[\w .'/-]{1,60} exited with code (\d+)\.?$`)

// toolExited reports a toolExitLine whose code is no signal's (137, 139,
// 143 say the process was killed: that is the cause). isExitWrapper guards
// it with " exited with code ".
func toolExited(t string) bool {
	m := toolExitLine.FindStringSubmatch(t)
	return m != nil && m[1] != "137" && m[1] != "139" && m[1] != "143"
}

// testCountLine is a test action's verdict that only counts the failures
// ("Cypress tests failed: 1 test failed", "Tests failed: 3", "2 specs
// failed"), often as its ##[error] annotation: the test's own assertion in
// the step's output says which and why. A verdict with words after the
// count ("Tests failed: could not connect to …") is no count.
var testCountLine = regexp.MustCompile(`(?i)^(?:[\w.-]+ )?(?:tests?|specs?)(?: run)? failed(?:[:.]? ?\d+(?:(?: of \d+)? (?:tests?|specs?)(?: failed)?)?)?[.!]?$|^\d+ (?:of \d+ )?(?:tests?|specs?) failed[.!]?$`)

// testCountOnly reports a testCountLine (isGeneric), guarded by its verb.
func testCountOnly(t string) bool {
	// A count is a short line naming tests or specs: most lines that say
	// " failed" are neither, and the expression costs each line it reads.
	return len(t) <= testCountMax && strings.Contains(t, " failed") && containsAnyOf(t, testCountWords) &&
		testCountLine.MatchString(strings.TrimSpace(t))
}

// testCountMax is longer than any testCountLine; testCountWords are in
// every one (its "tests", "specs" in any case).
const testCountMax = 120

var testCountWords = []string{"est", "EST", "pec", "PEC"}
