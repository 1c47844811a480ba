package policy

import "testing"

func TestIsApplicationSource(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		// Application source: code, tests, build files, manifests.
		{"src/main.go", true},
		{"internal/retry_test.go", true},
		{"Makefile", true},
		{"Dockerfile", true},
		{"CMakeLists.txt", true},
		{"package.json", true},
		{"go.mod", true},
		{"requirements.txt", true},
		{"pyproject.toml", true},
		{"app/build.gradle.kts", true},
		{"docs/site/src/index.tsx", true}, // a docs site's code is code
		{"test/fixtures/screenshot.png", true},
		{".gitattributes", true}, // line endings and LFS change what the tests read
		// CI definitions.
		{".github/workflows/ci.yml", false},
		{".github/actions/setup/action.yml", false},
		{".github/dependabot.yml", false},
		{".gitlab-ci.yml", false},
		{".circleci/config.yml", false},
		{"Jenkinsfile", false},
		// Documentation.
		{"README.md", false},
		{"docs/guide.rst", false},
		{"CHANGELOG.md", false},
		{"LICENSE", false},
		{"NOTICE.txt", false},
		{"CODEOWNERS", false},
		// Lockfiles.
		{"go.sum", false},
		{"package-lock.json", false},
		{"web/pnpm-lock.yaml", false},
		{"Cargo.lock", false},
		{"poetry.lock", false},
		{"Gemfile.lock", false},
		// Metadata, and spellings of the same paths.
		{".gitignore", false},
		{"./README.md", false},
		{"/.github/workflows/ci.yml", false},
		{`docs\guide.md`, false},
		{"YARN.LOCK", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := IsApplicationSource(tt.path); got != tt.want {
				t.Errorf("IsApplicationSource(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestBuildsOrTests(t *testing.T) {
	tests := []struct {
		step string
		want bool
	}{
		{"Run tests", true},
		{"Build", true},
		{"Run go test ./...", true},
		{"npm run lint", true},
		{"Run make check", true},
		{"Typecheck", true},
		{"Run ./ci.sh", true},        // not recognised: assumed to run the code
		{"Deploy to staging", true},  // not recognised either
		{"Set up Go and test", true}, // a build word wins over a setup name
		{"Cache build outputs", true},
		// Setup words inside a name that is not a setup step's.
		{"Run ./scripts/login_smoke.sh", true},
		{"Run checkout service", true},
		{"Checkout service", true},
		{"Set up database", true}, // may run the project's migrations
		{"Run restore-db.sh", true},
		{"Run ruby/setup-ruby@v1", true}, // bundler-cache runs bundle install
		// Installing dependencies runs the project's install scripts.
		{"Install dependencies", true},
		{"Run npm ci", true},
		{"Restore NuGet packages", true},
		{"Set up Python and install deps", true},
		// Setup steps, recognised by their whole name.
		{"Set up job", false},
		{"Complete job", false},
		{"Initialize containers", false},
		{"Run actions/checkout@v4", false},
		{"Checkout", false},
		{"Check out code", false},
		{"Checkout repository", false},
		{"Set up Go", false},
		{"Set up Node.js 20", false},
		{"Setup JDK 17", false},
		{"Run actions/setup-python@v5", false},
		{"Run actions/cache@v4", false},
		{"Run actions/cache/restore@v4", false},
		{"Restore cache", false},
		{"Cache Go modules", false},
		{"Upload artifact", false},
		{"Log in to the Container registry", false},
		{"Post Run actions/checkout@v4", false},
		{"Post Set up Go", false},
		// A post step runs its action's cleanup, not the project's code;
		// a local action's is the repository's code, a named one may be a
		// local action, and an unnamed one may be either.
		{"Post job cleanup", true},
		{"Post Run docker/build-push-action@v6", false},
		{"Post Run gradle/actions/setup-gradle@v4", false},
		{"Post Run ./.github/actions/build", true},
		{"Post Run docker://ghcr.io/acme/test-runner@sha256:0123abcd", true},
		{"Post Build and push image", true},
		{"  set   up   job ", false},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			if got := BuildsOrTests(tt.step); got != tt.want {
				t.Errorf("BuildsOrTests(%q) = %v, want %v", tt.step, got, tt.want)
			}
		})
	}
}
