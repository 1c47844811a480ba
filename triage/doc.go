// Package triage owns the pure part of understanding a failed CI run: it
// excerpts a job log in one streaming pass with bounded memory, redacts
// secrets, fingerprints failures so that the same failure on another run is
// recognised, and classifies failures with deterministic rules when no model
// is available. It does no I/O of its own: callers hand it an io.Reader or
// strings, and it hands back values.
package triage
