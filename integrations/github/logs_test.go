package github

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

const sampleLog = "2024-05-01T10:00:00Z ##[group]Run go test ./...\n" +
	"--- FAIL: TestThing (0.00s)\n    thing_test.go:12: want 1, got 2\nFAIL\n" +
	"##[error]Process completed with exit code 1.\n"

func TestJobLog_RedirectAndStream(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	s.SetLog("acme/web", 11, sampleLog)

	var got string
	err := c.JobLog(context.Background(), "acme/web", 11, func(r io.Reader) error {
		b, err := io.ReadAll(r)
		got = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("JobLog: %v", err)
	}
	if got != sampleLog {
		t.Errorf("log = %q, want %q", got, sampleLog)
	}
	api := s.RequestsTo(githubsim.RouteJobLogs)
	blob := s.RequestsTo(githubsim.RouteLogBlob)
	if len(api) != 1 || len(blob) != 1 {
		t.Fatalf("%d log API and %d blob requests, want 1 each", len(api), len(blob))
	}
	if h := api[0].Header.Get("Authorization"); h != "Bearer "+testToken {
		t.Errorf("API request Authorization = %q, want the token", h)
	}
	if h := blob[0].Header.Get("Authorization"); h != "" {
		t.Errorf("blob download carried Authorization %q: the token leaked", h)
	}
}

func TestJobLog_Retries(t *testing.T) {
	readAll := func(got *[]string) func(io.Reader) error {
		return func(r io.Reader) error {
			b, err := io.ReadAll(r)
			*got = append(*got, string(b))
			return err
		}
	}
	swallow := func(got *[]string) func(io.Reader) error {
		return func(r io.Reader) error {
			b, _ := io.ReadAll(r) // ignores the break: still detected
			*got = append(*got, string(b))
			return nil
		}
	}
	tests := []struct {
		name       string
		fault      githubsim.Fault
		fn         func(*[]string) func(io.Reader) error
		wantCalls  int
		wantErr    bool
		wantReason string
	}{
		{name: "breaks once then succeeds", fault: githubsim.Fault{BreakAfterBytes: 40}, fn: readAll, wantCalls: 2},
		{name: "break swallowed by fn is still retried", fault: githubsim.Fault{BreakAfterBytes: 40}, fn: swallow, wantCalls: 2},
		{name: "blob 500 once then succeeds", fault: githubsim.ServerError(500), fn: readAll, wantCalls: 1},
		{name: "breaks every time", fault: githubsim.Fault{BreakAfterBytes: 40, Count: -1}, fn: readAll, wantCalls: 3,
			wantErr: true, wantReason: "log download broke mid-stream"},
		{name: "blob fails every time", fault: githubsim.Fault{Status: 503, Count: -1}, fn: readAll, wantCalls: 0,
			wantErr: true, wantReason: "log download failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, clock := newTestClient(t, nil)
			s.AddRun("acme/web", failedRun(1, clock.Now()))
			s.SetLog("acme/web", 11, sampleLog)
			s.FailNext(githubsim.RouteLogBlob, tt.fault)
			var got []string
			err := c.JobLog(context.Background(), "acme/web", 11, tt.fn(&got))
			if len(got) != tt.wantCalls {
				t.Errorf("fn called %d times, want %d", len(got), tt.wantCalls)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("JobLog: %v", err)
				}
				if last := got[len(got)-1]; last != sampleLog {
					t.Errorf("last read %q, want the whole log", last)
				}
				return
			}
			var re *RetryError
			if !errors.As(err, &re) || re.Reason != tt.wantReason || re.Attempts != 3 {
				t.Fatalf("err = %v, want a *RetryError %q after 3 attempts", err, tt.wantReason)
			}
			for _, m := range []string{"job log acme/web job 11", tt.wantReason, "after 3 attempts"} {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "sig=") {
				t.Errorf("error %q leaks the signed URL", err)
			}
			if n := len(s.RequestsTo(githubsim.RouteJobLogs)); n != 3 {
				t.Errorf("%d redirect requests, want a fresh URL per attempt (3)", n)
			}
		})
	}
}

func TestJobLog_FnErrorIsNotRetried(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	errTooBig := errors.New("log too big")
	calls := 0
	err := c.JobLog(context.Background(), "acme/web", 11, func(r io.Reader) error {
		calls++
		return errTooBig
	})
	if !errors.Is(err, errTooBig) || calls != 1 {
		t.Errorf("err = %v after %d calls, want the fn's error after 1", err, calls)
	}
}

// repeatReader endlessly repeats a line.
type repeatReader struct {
	line string
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

func TestJobLog_LargeLogStreamsInBoundedMemory(t *testing.T) {
	const size = 50 << 20
	c, s, clock := newTestClient(t, nil)
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	s.SetLogFunc("acme/web", 11, size, func() io.Reader {
		return &repeatReader{line: "2024-05-01T10:00:00.0000000Z building step 42 of 100 ... ok\n"}
	})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var n int64
	err := c.JobLog(context.Background(), "acme/web", 11, func(r io.Reader) error {
		var err error
		n, err = io.Copy(io.Discard, r)
		return err
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("JobLog: %v", err)
	}
	if n != size {
		t.Errorf("read %d bytes, want %d", n, size)
	}
	// Client and fake together; a client that buffered the log would
	// allocate at least its 50 MB.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("streamed %d MB with %.1f MB allocated", n>>20, float64(alloc)/(1<<20))
	if alloc > 16<<20 {
		t.Errorf("allocated %d MB to stream a 50 MB log, want under 16 MB", alloc>>20)
	}
}
