package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// ghaLog writes lines as a GitHub Actions job log prints them: each behind
// the runner's timestamp, one tenth of a second apart.
func ghaLog(lines ...string) string {
	var b strings.Builder
	for i, l := range lines {
		b.WriteString("2026-12-05T10:00:")
		b.WriteString(string(rune('0' + i/10%6)))
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString(".1000000Z ")
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}

// passingLogCase is one finding of the signature review: a log that
// passed and must come back with no failure line, or a failing log whose
// category and confidence the labelling conventions fix.
type passingLogCase struct {
	name    string // the finding it pins
	log     string
	passing bool              // NoFailureFound() must hold
	wantCat analysis.Category // failing: the category
	maxConf int               // failing: confidence at most this (0: any)
	// stable: failing, and a plain re-run is not the remedy.
	stable bool
	// notSig: the signature must not decide the log.
	notSig string
}

func runPassingLogCases(t *testing.T, cases []passingLogCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(ccmInput(t, tc.log))
			if tc.passing {
				if !got.NoFailureFound() {
					t.Errorf("passing log not NoFailureFound: %s %d%%: %s", got.Category, got.Confidence, got.Reasoning)
				}
				return
			}
			if got.NoFailureFound() {
				t.Fatalf("failing log came back without a failure line: %s", got.Reasoning)
			}
			if tc.wantCat != "" && got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			if tc.maxConf > 0 && got.Confidence > tc.maxConf {
				t.Errorf("confidence = %d, want at most %d (%s)", got.Confidence, tc.maxConf, got.Reasoning)
			}
			if tc.stable && slices.ContainsFunc(got.Actions, func(a analysis.Action) bool { return a.Type == analysis.ActionRerunFailedJobs }) {
				t.Errorf("a re-run is proposed, want a change to be the remedy (%s)", got.Reasoning)
			}
			if tc.notSig != "" && strings.Contains(got.Reasoning, `Rule "`+tc.notSig+`"`) {
				t.Errorf("%s decided: %s", tc.notSig, got.Reasoning)
			}
		})
	}
}

