package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mustParse parses src or fails the test.
func mustParse(t testing.TB, src string) *Config {
	t.Helper()
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return c
}

// problemsOf returns the validation problems of src, failing the test when
// src parses cleanly or fails for another reason.
func problemsOf(t testing.TB, src string) []string {
	t.Helper()
	_, err := Parse([]byte(src))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse(%q) = %v, want a *ValidationError", src, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	return ve.Problems
}

// hasProblemAt reports whether one problem is about exactly path.
func hasProblemAt(problems []string, path string) bool {
	for _, p := range problems {
		if strings.HasPrefix(p, path+": ") {
			return true
		}
	}
	return false
}

// fataler is what both *testing.T and *rapid.T offer.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

// writeFile replaces path's content the way a plain editor does.
func writeFile(t fataler, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// atomicSave writes a temporary file and renames it over path, as vim,
// most IDEs and config-management tools do.
func atomicSave(t fataler, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
