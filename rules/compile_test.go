package rules

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
)

// npmReset is the one line any build can print that used to turn a
// compile error into a risk-2 re-run.
const npmReset = "npm error code ECONNRESET"

// rustDepErr is a rustc error located in a dependency's registry source.
const rustDepErr = "   Compiling half v1.8.2\nerror[E0658]: `if` is not allowed in a `const fn`\n   --> /home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/half-1.8.2/src/lib.rs:10:9\nerror: could not compile `half`\n"

// tsLog is a real failed `tsc --noEmit` step.
func tsLog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/logs/typescript-type-errors.log")
	if err != nil {
		t.Fatalf("read ts log: %v", err)
	}
	return string(b)
}

// insertLine puts line after the n-th line of log.
func insertLine(t *testing.T, log, line string, n int) string {
	t.Helper()
	lines := strings.SplitAfter(log, "\n")
	if n > len(lines) {
		t.Fatalf("insert after line %d of %d", n, len(lines))
	}
	return strings.Join(lines[:n], "") + line + "\n" + strings.Join(lines[n:], "")
}

func TestCompileErrorOutranks(t *testing.T) {
	ts := tsLog(t)
	// Line 9 of the real log is "> tsc --noEmit -p tsconfig.json": the
	// adversarial line lands after compiling started, before the errors.
	tsMid := insertLine(t, ts, "quality (node 24)\tRun npm run typecheck\t2026-08-22T07:25:11.4369600Z "+npmReset, 9)
	tests := []struct {
		name    string
		in      Input
		wantSig string
		wantCat analysis.Category
	}{
		{name: "ts errors", in: Input{Text: ts}, wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "ts errors, network line before them", in: Input{Text: tsMid}, wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "ts errors, network line before them, ccm input", in: ccmInput(t, tsMid), wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "ts errors, network line first", in: Input{Text: npmReset + "\n" + ts}, wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "ts errors, network line last", in: Input{Text: ts + npmReset + "\n"}, wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "ts errors, network line in the reason", in: Input{Reason: npmReset, Text: ts}, wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "ts errors and docker hub limit", in: Input{Text: ts + "toomanyrequests: You have reached your pull rate limit.\n"}, wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "go compile error and runner shutdown", in: Input{Text: "./main.go:12:2: undefined: foo\n##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.\n"}, wantSig: "go-compile-error", wantCat: analysis.CategoryCode},
		{name: "lint errors and registry reset", in: Input{Text: "npm error code ECONNRESET\n/src/a.js\n  3:7  error  'x' is assigned a value but never used  no-unused-vars\n\n✖ 1 problem (1 error, 0 warnings)\n"}, wantSig: "lint-or-format-errors", wantCat: analysis.CategoryCode},
		{name: "missing relative module and registry reset", in: Input{Text: npmReset + "\nsrc/app.ts(1,20): error TS2307: Cannot find module './utils' or its corresponding type declarations.\n"}, wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "rust error and crates network", in: Input{Text: "warning: spurious network error (2 tries remaining): [6] Couldn't resolve host name\nerror[E0308]: mismatched types\n --> src/main.rs:4:18\n"}, wantSig: "rust-compile-error", wantCat: analysis.CategoryCode},

		// Counterparts: compile errors another failure explains keep the
		// tier order.
		{name: "npm ci reset, tsc never installed", in: Input{Text: npmReset + "\nnpm error network aborted\n> tsc --noEmit\nsh: 1: tsc: not found\n"}, wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure},
		{name: "npm ci reset, tsc ran without packages", in: Input{Text: npmReset + "\nsrc/app.tsx(1,19): error TS2307: Cannot find module 'react' or its corresponding type declarations.\nsrc/app.tsx(2,8): error TS7016: Could not find a declaration file for module 'lodash'.\n"}, wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure},
		{name: "missing package at run time", in: Input{Text: "src/a.ts(1,20): error TS2307: Cannot find module 'lodash' or its corresponding type declarations.\nError: Cannot find module 'lodash'\nRequire stack:\n- /app/index.js\n"}, wantSig: "node-module-missing", wantCat: analysis.CategoryDependency},
		{name: "errors inside node_modules and registry reset", in: Input{Text: npmReset + "\nnode_modules/@types/node/globals.d.ts(72,13): error TS2403: Subsequent variable declarations must have the same type.\n"}, wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure},
		{name: "wheel build fails on C errors", in: Input{Text: "src/_speedups.c:120:5: error: implicit declaration of function 'PyFoo' [-Wimplicit-function-declaration]\nerror: command '/usr/bin/gcc' failed with exit code 1\nERROR: Failed building wheel for speedups\n"}, wantSig: "dependency-build-failed", wantCat: analysis.CategoryDependency},
		{name: "disk full while compiling", in: Input{Text: "src/main.c:1:10: fatal error: error writing to /tmp/ccX.s: No space left on device\ncompilation terminated.\n"}, wantSig: "disk-full", wantCat: analysis.CategoryInfrastructure},
		{name: "disk full while linking", in: Input{Text: "/usr/bin/ld: final link failed: No space left on device\ncollect2: error: ld returned 1 exit status\n"}, wantSig: "disk-full", wantCat: analysis.CategoryInfrastructure},
		// rustc puts an error's location on the next line: in the cargo
		// registry the error is the dependency's, in src/ the project's.
		{name: "rust error inside the cargo registry", in: Input{Text: rustDepErr}, wantSig: "dependency-source-compile-error", wantCat: analysis.CategoryDependency},
		{name: "rust error in the project and the registry", in: Input{Text: rustDepErr + "error[E0425]: cannot find value `cfg` in this scope\n  --> src/main.rs:3:5\n"}, wantSig: "rust-compile-error", wantCat: analysis.CategoryCode},
		{name: "go proxy timeout, build failed", in: Input{Text: "go: github.com/x/y@v1.2.3: Get \"https://proxy.golang.org/github.com/x/y/@v/v1.2.3.zip\": dial tcp 142.250.1.1:443: i/o timeout\nFAIL\tgithub.com/acme/app [build failed]\n"}, wantSig: "go-proxy-network", wantCat: analysis.CategoryInfrastructure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			if m := Explain(tc.in); len(m) == 0 || m[0].Signature != tc.wantSig {
				t.Errorf("strongest signature = %v, want %s", m, tc.wantSig)
			}
			if tc.wantCat == analysis.CategoryCode {
				checkFloor(t, got)
			}
			outranked := strings.Contains(got.Reasoning, "outranks it")
			if wantNote := tc.wantCat == analysis.CategoryCode && tc.name != "ts errors"; outranked != wantNote {
				t.Errorf("outranked note = %v, want %v: %s", outranked, wantNote, got.Reasoning)
			}
		})
	}
}

