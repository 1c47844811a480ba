package rules

import (
	"strings"
	"testing"
)

// wordyLog is 512 KiB of lines that hold the family hints' anchor words
// (set, lock, resolve, status, returned, unknown, empty, timeout, config,
// error) but that no hint matches: every anchor is found on every line, so
// this is the anchors' worst case, where each candidate line is handed to
// the hint's expression.
func wordyLog() string {
	lines := []string{
		"setting up the lockfile resolver, status of the config returned 0 (timeout 30s)",
		"resolved 12 packages; the lock is held by the build, unknown fields set to empty defaults",
		"config: timeout=60 retries=3 status=ok unknown=ignored empty=false set=default",
		"error handling set up; returned values logged; resolve order unchanged; lock released",
	}
	return repeatLines(lines, 512<<10)
}

// BenchmarkFamilyHintWordy is familyHint alone on wordyLog.
func BenchmarkFamilyHintWordy(b *testing.B) {
	sc := newScan(Input{Text: wordyLog()})
	if _, _, _, ok := sc.familyHint(); ok {
		b.Fatal("wordyLog matched a family hint: it must hold the words only")
	}
	b.SetBytes(int64(len(sc.low)))
	b.ResetTimer()
	for range b.N {
		if _, _, _, ok := sc.familyHint(); ok {
			b.Fatal("matched")
		}
	}
}

// BenchmarkClassifyRepeatedError is Classify on a 4 KiB reason of
// repeated "error: " (the reason is matched like the log's first line).
func BenchmarkClassifyRepeatedError(b *testing.B) {
	in := Input{Reason: strings.Repeat("error: ", 4<<10/7), Text: "step failed\n"}
	for range b.N {
		benchSink += Classify(in).RiskScore
	}
}
