package excerpt

import (
	"regexp"
	"strings"
)

// Test frameworks' assertion messages whose words hold no failure word a
// person's eye would catch, but that say what was expected and what came:
// the line a person needs, above the stack trace under them.

// fluentExpected is the "Expected X to be Y, but found Z." sentence of
// .NET's FluentAssertions (and of Shouldly, AssertJ's "Expecting"
// aside): "Expected value to be between 1000 and 1100, but found 996.".
var fluentExpected = regexp.MustCompile(`^Expected .{1,300}, but (?:found|was|got) \S`)

// scalatestMessage is ScalaTest's matcher message, with the spec file and
// line it failed at: `"1-2-3[]" was not equal to "1-2-3[-6]"
// (ProjectionTestKitSpec.scala:71)`, `List() did not contain element 3
// (A.scala:9)`. sbt's "[info]" tag may stand before it.
var scalatestMessage = regexp.MustCompile(`^(?:\[(?:info|error)\]\s+)?\S.* (?:was not|did not|was|were not|had) .*\([\w$]+\.scala:\d+\)$`)

// cAssert is the C library's assert() message: "rnp_tests:
// ./src/stream-sig.cpp:85: void f(…): Assertion `x < y' failed." (glibc;
// musl's "Assertion failed: x < y (file: func: line)" holds the words
// already).
var cAssert = regexp.MustCompile(": Assertion [`'].+' failed\\.$")

// assertStrength rates the messages above as causes, and Spock's
// "Condition not satisfied" (its power assertion's header, or
// PollingConditions' "Condition not satisfied after 30.00 seconds and 31
// attempts").
func assertStrength(t string, tier int) int {
	if tier >= strengthCause || t == "" {
		return tier
	}
	switch {
	case strings.HasPrefix(t, "Condition not satisfied"),
		strings.HasPrefix(t, "Expected ") && fluentExpected.MatchString(t),
		strings.Contains(t, ".scala:") && scalatestMessage.MatchString(t),
		strings.Contains(t, ": Assertion ") && cAssert.MatchString(t):
		return strengthCause
	}
	return tier
}
