// Package sigfile is the on-disk form of the rule analyzer's signatures:
// one YAML document per family (rules/signatures/<family>.yaml), a list of
// signatures, each with its patterns and, per pattern, the real log lines
// that show it matching. The rules package compiles it at start; the
// attach tool (rules/internal/attach) adds examples to it. Both read and
// write it through this package, so a rewritten file keeps one layout.
package sigfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/goccy/go-yaml"
)

// Signature is one known failure shape. Field meanings are documented on
// the compiled form (rules/signatures.go); here they are plain data.
type Signature struct {
	Name       string    `yaml:"name"`
	Category   string    `yaml:"category"`
	Tier       string    `yaml:"tier"`
	Risk       int       `yaml:"risk"`
	Effort     string    `yaml:"effort"`
	Confidence int       `yaml:"confidence"`
	Transient  bool      `yaml:"transient,omitempty"`
	Weak       bool      `yaml:"weak,omitempty"`
	Flaky      bool      `yaml:"flaky_evidence,omitempty"`
	Tests      bool      `yaml:"tests,omitempty"`
	Assertion  bool      `yaml:"assertion,omitempty"`
	Component  string    `yaml:"component,omitempty"`
	Extract    string    `yaml:"extract,omitempty"`
	Actions    []string  `yaml:"actions,omitempty"`
	Fix        []string  `yaml:"fix"`
	Patterns   []Pattern `yaml:"patterns"`
}

// Pattern is one regular expression, written for ASCII-lowercased log
// text and compiled in multi-line mode; Not, when set, drops a matched
// line that it also matches.
type Pattern struct {
	Match string `yaml:"match"`
	Not   string `yaml:"not,omitempty"`
	// Note says why the expression looks the way it does, when that is
	// not obvious from it.
	Note     string    `yaml:"note,omitempty"`
	Examples []Example `yaml:"examples,omitempty"`
}

// Example is a log line, verbatim, and the public page it was published
// on.
type Example struct {
	Line string `yaml:"line"`
	URL  string `yaml:"url"`
}

// Parse reads one family file. Unknown keys are errors, so a misspelt
// field cannot silently fall back to its zero value.
func Parse(data []byte) ([]Signature, error) {
	var out []Signature
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField(), yaml.Strict())
	if err := dec.Decode(&out); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // no document: comments only, or nothing
		}
		return nil, fmt.Errorf("parse: %w", err)
	}
	return out, nil
}
