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

// isLockfile reports whether a changed path is a dependency lockfile.
func isLockfile(p string) bool {
	return slices.Contains(lockfiles, path.Base(strings.ToLower(strings.ReplaceAll(p, "\\", "/"))))
}

// Failed steps. GitHub names a step by its "name:", else "Run " and its
// command or action ("Run npm test", "Run actions/checkout@v4"), and adds
// its own ("Set up job", "Post Run actions/cache@v4"). A step is setup, and
// what the change touched does not matter, only when its whole name is one
// ccm recognises; matching words anywhere would make "Run
// ./scripts/login_smoke.sh" or "Run checkout service" setup. Anything else
// is assumed to run the project's code, because a wrong "setup" lets a
// change's own failure be re-run unattended while a wrong "build" only asks
// a person.

type stepKind int

const (
	stepBuild   stepKind = iota // builds, tests or runs the project's code (the default)
	stepInstall                 // installs dependencies: a build step for which lockfiles count too
	stepSetup                   // prepares the runner; the change cannot have caused its failure
)

// runnerSteps are GitHub's own steps, by lowercase name.
var runnerSteps = []string{"set up job", "complete job", "initialize containers", "stop containers"}

// setupActions are actions whose step only prepares the runner, as GitHub
// names an unnamed step that uses one ("run " + the reference up to "@").
// Actions that install the project's dependencies (ruby/setup-ruby with
// bundler-cache) or run its code are not among them.
var setupActions = []string{
	"actions/checkout", "actions/cache", "actions/cache/restore", "actions/cache/save",
	"actions/upload-artifact", "actions/download-artifact", "actions/setup-go", "actions/setup-node",
	"actions/setup-python", "actions/setup-java", "actions/setup-dotnet", "docker/login-action",
	"docker/setup-buildx-action", "docker/setup-qemu-action", "aws-actions/configure-aws-credentials",
	"azure/login", "google-github-actions/auth", "google-github-actions/setup-gcloud", "pnpm/action-setup",
	"astral-sh/setup-uv", "oven-sh/setup-bun", "denoland/setup-deno", "dtolnay/rust-toolchain",
}

// setupLeads start the names people give setup steps ("Checkout", "Set up
// Go 1.22", "Log in to the Container registry"). The rest of the name may
// only hold setupObjects and version numbers, so "Set up database" (which
// may run the project's migrations) is not setup.
var setupLeads = []string{
	"checkout", "check out", "set up", "setup", "cache", "restore cache", "save cache",
	"upload artifact", "upload artifacts", "download artifact", "download artifacts", "log in to", "login to",
}

// setupObjects are the words a setup step's name may go on with: what is
// checked out, a toolchain, a registry.
var setupObjects = []string{
	"the", "a", "to", "and", "code", "repo", "repository", "source", "sources", "submodules", "branch", "pr",
	"go", "golang", "node", "js", "nodejs", "python", "java", "jdk", "temurin", "ruby", "rust", "toolchain",
	"net", "docker", "buildx", "qemu", "pnpm", "uv", "bun", "deno", "container", "registry", "ghcr", "io",
	"hub", "aws", "credentials", "gcloud", "cloud", "sdk", "artifact", "artifacts", "cache", "modules",
}

// installPhrases mark a step that installs dependencies, anywhere in its
// name: wrongly read as install, a step only also counts lockfiles.
var installPhrases = []string{
	"install", "npm ci", "yarn", "pnpm i", "bundle", "go mod download", "dependenc", "deps", "bootstrap",
	"nuget", "restore packages", "composer", "poetry", "pip ", "vendor",
}

// buildWords in a step's name mean it builds or tests the project's code
// even when its name starts like a setup step ("Set up and run tests").
var buildWords = []string{
	"build", "builds", "building", "test", "tests", "testing", "compile", "compiling", "lint", "linting",
	"vet", "typecheck", "make", "cargo", "pytest", "jest", "vitest", "mocha", "tox", "nox", "mvn", "maven",
	"gradle", "gradlew", "bazel", "cmake", "ctest", "msbuild", "dotnet", "xcodebuild", "e2e", "spec", "specs",
	"rspec", "coverage", "bench", "benchmark", "verify", "tsc", "rake", "phpunit", "integration", "unit",
}

// BuildsOrTests reports whether a failed step (its name as GitHub shows it)
// may build, test or otherwise run the project's code: every step but the
// setup steps ccm recognises by their whole name (see above). Dependency
// installation counts as building: it runs the project's install scripts.
func BuildsOrTests(step string) bool { return stepKindOf(step) != stepSetup }

func stepKindOf(step string) stepKind {
	low := strings.Join(strings.Fields(strings.ToLower(step)), " ")
	// A post step cleans up after the step it is named for. Only an
	// action has one, and its post stage runs the action's own cleanup
	// (saving a cache, removing credentials), never the project's build or
	// tests: the post step of an action from another repository is setup.
	// A local action's (its code is the repository's), a named step's (the
	// name may hide a local action) and one whose action the log does not
	// tell ("Post job cleanup", the runner's line that opens a post stage)
	// are judged by the rest of their name, on the cautious side.
	post := false
	for strings.HasPrefix(low, "post ") {
		low, post = strings.TrimPrefix(low, "post "), true
	}
	if post && isRemoteAction(low) {
		return stepSetup
	}
	words := strings.FieldsFunc(low, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	switch {
	case slices.ContainsFunc(installPhrases, func(p string) bool { return strings.Contains(low, p) }) &&
		!isSetupAction(low):
		return stepInstall
	case slices.ContainsFunc(words, func(w string) bool { return slices.Contains(buildWords, w) }):
		return stepBuild
	case slices.Contains(runnerSteps, low), isSetupAction(low), isSetupName(low):
		return stepSetup
	}
	return stepBuild
}

// isSetupAction: "run owner/action@ref" for one of setupActions.
func isSetupAction(low string) bool {
	ref, ok := strings.CutPrefix(low, "run ")
	if !ok || strings.ContainsAny(ref, " \t") {
		return false
	}
	name, _, found := strings.Cut(ref, "@")
	return found && slices.Contains(setupActions, name)
}

// isRemoteAction: "run owner/action@ref", an action from another
// repository. A local action ("./path") has no "@ref"; an image
// ("docker://image@sha256:…") runs whatever the image holds.
func isRemoteAction(low string) bool {
	ref, ok := strings.CutPrefix(low, "run ")
	if !ok || strings.ContainsAny(ref, " \t") || strings.HasPrefix(ref, "docker://") {
		return false
	}
	return strings.Contains(ref, "@")
}

// isSetupName: one of setupLeads, then only setupObjects and versions.
func isSetupName(low string) bool {
	for _, lead := range setupLeads {
		rest, ok := strings.CutPrefix(low, lead)
		if !ok || rest != "" && rest[0] != ' ' {
			continue
		}
		words := strings.FieldsFunc(rest, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
		if !slices.ContainsFunc(words, func(w string) bool { return !slices.Contains(setupObjects, w) && !isVersion(w) }) {
			return true
		}
	}
	return false
}

// isVersion: "20", "3", "v4" (the pieces of "Node.js 20.x", "v4.1").
func isVersion(w string) bool {
	w = strings.TrimPrefix(w, "v")
	return w == "x" || w != "" && strings.Trim(w, "0123456789") == ""
}
