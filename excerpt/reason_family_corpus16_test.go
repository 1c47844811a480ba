package excerpt

import "testing"

// TestReason_Corpus16Families holds the reason to the assertion's message,
// for the families found on corpus16's misses: Spock's "Condition not
// satisfied", FluentAssertions' "Expected …, but found …", ScalaTest's
// matcher message with its spec file, the C library's assert(), over the
// stack trace under them (sbt's "[info]"-tagged frames and the JVM's
// "... 4 more" are frames too) and over CTest's summary rows. The logs are
// written for the test.
func TestReason_Corpus16Families(t *testing.T) {
	runReasonCases(t, []reasonCase{
		{
			name: "Spock: the polling condition, not the elided frames at the end",
			lines: []string{
				"Condition not satisfied after 10.00 seconds and 11 attempts",
				"\tat app//spock.util.concurrent.PollingConditions.within(PollingConditions.java:206)",
				"\tat app//acme.SmokeTest.waitForOrder(SmokeTest.groovy:41)",
				"Caused by: Condition not satisfied:",
				"",
				"orders.find { it.id == 7 } != null",
				"\tat app//spock.util.concurrent.PollingConditions.within(PollingConditions.java:186)",
				"\t... 4 more",
			},
			wantReason: "Condition not satisfied",
			notReason:  "4 more",
		},
		{
			name: "FluentAssertions: expected and found, over the frames",
			lines: []string{
				"Expected elapsed to be between 200 and 250, but found 198. ",
				"   at FluentAssertions.Execution.AssertionScope.FailWith(String message, Object[] args)",
				"   at Acme.Tests.TimingTests.Stopwatch_measures_the_delay()",
				"   at NUnit.Core.NUnitAsyncTestMethod.RunTestMethod()",
			},
			wantReason: "Expected elapsed to be between 200 and 250, but found 198.",
		},
		{
			name: "ScalaTest: the matcher's message, not the exception joined to a tagged frame",
			lines: []string{
				"[info] - must sum the events *** FAILED *** (1 second, 12 milliseconds)",
				`[info]   "1-2-3[]" was not equal to "1-2-3[-4]" (SumSpec.scala:44)`,
				"[info]   org.scalatest.exceptions.TestFailedException:",
				"[info]   at org.scalatest.matchers.MatchersHelper$.indicateFailure(MatchersHelper.scala:392)",
			},
			wantReason: `"1-2-3[]" was not equal to "1-2-3[-4]" (SumSpec.scala:44)`,
		},
		{
			name: "sbt: an exception's message is not a tagged frame under it",
			lines: []string{
				"[error] java.lang.IllegalStateException:",
				"[error]   at acme.Loader.load(Loader.scala:12)",
			},
			notReason: "Loader.scala:12",
		},
		{
			name: "C assert(): the failed assertion, over CTest's rows",
			lines: []string{
				"12: [ RUN      ] codec.decode_large",
				"12: codec_tests: ./src/codec.cpp:85: void check(size_t): Assertion `n < ((size_t) 1 << 32)' failed.",
				" 9/40 Test #12: codec.decode_large ..........Subprocess aborted***Exception:   0.03 sec",
				"The following tests FAILED:",
				"\t 12 - codec.decode_large (Subprocess aborted)",
				"Errors while running CTest",
			},
			wantReason: "Assertion `n < ((size_t) 1 << 32)' failed.",
		},
		{
			name: "a log ending in a stack trace: the line above its frames, not the elided count",
			lines: []string{
				"Starting the importer",
				"importer stopped: queue drained before the batch completed",
				"\tat acme.Importer.run(Importer.java:88)",
				"\t... 4 more",
			},
			wantReason: "importer stopped: queue drained",
		},
		{
			name: "ScalaTest: a message without its spec file stays as it was",
			lines: []string{
				"[info] the cache was not warmed up in time",
				"[error] Failed tests: acme.CacheSpec",
			},
			wantReason: "Failed tests: acme.CacheSpec",
		},
	})
}
