package rules

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/logtext"
)

func benchLogs(b *testing.B) []string {
	b.Helper()
	var logs []string
	for _, l := range cilogs.All() {
		logs = append(logs, l.Log)
	}
	return logs
}

var benchSink int

// baselineScan is the cheapest useful pass over a log: lowercase it and look
// for one word. Classify is reported as a multiple of this.
func baselineScan(logs []string) {
	for _, l := range logs {
		if bytes.Contains(logtext.ASCIILower(l), []byte("error")) {
			benchSink++
		}
	}
}

// nsPerOp times f over at least 100 ms. testing.Benchmark cannot be nested in
// a running benchmark, so the baseline is measured by hand in the same run.
func nsPerOp(f func()) float64 {
	n, start := 0, time.Now()
	for time.Since(start) < 100*time.Millisecond {
		f()
		n++
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// BenchmarkClassify runs the analyzer over every labelled fixture and
// reports logs/s and the cost relative to lowercasing and scanning each log
// once (x_baseline), both measured in the same run.
func BenchmarkClassify(b *testing.B) {
	logs := benchLogs(b)
	base := nsPerOp(func() { baselineScan(logs) })
	b.ResetTimer()
	for range b.N {
		for _, l := range logs {
			benchSink += len(Classify(Input{Text: l}).Evidence)
		}
	}
	b.StopTimer()
	perLog := float64(b.Elapsed().Nanoseconds()) / float64(b.N*len(logs))
	b.ReportMetric(1e9/perLog, "logs/s")
	b.ReportMetric(perLog/(base/float64(len(logs))), "x_baseline")
}

// BenchmarkClassifyHuge shows the bounded scan: a 16 MiB log costs about the
// same as its scanned 512 KiB.
func BenchmarkClassifyHuge(b *testing.B) {
	text := strings.Repeat("compiling module 42 of 9000, nothing to report here\n", 16<<20/52) + "npm ERR! code ERESOLVE\n"
	base := nsPerOp(func() { baselineScan([]string{text}) })
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for range b.N {
		benchSink += Classify(Input{Text: text}).RiskScore
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x_baseline")
}

// unmatchedLog is 512 KiB (the scanned size) of ordinary build output that
// no signature or family hint matches: the unknown answer's worst case,
// where every hint expression runs over the whole text.
func unmatchedLog() string {
	lines := []string{
		"[INFO] Compiling 12 source files to /home/runner/work/app/target/classes",
		"  src/app/module_42.ts:12:5 bundled in 3 ms (cache hit), 0 warnings",
		"2024-05-01T10:00:00.1234567Z Downloading https://repo.example.org/org/x/1.2.3/x-1.2.3.jar (12 kB at 340 kB/s)",
		"    at com.example.app.Service.handle(Service.java:88) - traced call, level=debug",
		"copying build/lib/pkg/util.py -> build/bdist.linux-x86_64/wheel/pkg",
	}
	return repeatLines(lines, 512<<10)
}

// repeatLines repeats lines, in turn, until the text reaches size bytes.
func repeatLines(lines []string, size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		b.WriteString(lines[i%len(lines)])
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkClassifyUnmatched is Classify on unmatchedLog.
func BenchmarkClassifyUnmatched(b *testing.B) {
	text := unmatchedLog()
	b.SetBytes(int64(len(text)))
	for range b.N {
		benchSink += Classify(Input{Text: text}).RiskScore
	}
}