// TestReviewedPassingLogs: lines a passing run prints (a tool's warning it
// goes on after, a retry that then succeeded, a test title naming an
// error) must not turn the run into a failure.
func TestReviewedPassingLogs(t *testing.T) {
	runPassingLogCases(t, []passingLogCase{
		{name: "A1 codecov-cli retried a 502 and uploaded", passing: true, log: ghaLog(
			"##[group]Run codecov/codecov-action@v4",
			"info - 2026-12-05 10:00:01,200 -- ci service found: github-actions",
			"info - 2026-12-05 10:00:02,310 -- Found 2 coverage files to report",
			"warning - 2026-12-05 10:00:03,020 -- Response status code was 503. --- {\"retry\": 2}",
			"warning - 2026-12-05 10:00:03,021 -- Request failed. Retrying --- {\"retry\": 2}",
			"info - 2026-12-05 10:00:06,400 -- Process Upload complete",
			"##[endgroup]")},
		{name: "A2 apt-get update warns of a mirror mid-sync", passing: true, log: ghaLog(
			"##[group]Run sudo apt-get update && sudo apt-get install -y ninja-build",
			"Hit:1 http://azure.archive.ubuntu.com/ubuntu noble InRelease",
			"W: Failed to fetch http://azure.archive.ubuntu.com/ubuntu/dists/noble-updates/InRelease  File has unexpected size (2211 != 2230). Mirror sync in progress? [IP: 20.1.2.3 80]",
			"W: Some index files failed to download. They have been ignored, or old ones used instead.",
			"Reading package lists...",
			"Setting up ninja-build (1.11.1-2) ...",
			"##[endgroup]")},
		{name: "A3 pytest-rerunfailures: passed on the rerun", passing: true, log: ghaLog(
			"##[group]Run pytest -q --reruns 3",
			"============================= test session starts ==============================",
			"plugins: rerunfailures-14.0",
			"tests/test_sync.py::test_pull PASSED                                     [ 50%]",
			"RERUN tests/test_sync.py::test_push",
			"tests/test_sync.py::test_push PASSED                                     [100%]",
			"=========================== rerun test summary info ============================",
			"RERUN tests/test_sync.py::test_push",
			"======================== 2 passed, 1 rerun in 1.40s =========================")},
		{name: "A3 surefire Flakes with BUILD SUCCESS", passing: true, log: ghaLog(
			"[INFO] Results:",
			"[INFO] ",
			"[WARNING] Flakes: ",
			"[WARNING] org.acme.queue.ConsumerIT.drainsOnShutdown",
			"[ERROR]   Run 1: ConsumerIT.drainsOnShutdown:57 expected:<0> but was:<2>",
			"[INFO]   Run 2: PASS",
			"[INFO] ",
			"[WARNING] Tests run: 88, Failures: 0, Errors: 0, Skipped: 0, Flakes: 1",
			"[INFO] BUILD SUCCESS")},
		{name: "A4 go test skips without docker", passing: true, log: ghaLog(
			"##[group]Run go test -v ./...",
			"=== RUN   TestImagePush",
			"    push_test.go:22: skip: exec: \"docker\": executable file not found in $PATH",
			"--- SKIP: TestImagePush (0.00s)",
			"=== RUN   TestTagName",
			"--- PASS: TestTagName (0.00s)",
			"PASS",
			"ok  \tgithub.com/acme/reg/push\t0.031s")},
		{name: "A4 PowerShell probe before choco install", passing: true, log: ghaLog(
			"##[group]Run if (-not (Get-Command cmake -ErrorAction Ignore)) { cmake --version; choco install cmake -y }",
			"cmake : The term 'cmake' is not recognized as the name of a cmdlet, function, script file, or operable program.",
			"Chocolatey installed 1/1 packages.",
			"##[endgroup]",
			"##[group]Run cmake --build build --config Release",
			"Build succeeded.",
			"    0 Warning(s)",
			"    0 Error(s)")},
		{name: "A5 npm 6 warns saveError outside a project", passing: true, log: ghaLog(
			"##[group]Run npm install -g @stoplight/spectral-cli",
			"npm WARN saveError ENOENT: no such file or directory, open '/home/runner/work/api/api/package.json'",
			"npm WARN enoent ENOENT: no such file or directory, open '/home/runner/work/api/api/package.json'",
			"+ @stoplight/spectral-cli@6.11.0",
			"added 190 packages from 120 contributors in 9.4s",
			"##[endgroup]")},
		{name: "A6 a wait script's own retry prose", passing: true, log: ghaLog(
			"##[group]Run ./ci/wait-for-db.sh",
			"attempt 1 failed (timeout), retrying in 3s",
			"attempt 2 ok: db accepting connections",
			"##[endgroup]",
			"##[group]Run go test ./...",
			"ok  \tgithub.com/acme/store\t1.204s")},
		{name: "A7 sdkmanager --uninstall of an absent package", passing: true, log: ghaLog(
			"##[group]Run $ANDROID_HOME/cmdline-tools/latest/bin/sdkmanager --uninstall \"build-tools;30.0.2\"",
			"Warning: Failed to find package 'build-tools;30.0.2'",
			"##[endgroup]",
			"##[group]Run ./gradlew assembleRelease",
			"BUILD SUCCESSFUL in 1m 2s",
			"58 actionable tasks: 58 executed")},
		{name: "A8 gradle lenient dependency verification", passing: true, log: ghaLog(
			"##[group]Run ./gradlew check --dependency-verification lenient",
			"Dependency verification failed for configuration ':runtimeClasspath':",
			"  - On artifact okio-3.6.0.jar (com.squareup.okio:okio:3.6.0) in repository 'MavenRepo': checksum is missing from verification metadata.",
			"BUILD SUCCESSFUL in 41s")},
		{name: "B pip retried and installed", passing: true, log: ghaLog(
			"##[group]Run pip install -r requirements.txt",
			"WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='pypi.org', port=443): Read timed out. (read timeout=15)\")': /simple/flask/",
			"Collecting flask==3.0.0",
			"Successfully installed flask-3.0.0 werkzeug-3.0.1",
			"##[endgroup]")},
		{name: "B pip self-check could not reach the index", passing: true, log: ghaLog(
			"##[group]Run pip install --no-index --find-links dist/ mypkg",
			"Processing ./dist/mypkg-1.0-py3-none-any.whl",
			"Successfully installed mypkg-1.0",
			"WARNING: There was an error checking the latest version of pip.",
			"Could not fetch URL https://pypi.org/simple/pip/: There was a problem confirming the ssl certificate: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /simple/pip/ (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 101] Network is unreachable')) - skipping",
			"##[endgroup]")},
		{name: "B composer warns its lock is stale", passing: true, log: ghaLog(
			"##[group]Run composer install --no-interaction",
			"Warning: The lock file is not up to date with the latest changes in composer.json. You may be getting outdated dependencies. It is recommended that you run `composer update` or `composer update <package name>`.",
			"Package operations: 12 installs, 0 updates, 0 removals",
			"Generating autoload files",
			"##[endgroup]")},
		{name: "B yarn leaves out an optional dependency", passing: true, log: ghaLog(
			"##[group]Run yarn install --frozen-lockfile",
			"[1/4] Resolving packages...",
			"info @swc/core-darwin-arm64@1.3.100: The engine \"node\" is incompatible with this module. Expected version \">=20\". Got \"18.19.0\"",
			"info \"@swc/core-darwin-arm64@1.3.100\" is an optional dependency and failed compatibility check. Excluding it from installation.",
			"[4/4] Building fresh packages...",
			"Done in 21.70s.")},
		{name: "B jest titles that name errors", passing: true, log: ghaLog(
			"##[group]Run npx jest",
			"PASS src/loader.test.ts",
			"  ✓ hints at \"Library not loaded: '/usr/local/opt/icu4c/lib/libicuuc.72.dylib'\" (4 ms)",
			"  ✓ maps \"context deadline exceeded\" to a timeout (12 ms)",
			"Test Suites: 1 passed, 1 total",
			"Tests:       2 passed, 2 total")},
		{name: "B go test waits for postgres then passes", passing: true, log: ghaLog(
			"##[group]Run go test -v ./db",
			"=== RUN   TestMigrate",
			"    db_test.go:30: waiting for postgres: dial tcp 127.0.0.1:5432: connect: connection refused",
			"--- PASS: TestMigrate (2.10s)",
			"PASS",
			"ok  \tgithub.com/acme/app/db\t2.140s")},
		{name: "B wait-for-it attempts then success", passing: true, log: ghaLog(
			"##[group]Run ./wait-for-it.sh db:5432 -- echo ready",
			"Timed out waiting for db:5432 (attempt 1 of 10)",
			"ready",
			"##[endgroup]",
			"##[group]Run npm test",
			"Tests:       31 passed, 31 total")},
	})
}

