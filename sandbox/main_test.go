package sandbox

import (
	"testing"

	"go.uber.org/goleak"
)

// Run promises to stop everything it starts: the worker, both fakes and
// the embedded Redis.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
