package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
)

// Compile errors first. A compile, type or lint error in the project's own
// sources is a defect in the change: whatever else the log says, a re-run
// fails on it again. Any line a build prints (a test fixture, a script, a
// dependency's postinstall) can match a higher-tier signature, and without
// this rule one printed "npm error code ECONNRESET" turned a type error into
// a risk-2 re-run, lowering the deterministic floor (docs/ARCHITECTURE.md §3.2). So
// a genuine compile error outranks every non-code signature: all of them
// (network, dependency, platform, configuration) carry a lower risk and
// none can make the compile error go away.
//
// Genuine excludes the compile errors another failure explains, so those
// keep the tier order:
//   - a missing third-party module or package ("Cannot find module 'react'",
//     "package org.x does not exist", "No module named"): an install that
//     failed or a dependency never declared; the install error or the
//     module-missing signature says which;
//   - errors inside third-party code (node_modules, site-packages, the Go
//     module cache, the cargo registry; for rustc, the location line after
//     the error line): a dependency's problem;
//   - C/C++/Rust errors while a dependency builds from source (a wheel or
//     node-gyp build failed): the compiler ran on the dependency;
//   - a compile line that an outranked signature also matches ("error
//     writing ...: No space left on device"): that signature is its cause;
//   - summary and link lines ("ld returned 1 exit status", clang's "linker
//     command failed with exit code 1", "[build failed]",
//     "could not compile `x`", "Failed to compile."): they say a build
//     failed, not where, and a full disk or a missing library prints them
//     too.

// compileScanLimit bounds the lines re-scanned per compile signature when
// the first maxLinesPerSig are all explained.
const compileScanLimit = 64

// dependencyShaped finds compile errors about a missing third-party module
// or package in a lowercased line. Relative imports ('./x') are the
// project's own files and stay genuine.
var dependencyShaped = regexp.MustCompile(`cannot find module ['"][^'"./]|can't resolve ['"][^'"./]|failed to resolve import ['"][^'"./]|cannot find package|could not find a declaration file for module|cannot find type definition file|package [\w.]+ does not exist|no module named|cannot import name|unresolved import|error\[e04(?:32|33|63)\]|can't find crate|undeclared crate|no required module provides|fatal error: [^\n]*: no such file or directory`)

// summaryLine finds compile-signature lines that report a failed build
// without a source error of their own, in a lowercased line.
var summaryLine = regexp.MustCompile(`ld returned \d+ exit status|linker command failed with exit code|symbol\(s\) not found for architecture|undefined reference to|\[build failed\]|failed to compile\.?\s*$|compilation error :|could not compile`)

// thirdPartyPath finds a dependency's source location in a lowercased line.
var thirdPartyPath = regexp.MustCompile(`node_modules/|site-packages/|dist-packages/|\.cargo/(?:registry|git)/|/pkg/mod/|\.m2/repository/|\.gradle/caches/|vendor/bundle/|\.pub-cache/`)

// rustLocation finds rustc's location line ("  --> path:line:col"), which
// follows the error line it places, in a lowercased line.
var rustLocation = regexp.MustCompile(`^[^\S\n]*--> `)

// locatedInThirdParty reports whether the line after sp is rustc's location
// line pointing into a dependency's source: the error on sp is the
// dependency's, though the path is not on its own line.
func (sc scanned) locatedInThirdParty(sp span) bool {
	if sp.end >= len(sc.low) {
		return false
	}
	next := sc.low[sp.end:]
	if next[0] == '\n' {
		next = next[1:]
	}
	if i := bytes.IndexByte(next, '\n'); i >= 0 {
		next = next[:i]
	}
	return rustLocation.Match(next) && thirdPartyPath.Match(next)
}

// nativeCompile lists the compile signatures a dependency build from source
// also prints.
func (s *signature) nativeCompile() bool {
	return s.name == "c-cpp-compile-error" || s.name == "rust-compile-error"
}

// compileFirst lets a genuine compile error outrank every non-code hit of a
// higher tier. The outranked hits are explained: neither rivals nor
// flakiness evidence.
func compileFirst(sc scanned, hits []hit) {
	var above []*signature
	depBuild := false
	for i := range hits {
		h := &hits[i]
		if h.sig.category != analysis.CategoryCode && h.tier > tierCompile {
			above = append(above, h.sig)
			depBuild = depBuild || h.sig.name == "dependency-build-failed"
		}
	}
	if len(above) == 0 {
		return
	}
	genuine := false
	for i := range hits {
		s := hits[i].sig
		if s.category != analysis.CategoryCode || s.tier != tierCompile || (depBuild && s.nativeCompile()) {
			continue
		}
		if sc.genuineCompile(hits[i].lines, above) || sc.genuineCompile(sc.findN(s, compileScanLimit), above) {
			genuine = true
			break
		}
	}
	if !genuine {
		return
	}
	for i := range hits {
		if h := &hits[i]; h.sig.category != analysis.CategoryCode && h.tier > tierCompile {
			h.tier = tierCompile - 1
			h.flaky = false
			h.why = byCompileError
		}
	}
}

// genuineCompile reports whether one of the compile lines is a log line
// that no other explanation covers. causes are the signatures the compile
// error would outrank; one of them matching the line itself explains it.
func (sc scanned) genuineCompile(lines []span, causes []*signature) bool {
	for _, sp := range lines {
		if !sc.isLog(sp) {
			continue
		}
		l := sc.low[sp.start:sp.end]
		if dependencyShaped.Match(l) || summaryLine.Match(l) || thirdPartyPath.Match(l) || sc.locatedInThirdParty(sp) || matchesAny(l, causes) {
			continue
		}
		return true
	}
	return false
}

// matchesAny reports whether a signature matches on the line itself.
// Multi-line patterns that need the lines around it do not, which is fine:
// they are not on it.
func matchesAny(line []byte, sigs []*signature) bool {
	for _, s := range sigs {
		for _, p := range s.patterns {
			if p.re.Match(line) && (p.not == nil || !p.not.Match(line)) {
				return true
			}
		}
	}
	return false
}

// compileNote explains, for the reasoning, which hits a compile error
// outranked.
func compileNote(hits []hit) string {
	var names []string
	for _, h := range hits {
		if h.why == byCompileError {
			names = append(names, h.sig.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("The log also shows %s, which normally ranks higher; a compile error in the project's sources outranks it, because no network, dependency or platform failure elsewhere in the log makes the compile error go away and a re-run would fail on it again.",
		strings.Join(names, ", "))
}