// TestReviewedFailingLogs: the failing side of the same findings, with the
// category and confidence the conventions give.
func TestReviewedFailingLogs(t *testing.T) {
	runPassingLogCases(t, []passingLogCase{
		{name: "A1 codecov-cli gave up after its retries", wantCat: analysis.CategoryInfrastructure, log: ghaLog(
			"##[group]Run codecov/codecov-action@v4",
			"warning - 2026-12-05 10:00:03,020 -- Response status code was 502. --- {\"retry\": 2}",
			"warning - 2026-12-05 10:00:03,021 -- Request failed. Retrying --- {\"retry\": 2}",
			"Exception: Request failed after too many retries",
			"##[error]Codecov: Failed to properly upload: The process '/home/runner/work/_actions/codecov/codecov-action/v4/dist/codecov' failed with exit code 1")},
		{name: "C1 a rerun test that failed every time is not flaky evidence", notSig: "rerun-marker", wantCat: analysis.CategoryCode, stable: true, log: ghaLog(
			"##[group]Run pytest --reruns 2",
			"tests/test_tax.py::test_rate RERUN                                         [ 50%]",
			"tests/test_tax.py::test_rate RERUN                                         [ 50%]",
			"tests/test_tax.py::test_rate FAILED                                        [ 50%]",
			"E       assert 0.19 == 0.2",
			"=========================== rerun test summary info ============================",
			"RERUN tests/test_tax.py::test_rate",
			"RERUN tests/test_tax.py::test_rate",
			"=========================== short test summary info ============================",
			"FAILED tests/test_tax.py::test_rate - assert 0.19 == 0.2",
			"==================== 1 failed, 1 passed, 2 rerun in 0.20s =====================",
			"##[error]Process completed with exit code 1.")},
		{name: "C2 a Selenium wait timeout is evidence, not 90%", wantCat: analysis.CategoryFlakyTest, maxConf: 70, log: ghaLog(
			"tests/ui/test_cart.py::test_checkout FAILED",
			">       WebDriverWait(driver, 5).until(EC.title_contains(\"Order\"))",
			"E       selenium.common.exceptions.TimeoutException: Message:",
			"FAILED tests/ui/test_cart.py::test_checkout - selenium.common.exceptions.TimeoutException: Message:",
			"========================= 1 failed, 12 passed in 20.1s =========================",
			"##[error]Process completed with exit code 1.")},
		{name: "C3 a link failure after a failed download is the download", wantCat: analysis.CategoryInfrastructure, log: ghaLog(
			"##[group]Run brew install libpq && make",
			"curl: (56) Recv failure: Connection reset by peer",
			"Error: libpq: Failed to download resource \"libpq\"",
			"ld: library not found for -lpq",
			"clang: error: linker command failed with exit code 1 (use -v to see invocation)",
			"make: *** [server] Error 1",
			"##[error]Process completed with exit code 2.")},
		{name: "C3 a bare link failure is code at half confidence", wantCat: analysis.CategoryCode, maxConf: 50, log: ghaLog(
			"[100%] Linking CXX executable bin/tool",
			"Undefined symbols for architecture arm64:",
			"  \"_parse_config\", referenced from:",
			"ld: symbol(s) not found for architecture arm64",
			"clang: error: linker command failed with exit code 1 (use -v to see invocation)",
			"##[error]Process completed with exit code 2.")},
		{name: "C4 Maven's HTTPS Required is the repository URL", notSig: "jvm-repository-network", stable: true, log: ghaLog(
			"[ERROR] Failed to execute goal on project svc: Could not resolve dependencies for project org.acme:svc:jar:1.0: Failed to collect dependencies at junit:junit:jar:4.13: Failed to read artifact descriptor for junit:junit:jar:4.13: Could not transfer artifact junit:junit:pom:4.13 from/to central (http://repo.maven.apache.org/maven2): Failed to transfer file http://repo.maven.apache.org/maven2/junit/junit/4.13/junit-4.13.pom with status code 501, ReasonPhrase:HTTPS Required. Return code is: 501 -> [Help 1]",
			"##[error]Process completed with exit code 1.")},
		{name: "C4 an old JDK's TLS protocol alert is not the network", notSig: "jvm-repository-network", stable: true, log: ghaLog(
			"[ERROR] Failed to execute goal on project web: Could not resolve dependencies for project org.acme:web:war:2.1: Could not transfer artifact org.slf4j:slf4j-api:jar:1.7.36 from/to central (https://repo.maven.apache.org/maven2): Received fatal alert: protocol_version -> [Help 1]",
			"##[error]Process completed with exit code 1.")},
		{name: "C5 terraform registry 401 is the token", notSig: "terraform-registry-network", maxConf: 30, log: ghaLog(
			"Initializing provider plugins...",
			"│ Error: Failed to query available provider packages",
			"│ Could not retrieve the list of available versions for provider acme/dns: could not connect to app.terraform.io: Failed to request discovery document: 403 Forbidden",
			"##[error]Process completed with exit code 1.")},
		{name: "C6 bash ran an HTML page: infrastructure at low confidence", wantCat: analysis.CategoryInfrastructure, maxConf: 40, log: ghaLog(
			"##[group]Run bash <(curl -s https://get.example.dev/install.sh)",
			"/dev/fd/63: line 1: syntax error near unexpected token `newline'",
			"/dev/fd/63: line 1: `<!DOCTYPE html>'",
			"##[error]Process completed with exit code 2.")},
		{name: "C7 golangci-lint's own timeout is not transient", wantCat: analysis.CategoryTimeout, stable: true, log: ghaLog(
			"##[group]Run golangci-lint run --timeout=1m",
			"level=error msg=\"Timeout exceeded: try increasing it by passing --timeout option\"",
			"##[error]Process completed with exit code 4.")},
		{name: "D1 composer lock incompatible: dependency at 70", wantCat: analysis.CategoryDependency, maxConf: 70, log: ghaLog(
			"##[group]Run composer install",
			"Installing dependencies from lock file (including require-dev)",
			"Your lock file does not contain a compatible set of packages. Please run composer update.",
			"  Problem 1",
			"    - laravel/pint is locked to version v1.13.0 and an update of this package was not requested.",
			"##[error]Process completed with exit code 2.")},
		{name: "D2 mamba has no such python: config", wantCat: analysis.CategoryConfig, log: ghaLog(
			"##[group]Run micromamba create -n ci -f environment.yml",
			"error    libmamba Could not solve for environment specs",
			"Encountered problems while solving:",
			"  - nothing provides requested python 3.6**",
			"##[error]Process completed with exit code 1.")},
		{name: "D3 a PPA without a Release file: config", wantCat: analysis.CategoryConfig, log: ghaLog(
			"##[group]Run sudo add-apt-repository -y ppa:old-team/tools && sudo apt-get update",
			"Err:7 http://ppa.launchpad.net/old-team/tools/ubuntu jammy Release",
			"  404  Not Found [IP: 185.125.190.52 80]",
			"E: The repository 'http://ppa.launchpad.net/old-team/tools/ubuntu jammy Release' does not have a Release file.",
			"##[error]Process completed with exit code 100.")},
		{name: "D4 RubyGems unreachable is rubygems-source-unreachable", wantCat: analysis.CategoryInfrastructure, notSig: "package-registry-network", log: ghaLog(
			"##[group]Run bundle install",
			"Retrying fetcher due to error (2/4): Bundler::HTTPError Could not fetch specs from https://rubygems.org/ due to underlying error <Errno::ECONNRESET: Connection reset by peer>",
			"##[error]Process completed with exit code 17.")},
		{name: "E an app log line with error in it is not ESLint", notSig: "lint-or-format-errors", log: ghaLog(
			"##[group]Run ./scripts/smoke.sh",
			"scheduler started",
			"  12:05  error  job 41 lost heartbeat, requeued  worker",
			"##[error]Process completed with exit code 1.")},
		{name: "E ESLint stylish under its file line", wantCat: analysis.CategoryCode, log: ghaLog(
			"##[group]Run npx eslint src",
			"/home/runner/work/web/web/src/cart.js",
			"  14:7  error  'total' is assigned a value but never used  no-unused-vars",
			"",
			"✖ 1 problem (1 error, 0 warnings)",
			"##[error]Process completed with exit code 1.")},
	})
}