// checkFloor asserts a code verdict that binds the model (docs/ARCHITECTURE.md
// §3.2): risk of a code defect, no remediation, application code, and
// confidence at or above the floor threshold.
func checkFloor(t *testing.T, got analysis.AnalysisResult) {
	t.Helper()
	if got.RiskScore < 7 || !got.InvolvesApplicationCode || got.Confidence < 60 {
		t.Errorf("risk %d, involves_application_code %v, confidence %d: want risk >= 7, true, confidence >= 60",
			got.RiskScore, got.InvolvesApplicationCode, got.Confidence)
	}
	if slices.ContainsFunc(got.Actions, func(a analysis.Action) bool { return a.Type != analysis.ActionNone }) {
		t.Errorf("actions = %v, want none", got.Actions)
	}
}

// TestCompileFixturesKeepRisk injects lines any build can print into every
// real log whose verdict is a compile error: the verdict must not move.
func TestCompileFixturesKeepRisk(t *testing.T) {
	injected := []string{
		npmReset,
		"toomanyrequests: You have reached your pull rate limit.",
		"##[error]The runner has received a shutdown signal.",
		"ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up to date",
		"fatal: unable to access 'https://github.com/a/b/': Could not resolve host: github.com",
		"Error: Cannot find module 'lodash'",
		"ModuleNotFoundError: No module named 'requests'",
		"OSError: [Errno 28] No space left on device",
	}
	checked := 0
	for _, l := range cilogs.All() {
		base := Classify(Input{Text: l.Log})
		if m := Explain(Input{Text: l.Log}); len(m) == 0 || base.Category != analysis.CategoryCode || !slices.ContainsFunc(table, func(s signature) bool {
			return s.name == m[0].Signature && s.tier == tierCompile
		}) {
			continue
		}
		checked++
		n := strings.Count(l.Log, "\n")
		for _, line := range injected {
			for _, at := range []int{0, n / 2, n} {
				log := insertLine(t, l.Log, line, at)
				for _, in := range []Input{{Text: log}, ccmInput(t, log)} {
					got := Classify(in)
					if got.Category != analysis.CategoryCode || got.RiskScore < base.RiskScore || !got.InvolvesApplicationCode {
						t.Errorf("%s with %q after line %d: %s risk %d, want code risk >= %d", l.ID, line, at, got.Category, got.RiskScore, base.RiskScore)
					}
				}
			}
		}
	}
	t.Logf("%d fixtures with a compile verdict checked", checked)
	if checked == 0 {
		t.Fatal("no fixture has a compile verdict")
	}
}
