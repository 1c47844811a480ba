package excerpt

// Throughput and memory of Extract on large logs.
//
// Reproduce (from the repository root):
//
//	go test ./excerpt -run '^$' -bench BenchmarkExtract -benchtime 5x
//	go test ./excerpt -run '^$' -bench BenchmarkRedactLine
//	CCM_BIG=1 go test ./excerpt -run TestExtract_PeakHeapFlat -v    # 100 MB vs 1 GB
//
// BenchmarkExtract streams a 200 MB log (a pattern of real fixture lines and
// synthetic GitHub lines, repeated by a reader, never held whole) through
// Extract and through a bare bufio.Scanner in the same iteration, and
// reports both speeds, their ratio (goal >= 0.5) and the peak heap seen
// while Extract ran (goal < 64 MB).

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/logtext"
	"github.com/ccm-ci/ccm/redact"
	"github.com/ccm-ci/ccm/redact/redacttest"
)

// benchPattern is a few MB of log: every fixture's lines inside GitHub steps
// with timestamps, ANSI colour, groups, warnings, error-looking lines and a
// few secrets. Its ##[error] markers are turned into warnings, so that, as
// in a real log, the failure comes at the very end (benchLog adds it).
func benchPattern(tb testing.TB) []byte {
	tb.Helper()
	var lines []string
	synthetic := []string{
		"\x1b[36;1mnpm ci --prefer-offline\x1b[0m",
		"shell: /usr/bin/bash -e {0}",
		"env:",
		"  NODE_VERSION: 20",
		"  token: ***",
		"added 1288 packages, and audited 1289 packages in 23s",
		"##[warning]Node.js 16 actions are deprecated. Please update the following actions to use Node.js 20: actions/checkout@v3.",
		"##[debug]Evaluating condition for step: 'Run tests'",
		"  PASS  src/components/Button.test.tsx (5.123 s)",
		"\x1b[32m✓\x1b[39m renders without crashing \x1b[2m(23 ms)\x1b[22m",
		"Downloading https://registry.npmjs.org/react/-/react-18.2.0.tgz 45%\r100%",
		"git clone https://x-access-token:" + redacttest.FakeGHS + "@github.com/o/r.git",
		"export AWS_SECRET_ACCESS_KEY=" + redacttest.FakeAWSecret,
		"curl -H 'Authorization: Bearer " + redacttest.FakeJWT + "' https://api.example.com/v1/items",
		"npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
		"error: unused variable `x` (treated as warning in this profile)",
		"Run tests with --coverage " + strings.Repeat("=", 60),
	}
	for i, fx := range cilogs.Labelled() {
		lines = append(lines, fmt.Sprintf("##[group]Run step-%d %s", i, fx.ID))
		lines = append(lines, synthetic[:5]...)
		lines = append(lines, "##[endgroup]")
		for range 40 {
			lines = append(lines, synthetic[5:]...)
			lines = append(lines, strings.Split(strings.ReplaceAll(fx.Log, "##[error]", "##[warning]"), "\n")...)
		}
	}
	var b strings.Builder
	for i, l := range lines {
		// Fixture logs that carry their own timestamps keep them.
		if logtext.TimestampLen([]byte(l)) == 0 {
			fmt.Fprintf(&b, "2024-05-06T07:%02d:%02d.%07dZ ", i/60%60, i%60, i)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func benchLog(pattern []byte, size int64) io.Reader {
	return io.MultiReader(
		&patternReader{pattern: pattern, left: size},
		strings.NewReader("\n2024-05-06T08:00:00.0000000Z ##[error]Process completed with exit code 1.\n"),
	)
}

// heapPeak samples the heap in the background until stop is called.
type heapPeak struct {
	inuse, alloc atomic.Uint64
	done         chan struct{}
	wg           sync.WaitGroup
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{done: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.inuse.Load() {
				h.inuse.Store(ms.HeapInuse)
			}
			if ms.HeapAlloc > h.alloc.Load() {
				h.alloc.Store(ms.HeapAlloc)
			}
			select {
			case <-h.done:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) stop() (inuse, alloc uint64) {
	close(h.done)
	h.wg.Wait()
	return h.inuse.Load(), h.alloc.Load()
}

func BenchmarkExtract(b *testing.B) {
	pattern := benchPattern(b)
	const size = 200 << 20
	// Best of the iterations, not the mean: on a shared machine another
	// process stealing the CPU for part of one pass should not decide the
	// ratio. Run with -benchtime 5x or more.
	extractTime, scanTime := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for b.Loop() {
		start := time.Now()
		ex, err := Extract(benchLog(pattern, size), Options{})
		extractTime = min(extractTime, time.Since(start))
		if err != nil || ex.Bytes < size || ex.ExitCode < 0 {
			b.Fatalf("Extract: %v, %d bytes, exit %d", err, ex.Bytes, ex.ExitCode)
		}

		start = time.Now()
		sc := bufio.NewScanner(benchLog(pattern, size))
		n := 0
		for sc.Scan() {
			n++
		}
		scanTime = min(scanTime, time.Since(start))
		if sc.Err() != nil || int64(n) != ex.Lines {
			b.Fatalf("scan: %v, %d lines, Extract saw %d", sc.Err(), n, ex.Lines)
		}
	}
	// The heap is sampled on a separate, untimed pass: ReadMemStats stops
	// the world, which would slow the pass it measures.
	b.StopTimer()
	runtime.GC()
	peak := startHeapPeak()
	if _, err := Extract(benchLog(pattern, size), Options{}); err != nil {
		b.Fatal(err)
	}
	peakInuse, peakAlloc := peak.stop()
	b.StartTimer()

	mb := float64(size) / (1 << 20)
	extractMBps, scanMBps := mb/extractTime.Seconds(), mb/scanTime.Seconds()
	b.ReportMetric(extractMBps, "extract_MB/s")
	b.ReportMetric(scanMBps, "scan_MB/s")
	b.ReportMetric(extractMBps/scanMBps, "ratio_vs_scan")
	b.ReportMetric(float64(peakInuse)/(1<<20), "peak_heap_inuse_MB")
	b.ReportMetric(float64(peakAlloc)/(1<<20), "peak_heap_alloc_MB")
}

// BenchmarkRedactLine measures the hot path on typical lines (no secret)
// against a line copy, and on a line that holds one.
func BenchmarkRedactLine(b *testing.B) {
	lines := strings.Split(string(benchPattern(b)), "\n")[:5000]
	for i, l := range lines {
		lines[i] = logtext.NormalizeLine(l)
	}
	var plain []string
	for _, l := range lines {
		if redact.RedactLine(l) == l {
			plain = append(plain, l)
		}
	}
	b.Run("no_secret", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for _, l := range plain {
				n += len(redact.RedactLine(l))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(plain)), "ns/line")
	})
	b.Run("copy_baseline", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for _, l := range plain {
				n += len(strings.Clone(l))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(plain)), "ns/line")
	})
	b.Run("secret", func(b *testing.B) {
		l := "git clone https://x-access-token:" + redacttest.FakeGHS + "@github.com/o/r.git"
		for b.Loop() {
			_ = redact.RedactLine(l)
		}
	})
}

// TestExtract_PeakHeapFlat streams 100 MB and 1 GB and checks that the peak
// heap does not grow with the log. Slow, so only with CCM_BIG=1.
func TestExtract_PeakHeapFlat(t *testing.T) {
	if testing.Short() || os.Getenv("CCM_BIG") != "1" {
		t.Skip("set CCM_BIG=1 to stream 1 GB")
	}
	pattern := benchPattern(t)
	peakFor := func(size int64) (uint64, time.Duration) {
		runtime.GC()
		peak := startHeapPeak()
		start := time.Now()
		ex, err := Extract(benchLog(pattern, size), Options{})
		took := time.Since(start)
		inuse, _ := peak.stop()
		if err != nil || ex.Bytes < size {
			t.Fatalf("Extract: %v, %d bytes", err, ex.Bytes)
		}
		return inuse, took
	}
	small, tSmall := peakFor(100 << 20)
	big, tBig := peakFor(1 << 30)
	t.Logf("peak HeapInuse: 100 MB log %.1f MB (%v), 1 GB log %.1f MB (%v)",
		float64(small)/(1<<20), tSmall, float64(big)/(1<<20), tBig)
	if big > 64<<20 {
		t.Errorf("peak heap %d MB on 1 GB, want < 64 MB", big>>20)
	}
	if big > small+16<<20 {
		t.Errorf("peak heap grew with the log: %d MB -> %d MB", small>>20, big>>20)
	}
}
