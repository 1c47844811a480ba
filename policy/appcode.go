package policy

import (
	"path"
	"slices"
	"strings"
)

// Application-code detection from ccm's own signals: which step failed
// (GitHub's job record) and which files the change touched (GitHub's
// compare or pull-request files). Neither comes from the model.
//
// A change "touches application source" unless every file it changed is CI
// configuration, documentation, a lockfile or repository metadata. The
// line is drawn where a file can change what the project's build or tests
// execute:
//   - lockfiles (go.sum, package-lock.json, ...) pin versions the manifest
//     already allows; a lockfile-only change is a dependency refresh, and a
//     re-run of a flaky step on one is as safe as on any other commit;
//   - manifests (package.json, go.mod, pyproject.toml, build.gradle, ...)
//     ARE application source: they carry scripts, plugins and build logic
//     (package.json "scripts", Gradle files are code, setup.py is Python),
//     and a version bump in them changes the code the tests run against;
//   - CI definitions (.github/**, .gitlab-ci.yml, ...) are not: a broken
//     workflow is a config failure, which the category already says;
//   - build files (Makefile, Dockerfile, CMakeLists.txt) and test files are
//     application source: they are the project's code.

// ciPrefixes are directories that hold CI definitions only.
var ciPrefixes = []string{".github/", ".circleci/", ".buildkite/", ".gitlab/", ".azure-pipelines/"}

// ciFiles are CI definition files, by lowercase base name.
var ciFiles = []string{
	".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", "jenkinsfile", "appveyor.yml", ".appveyor.yml",
	".drone.yml", "bitbucket-pipelines.yml", "codecov.yml", ".codecov.yml", ".pre-commit-config.yaml",
	"renovate.json", ".renovaterc", ".renovaterc.json", ".mergify.yml",
}

// lockfiles are dependency lockfiles, by lowercase base name.
var lockfiles = []string{
	"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock",
	"deno.lock", "go.sum", "go.work.sum", "cargo.lock", "poetry.lock", "pipfile.lock", "pdm.lock", "uv.lock",
	"gemfile.lock", "composer.lock", "mix.lock", "pubspec.lock", "podfile.lock", "package.resolved",
	"packages.lock.json", "gradle.lockfile", "flake.lock", "conda-lock.yml",
}

// docExtensions are prose formats. Plain .txt is not among them: it also
// names requirements.txt and CMakeLists.txt.
var docExtensions = []string{".md", ".markdown", ".rst", ".adoc", ".asciidoc"}

// docNames are prose files known by name, with no extension or .txt/.md.
var docNames = []string{"license", "licence", "copying", "notice", "authors", "contributors", "changelog", "changes", "history", "codeowners"}

// metaFiles are repository metadata that no build or test reads.
var metaFiles = []string{".gitignore", ".editorconfig", ".mailmap"}

// IsApplicationSource reports whether a changed path (relative to the
// repository root) can change what the project's build or tests run; see
// the comment above for where the line is and why.
func IsApplicationSource(p string) bool {
	p = strings.TrimPrefix(strings.TrimLeft(strings.ReplaceAll(p, "\\", "/"), "/"), "./")
	low := strings.ToLower(p)
	base := path.Base(low)
	ext := path.Ext(base)
	switch {
	case slices.ContainsFunc(ciPrefixes, func(d string) bool { return strings.HasPrefix(low, d) }),
		slices.Contains(ciFiles, base),
		slices.Contains(lockfiles, base),
		slices.Contains(metaFiles, base),
		slices.Contains(docExtensions, ext),
		slices.Contains(docNames, strings.TrimSuffix(base, ext)) && (ext == "" || ext == ".txt" || ext == ".md"):
		return false
	}
	return true
}

// setupPhrases mark a step that prepares the runner or moves files around
// rather than running the project's code (lowercase; "post " and "set up "
// are prefixes, the rest may occur anywhere in the name).
var setupPhrases = []string{
	"set up job", "complete job", "initialize containers", "stop containers", "checkout", "check out",
	"actions/setup-", "cache", "upload artifact", "upload-artifact", "download artifact", "download-artifact",
	"login", "log in", "install", "npm ci", "restore", "go mod download",
}

var setupPrefixes = []string{"post ", "set up ", "setup ", "run actions/setup-"}

// buildWords in a step's name mean it builds or tests the project's code
// even when it also matches a setup phrase ("Set up and run tests").
var buildWords = []string{
	"build", "builds", "building", "test", "tests", "testing", "compile", "compiling", "lint", "linting",
	"vet", "typecheck", "make", "cargo", "pytest", "jest", "vitest", "mocha", "tox", "nox", "mvn", "maven",
	"gradle", "gradlew", "bazel", "cmake", "ctest", "msbuild", "dotnet", "xcodebuild", "e2e", "spec", "specs",
	"rspec", "coverage", "bench", "benchmark", "verify", "tsc", "rake", "phpunit", "integration", "unit",
}

// BuildsOrTests reports whether a failed step (its name as GitHub shows it)
// builds or tests the project's code. Only steps recognised as runner setup,
// checkout, caching, artifact transfer, login or dependency installation
// are not; a name ccm does not recognise ("Run ./ci.sh") is assumed to run
// the project's code, because a wrong "no" would let a change's own failure
// be re-run unattended.
func BuildsOrTests(step string) bool {
	low := strings.ToLower(strings.TrimSpace(step))
	words := strings.FieldsFunc(low, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	if slices.ContainsFunc(words, func(w string) bool { return slices.Contains(buildWords, w) }) {
		return true
	}
	setup := slices.ContainsFunc(setupPrefixes, func(p string) bool { return strings.HasPrefix(low, p) }) ||
		slices.ContainsFunc(setupPhrases, func(p string) bool { return strings.Contains(low, p) })
	return !setup
}
