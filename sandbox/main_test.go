package sandbox

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Run promises to stop everything it starts: the worker, both fakes and
// the embedded Redis. The test binary doubles as a fake `ccm serve`
// (fakeServeEnv) for the tests of the child's life.
func TestMain(m *testing.M) {
	if mode, ok := os.LookupEnv(fakeServeEnv); ok {
		os.Exit(fakeServe(mode, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}
