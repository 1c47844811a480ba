// Package logtest holds what tests need to read ccm's logs: a buffer the
// service's goroutines may write to at once.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a log sink safe for concurrent writes (slog handlers write
// from every goroutine that logs), read with String.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
