package rules

import "github.com/ccm-ci/ccm/analysis"

// fixCompile is shared by the compiler-error signatures.
var fixCompile = steps(
	"The project does not compile or type-check at this commit; this is a defect in the change, not in CI.",
	"Open the first error (file and line are in the evidence), fix it, and run the same build/type-check command locally before pushing.",
	"If the error appeared after a dependency or toolchain bump, adapt the code to the new API or pin the previous version.")

// fileRef captures a source path with a line number in compiler output.
var fileRef = re(`(/?(?:[\w@.+-]+/)*[\w@.+-]+\.(?:ts|tsx|js|jsx|mjs|cjs|vue|java|kt|kts|scala|go|rs|c|cc|cpp|cxx|h|hpp|m|mm|swift|cs|fs|vb|py|rb|php|ex|exs))(?::\[?\d+|\(\d+|\[\d+|\s+\(\d+)`)

// codeSignatures: the code itself is wrong. Never auto-remediated.
var codeSignatures = []signature{
	{
		name: "typescript-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`error ts\d{4,5}: `,
			// ts-loader and fork-ts-checker put the code on its own line;
			// it stays a type error when a few lines land in between.
			`error in [^\n]+\n(?:[^\n]*\n){0,3}\s*ts\d{4,5}: `),
		risk: 8, effort: analysis.EffortMedium, confidence: 90, extract: fileRef,
		component: "TypeScript sources", fix: fixCompile,
	},
	{
		name: "java-compile-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`error: cannot find symbol`,
			`(?:\[error\]|error:) +[^\n]*\.java:\[\d+,\d+\] `,
			`compilation error :`,
			`\.java:\d+: error: `,
			`error: incompatible types: `,
			`error: package [\w.]+ does not exist`,
			`is not abstract and does not override abstract method`,
			`^e: [^\n]*\.kts?:(?:\d+:\d+|\(\d+, ?\d+\)):? `,
			`^e: file:///[^\n]+\.kts?:\d+:\d+ `,
			`\[error\] [^\n]*\.scala:\d+:\d+: `),
		risk: 8, effort: analysis.EffortMedium, confidence: 85, extract: fileRef,
		component: "JVM sources", fix: fixCompile,
	},
	{
		name: "c-cpp-compile-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`\.(?:c|cc|cpp|cxx|h|hh|hpp|m|mm|ino):\d+:\d+: (?:fatal )?error: `,
			`was not declared in this scope`,
			"undefined reference to `",
			`error: ld returned 1 exit status`,
			`\): error c\d{4}: `,
			`\): fatal error c\d{4}: `),
		risk: 8, effort: analysis.EffortMedium, confidence: 85, extract: fileRef,
		component: "C/C++ sources", fix: fixCompile,
	},
	{
		name: "rust-compile-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`error\[e\d{4}\]`,
			"error: could not compile `[\\w-]+`",
			`^(?:\[[\d:]+\] )?error: expected [^\n]+, found `,
			`^(?:\[[\d:]+\] )?error: (?:cannot find|unresolved|mismatched|unexpected closing delimiter|this file contains an unclosed delimiter)`),
		risk: 8, effort: analysis.EffortMedium, confidence: 88, extract: fileRef,
		component: "Rust sources", fix: fixCompile,
	},
	{
		name: "go-compile-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`\.go:\d+:\d+: (?:undefined: |cannot use |too many arguments|not enough arguments|[\w."]+ imported and not used|declared and not used|declared but not used|syntax error|missing return|invalid operation|[^\n]* has no field or method|[^\n]* redeclared in this block|cannot assign to |non-boolean|assignment mismatch|cannot convert )`,
			`^fail\s+[\w./-]+ \[build failed\]`,
			`^vet: [^\n]*\.go:\d+:\d+: `),
		risk: 8, effort: analysis.EffortMedium, confidence: 88, extract: fileRef,
		component: "Go sources", fix: fixCompile,
	},
	{
		name: "dotnet-swift-compile-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`error cs\d{4}: `,
			`error fs\d{4}: `,
			`error bc\d{5}: `,
			`\.swift:\d+:\d+: error: `),
		risk: 8, effort: analysis.EffortMedium, confidence: 88, extract: fileRef,
		component: "compiled sources", fix: fixCompile,
	},
	{
		name: "python-syntax-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`file "[^"\n]+\.py", line \d+[^\n]*\n(?:[^\n]*\n){0,4}[^\n]*\b(?:syntaxerror|indentationerror|taberror): `,
			`importerror: cannot import name '[\w]+' from '[\w.]+'`,
			`nameerror: name '[\w]+' is not defined`,
			`php (?:parse|fatal) error: `),
		risk: 8, effort: analysis.EffortMedium, confidence: 75, extract: fileRef,
		component: "application sources",
		fix: steps(
			"The code fails at import/parse time (syntax error, undefined name, or an import of a name that no longer exists).",
			"Fix the file and line shown in the traceback and run the module or test suite locally.",
			"If the missing name comes from a dependency, pin the dependency version that still provides it or update the import."),
	},
	{
		name: "js-syntax-or-bundle-error", category: analysis.CategoryCode, tier: tierCompile,
		patterns: []pattern{
			patNot(`syntaxerror: [^\n]*\(\d+:\d+\)`, `json`),
			patNot(`syntaxerror: (?:unexpected token|missing|unterminated|invalid or unexpected token|identifier '[^'\n]+' has already been declared)`, `json|<`),
			mustPattern(`module not found: error: can't resolve '[^'\n]+'`, ""),
			mustPattern(`\[vite\]: rollup failed to resolve import`, ""),
			mustPattern(`^failed to compile\.?\s*$`, ""),
			mustPattern(`error: cannot find module '\.{1,2}/[^'\n]+'`, ""),
		},
		risk: 8, effort: analysis.EffortMedium, confidence: 75, extract: fileRef,
		component: "JavaScript sources", fix: fixCompile,
	},
	{
		name: "lint-or-format-errors", category: analysis.CategoryCode, tier: tierCompile,
		patterns: pats(
			`✖ \d+ problems? \(\d+ errors?`,
			`code style issues found in `,
			`oh no! 💥 💥 💥`,
			`^would reformat `,
			`\d+ files? would be reformatted`,
			`^[\w./-]+\.py:\d+:\d+: [efw]\d{3} `,
			`^found \d+ errors? in \d+ files? \(checked`,
			`\d+ files? inspected, \d+ offenses? detected`,
			`\.go:\d+:\d+: [^\n]+ \((?:errcheck|govet|staticcheck|unused|gosimple|ineffassign|revive|gofmt|goimports|gocritic|stylecheck|misspell|unparam|gosec|lll|typecheck)\)`),
		risk: 7, effort: analysis.EffortLow, confidence: 85, extract: fileRef,
		component: "lint/format check",
		fix: steps(
			"A linter, formatter or type checker rejected the change.",
			"Run the same tool locally (it is named in the step: eslint, prettier, black, ruff, flake8, mypy, rubocop, golangci-lint) and fix or auto-format the reported files.",
			"Commit the result; re-running CI does not change the outcome."),
	},
	{
		name: "test-collection-error", category: analysis.CategoryCode, tier: tierCollect,
		patterns: pats(
			`error collecting [\w/.-]+\.py`,
			`test suite failed to run`,
			`^\s*interrupted: \d+ errors? during collection`),
		risk: 8, effort: analysis.EffortMedium, confidence: 60, tests: true, extract: fileRef,
		component: "test suite",
		fix: steps(
			"The test runner could not even load a test file (import error, syntax/type error, bad fixture).",
			"Read the error under the collection failure and fix the import or the code it points to.",
			"Run the single test file locally to confirm it loads."),
	},
	{
		name: "runtime-panic", category: analysis.CategoryCode, tier: tierRuntimeCrash,
		patterns: pats(
			`panic: runtime error: `,
			`fatal error: concurrent map (?:writes|read and map write)`,
			`nullpointerexception`),
		risk: 8, effort: analysis.EffortMedium, confidence: 50, tests: true, extract: fileRef,
		component: "application runtime",
		fix: steps(
			"The code crashed at run time (nil/null dereference, index out of range, concurrent map access).",
			"Use the stack trace in the evidence to find the first frame in this repository and fix the missing check or synchronisation.",
			"If it only happens sometimes, treat it as a race: run the tests with the race detector or repeat them locally."),
	},
}
