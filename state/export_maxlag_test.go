package state

import "context"

// MaxLag exposes maxLag to the external tests of the audit lag bound.
func (s *Store) MaxLag(ctx context.Context) (int64, error) { return s.maxLag(ctx) }
