package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// The family tables: for each signature family, lines it must decide (with
// the category the conventions give) and near-misses it must leave alone.
// They run through runMisfireCases (misfire_test.go).

// TestInfraFamiliesNeedTheRemoteSide: the connection and server-error
// families name a remote host or a server's answer; the same words about
// this machine, a dotless compose service or a test title are the job's
// own doing.
func TestInfraFamiliesNeedTheRemoteSide(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "urllib3 to localhost", notSig: "http-client-connect-failed",
			log: "requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8000): Max retries exceeded with url: /health (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))"},
		{name: "urllib3 to a remote host", wantSig: "http-client-connect-failed", wantCat: analysis.CategoryInfrastructure,
			log: "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.example.org', port=443): Max retries exceeded with url: /v1 (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 110] Connection timed out'))"},
		{name: "go dial to this machine", notSig: "http-client-connect-failed",
			log: "db_test.go:20: dial tcp 127.0.0.1:5432: i/o timeout"},
		{name: "go lookup of a compose service", notSig: "http-client-connect-failed",
			log: "dial tcp: lookup postgres on 127.0.0.11:53: no such host"},
		{name: "go lookup of a public host", wantSig: "http-client-connect-failed",
			log: "go: downloading example.com/m v1.0.0\nGet \"https://proxy.golang.org/example.com/m/@v/v1.0.0.zip\": dial tcp: lookup proxy.golang.org on 127.0.0.53:53: server misbehaving"},
		{name: "http client to this machine", notSig: "http-client-connect-failed",
			log: "Connect to localhost:8080 [localhost/127.0.0.1] failed: Connection timed out"},
		{name: "remote error words inside a test title", notSig: "git-host-server-error",
			log: "  ✓ retries the push when remote: Internal Server Error (4 ms)\n  1 passing (20ms)"},
		{name: "git push 500", wantSig: "git-host-server-error", wantCat: analysis.CategoryInfrastructure,
			log: "remote: Resolving deltas: 100% (4/4), completed with 4 local objects.\nremote: Internal Server Error\n ! [remote failure]  main -> main (remote failed to report status)\nerror: failed to push some refs to 'https://github.com/o/r.git'"},
		{name: "maven 429 beats the resolution wrapper", wantSig: "package-registry-rate-limit", wantCat: analysis.CategoryInfrastructure,
			log: "[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project o:app:jar:1.0: Could not transfer artifact o:lib:jar:1.0 from/to central (https://repo.maven.apache.org/maven2): status code: 429, reason phrase: Too Many Requests (429)"},
		{name: "registry 4xx is not an outage", notSig: "container-registry-server-error",
			log: "Error response from daemon: received unexpected HTTP status: 401 Unauthorized"},
		{name: "rubygems dns", wantSig: "rubygems-source-unreachable", wantCat: analysis.CategoryInfrastructure,
			log: "ERROR:  Could not find a valid gem 'bundler' (>= 0), here is why:\n          Unable to download data from https://rubygems.org/ - no such name (https://rubygems.org/specs.4.8.gz)"},
	})
}

// TestConfigFamiliesDecideAndStayQuiet: the configuration families
// (retired runner images, missing manifests, Docker build context, the
// job's toolchain version) win on their own lines and stay quiet on the
// warnings and look-alikes printed by passing or differently-caused runs.
func TestConfigFamiliesDecideAndStayQuiet(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "image deprecation warning only", notSig: "ci-runner-unavailable",
			log: "##[warning]The ubuntu-20.04 environment is deprecated, consider switching to ubuntu-22.04 instead.\nok  \texample.com/x\t0.2s"},
		{name: "brownout fails the job", wantSig: "ci-runner-unavailable", wantCat: analysis.CategoryConfig,
			log: "This is a scheduled Ubuntu-20.04 brownout. The Ubuntu-20.04 environment is deprecated and will be removed on April 15th, 2025."},
		{name: "unknown runs-on label", wantSig: "ci-runner-unavailable", wantCat: analysis.CategoryConfig,
			log: "Error: No runner matching the specified labels was found: self-hosted, arm64, gpu"},
		{name: "azure demands", wantSig: "ci-runner-unavailable", wantCat: analysis.CategoryConfig,
			log: "##[error]No agent found in pool Linux-Build which satisfies the specified demands: docker, Agent.Version -gtVersion 3.220.0"},
		{name: "CRLF shebang is not a missing interpreter", notSig: "command-not-found",
			log: "/usr/bin/env: 'python3\r': No such file or directory"},
		{name: "shebang interpreter missing", wantSig: "command-not-found", wantCat: analysis.CategoryConfig,
			log: "/usr/bin/env: 'node': No such file or directory\nError: Process completed with exit code 127."},
		{name: "pwsh command missing", wantSig: "command-not-found",
			log: "ninja : The term 'ninja' is not recognized as the name of a cmdlet, function, script file, or operable program."},
		{name: "npm script program missing", wantSig: "command-not-found",
			log: "> vite build\n\nnpm error sh: 1: vite: not found\nnpm error Lifecycle script `build` failed"},
		{name: "go os/exec program missing", wantSig: "command-not-found",
			log: `Error: exec: "protoc": executable file not found in $PATH`},
		{name: "dependency package.json is a broken tree", notSig: "project-manifest-not-found",
			log: "npm ERR! enoent ENOENT: no such file or directory, open '/home/runner/work/a/a/node_modules/left-pad/package.json'"},
		{name: "go.mod missing beats the module wrapper", wantSig: "project-manifest-not-found", wantCat: analysis.CategoryConfig,
			log: "main.go:5:2: no required module provides package example.com/lib: go.mod file not found in current directory or any parent directory; see 'go help modules'"},
		{name: "maven run outside the project", wantSig: "project-manifest-not-found", wantCat: analysis.CategoryConfig,
			log: "[ERROR] The goal you specified requires a project to execute but there is no POM in this directory (/home/runner/work/app/app). Please verify you invoked Maven from the correct directory. -> [Help 1]"},
		{name: "docker context", wantSig: "docker-build-context-missing", wantCat: analysis.CategoryConfig,
			log: "#9 ERROR: failed to calculate checksum of ref 4b1c::x2y: \"/dist\": not found\nERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref 4b1c::x2y: \"/dist\": not found"},
		{name: "bundler pinned by the gemfile", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig,
			log: "Bundler could not find compatible versions for gem \"bundler\":\n  In Gemfile:\n    bundler (~> 1.17)\n\n  Current Bundler version:\n    bundler (2.4.10)\nThis Gemfile requires a different version of Bundler."},
		{name: "rustc too old for a dependency", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig,
			log: "error: rustc 1.70.0 is not supported by the following packages:\n  clap@4.5.4 requires rustc 1.74"},
		{name: "gradle JVM too old", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig,
			log: "> Could not resolve all files for configuration ':classpath'.\n   > Dependency requires at least JVM runtime version 17. This build uses a Java 11 JVM."},
		{name: "yarn 1 with a packageManager pin", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig,
			log: "error This project's package.json defines \"packageManager\": \"yarn@4.1.0\". However the current global version of Yarn is 1.22.19."},
		{name: "dart sdk too old", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig,
			log: "The current Dart SDK version is 2.19.6.\n\nBecause app requires SDK version >=3.0.0 <4.0.0, version solving failed."},
	})
}

// TestDependencyFamilyWordings: the package-manager families match the
// failing form of each message, not its warning twin (sbt's eviction
// [warn], apt's W:, pipenv's non-deploy lock refresh) nor a credentials
// or certificate failure that belongs to config.
func TestDependencyFamilyWordings(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "sbt eviction warning", notSig: "dependency-conflict",
			log: "[warn] Found version conflict(s) in library dependencies; some are suspected to be binary incompatible:\n[warn] \t* org.typelevel:cats-core_2.13:2.9.0 is selected over 2.6.1\n[success] Total time: 12 s"},
		{name: "sbt update error", wantSig: "dependency-conflict", wantCat: analysis.CategoryDependency,
			log: "[error] (update) found version conflict(s) in library dependencies; some are suspected to be binary incompatible:\n[error] \t* io.circe:circe-core_2.13:0.14.6 (early-semver) is selected over 0.13.0"},
		{name: "old apt W: repository warning", notSig: "system-package-unresolvable",
			log: "W: The repository 'http://ppa.launchpad.net/acme/tools/ubuntu xenial Release' does not have a Release file.\nN: Data from such a repository can't be authenticated and is therefore potentially dangerous to use.\nReading package lists... Done"},
		{name: "EOL release error", wantSig: "system-package-unresolvable", wantCat: analysis.CategoryDependency,
			log: "Err:4 http://deb.debian.org/debian stretch Release\n  404  Not Found\nE: The repository 'http://deb.debian.org/debian stretch Release' does not have a Release file."},
		{name: "pipenv refreshes its lock", notSig: "lockfile-out-of-date",
			log: "Pipfile.lock (4f2a1c) out of date, updating to (9e07b3)...\nLocking [packages] dependencies...\nUpdated Pipfile.lock (9e07b3)!"},
		{name: "pipenv deploy refuses", wantSig: "lockfile-out-of-date",
			log: "Your Pipfile.lock (4f2a1c) is out of date. Expected: (9e07b3).\nERROR:: Aborting deploy"},
		{name: "composer 401 is credentials", notSig: "package-registry-network",
			log: "  The \"https://repo.example.com/packages.json\" file could not be downloaded (HTTP/1.1 401 Unauthorized)"},
		{name: "rubygems certificate failure", notSig: "package-registry-network",
			log: "ERROR:  Could not find a valid gem 'rake' (>= 0), here is why:\n          Unable to download data from https://rubygems.org/ - SSL_connect returned=1 errno=0 state=error: certificate verify failed (https://rubygems.org/specs.4.8.gz)"},
		{name: "yarn tarball 404 is not a missing package", notSig: "dependency-version-missing",
			log: "error An unexpected error occurred: \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz: Request failed \\\"404 Not Found\\\"\"."},
		{name: "bun frozen lockfile", wantSig: "lockfile-out-of-date", wantCat: analysis.CategoryDependency,
			log: "bun install v1.1.30\nerror: lockfile had changes, but lockfile is frozen\nnote: try re-running without --frozen-lockfile and commit the updated lockfile"},
		{name: "cargo checksum", wantSig: "package-checksum-mismatch", wantCat: analysis.CategoryDependency,
			log: "  Downloaded serde v1.0.190\nerror: failed to verify the checksum of `serde v1.0.190`"},
		{name: "apt held packages", wantSig: "system-package-unresolvable", wantCat: analysis.CategoryDependency,
			log: "The following packages have unmet dependencies:\n libfoo-dev : Depends: libfoo1 (= 2.1-1) but 2.1-2 is to be installed\nE: Unable to correct problems, you have held broken packages."},
		{name: "apk mirror down beats unable to select", wantCat: analysis.CategoryInfrastructure,
			log: "WARNING: updating and opening https://dl-cdn.alpinelinux.org/alpine/v3.19/main: temporary error (try again later)\nERROR: unable to select packages:\n  curl (no such package):\n    required by: world[curl]"},
		{name: "pub server unavailable", wantSig: "package-registry-network", wantCat: analysis.CategoryInfrastructure,
			log: "Resolving dependencies...\npub get failed (server unavailable) -- attempting retry 1 in 1 second..."},
		{name: "maven central 429", wantSig: "package-registry-rate-limit", wantCat: analysis.CategoryInfrastructure,
			log: "[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project com.acme:app:jar:1.0: Could not transfer artifact org.slf4j:slf4j-api:jar:2.0.9 from/to central (https://repo.maven.apache.org/maven2): status code: 429, reason phrase: Too Many Requests (429)"},
		{name: "cabal solver", wantSig: "dependency-conflict",
			log: "Resolving dependencies...\ncabal: Could not resolve dependencies:\n[__0] trying: acme-0.1.0.0 (user goal)"},
	})
}

// TestTestFamilyLines: the runner-timeout, flaky-marker, assertion and
// compile families added for other runners and tools fire on their own
// lines (hand-written, in each tool's format) and not on the passing or
// warning-level lines of the same tools.
func TestTestFamilyLines(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "vitest test timeout", wantSig: "js-test-timeout", wantCat: analysis.CategoryFlakyTest,
			log: " FAIL  src/api.test.ts > api > fetches\nError: Test timed out in 5000ms.\nIf this is a long-running test, pass a timeout value as the last argument or configure it globally with \"testTimeout\"."},
		{name: "gradle test executor killed", wantSig: "oom-killed", wantCat: analysis.CategoryInfrastructure,
			log: "> Task :core:test FAILED\n\nFAILURE: Build failed with an exception.\n\n* What went wrong:\nExecution failed for task ':core:test'.\n> Process 'Gradle Test Executor 3' finished with non-zero exit value 137\n  This problem might be caused by incorrect test process configuration."},
		{name: "jasmine timeout", wantSig: "js-test-timeout",
			log: "Failures:\n1) Api fetches\n  Message:\n    Error: Timeout - Async function did not complete within 5000ms (set by jasmine.DEFAULT_TIMEOUT_INTERVAL)\n\n3 specs, 1 failure"},
		{name: "ctest timeout", wantSig: "test-driver-timeout", wantCat: analysis.CategoryTimeout,
			log: "3/4 Test #3: net_test .........................***Timeout  60.02 sec\n\n75% tests passed, 1 tests failed out of 4\n\nThe following tests FAILED:\n\t  3 - net_test (Timeout)\nErrors while running CTest"},
		{name: "nextest timeout", wantSig: "test-driver-timeout",
			log: "        SLOW [> 60.000s] core tests::sync\n     TIMEOUT [ 120.004s] core tests::sync\n------------\n     Summary [ 121.000s] 40 tests run: 39 passed, 1 timed out, 0 skipped"},
		{name: "nextest slow but passed", notSig: "test-driver-timeout",
			log: "        SLOW [> 60.000s] core tests::sync\n        PASS [  75.120s] core tests::sync\n     Summary [  76.000s] 40 tests run: 40 passed, 0 skipped"},
		{name: "bazel timeout", wantSig: "test-driver-timeout",
			log: "//pkg/net:net_test                                             TIMEOUT in 300.1s\n\nExecuted 1 out of 1 test: 1 fails locally."},
		{name: "teamcity execution timeout, downloaded log", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout,
			log: "[03:58:40] :\t\t [Step 2/2] Running integration tests\n[04:00:01]W:\t\t [Step 2/2] The build Acme::Nightly #812 {buildId=9921} has been running for more than 60 minutes. Terminating...\n[04:00:01]E: Execution timeout\n[04:00:02]W:\t\t [Step 2/2] Process exited with code 137"},
		{name: "teamcity's build problem, as the excerpt feeds it (its line prefix gone)", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout,
			log: "Execution timeout (new)\nDumping threads before termination:"},
		{name: "a test's message about an execution timeout", notSig: "ci-step-timeout",
			log: "FAIL: test_query_limits\nAssertionError: Execution timeout for query 'q1' not raised"},
		{name: "meson timeout", wantSig: "test-driver-timeout", wantCat: analysis.CategoryTimeout,
			log: "[0/1] Running all tests.\n1/3 core_test                    OK      2.10 s\n2/3 net_test                     TIMEOUT 30.01 s\n3/3 io_test                      OK      0.52 s\n\nOk:                    2\nFail:                  0\nTimeout:               1"},
		{name: "meson timeout, newer row", wantSig: "test-driver-timeout",
			log: " 7/12 mylib:unit / parser_test          TIMEOUT        30.02s   killed by signal 15 SIGTERM\n\nOk:                 11\nTimeout:             1"},
		{name: "meson all passed", notSig: "test-driver-timeout",
			log: "1/2 core_test                    OK      2.10 s\n2/2 net_test                     OK      1.01 s\n\nOk:                    2\nTimeout:               0"},
		{name: "a numbered status table's timeout column", notSig: "test-driver-timeout",
			log: "2/3 worker  timeout 30 s (retrying)\nError: deploy verification failed: 2 of 3 workers unhealthy"},
		{name: "a numbered step that mentions a timeout", notSig: "test-driver-timeout",
			log: "1/3 waiting for the database, timeout 30 s\nError: connection refused"},
		{name: "ctest all passed", notSig: "test-run-failed",
			log: "100% tests passed, 0 tests failed out of 24\n\nTotal Test time (real) =  12.01 sec"},
		{name: "jasmine all passed", notSig: "js-test-failure",
			log: "Executed 10 of 10 SUCCESS\n10 specs, 0 failures"},
		{name: "selenium wait", wantCat: analysis.CategoryFlakyTest,
			log: "    def test_login(self):\n>       WebDriverWait(self.driver, 10).until(EC.visibility_of_element_located((By.ID, \"menu\")))\nE       selenium.common.exceptions.TimeoutException: Message:\n\nFAILED tests/ui/test_login.py::test_login - selenium.common.exceptions.TimeoutException: Message:"},
		// Re-run and failed again: it failed every attempt (retries.go).
		{name: "pytest rerun", wantCat: analysis.CategoryCode,
			log: "=========================== rerun test summary info ============================\nRERUN tests/test_api.py::test_fetch\n=========================== short test summary info ============================\nFAILED tests/test_api.py::test_fetch - assert 500 == 200"},
		{name: "surefire flake", wantCat: analysis.CategoryFlakyTest,
			log: "[ERROR] Failures:\n[ERROR] com.example.ApiTest.fetch\n[ERROR]   Run 1: ApiTest.fetch:40 expected: <200> but was: <500>\n[INFO]   Run 2: PASS\n[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0"},
		{name: "nunit assertion", wantSig: "native-test-failure",
			log: "  Failed ParsesDate [12 ms]\n  Error Message:\n     Expected: 2011-08-01\n  But was:  2011-08-02\n"},
		{name: "cargo test failed", wantSig: "native-test-failure",
			log: "test result: ok. 3 passed; 0 failed\nerror: test failed, to rerun pass `--test api`"},
		{name: "mypy errors", wantCat: analysis.CategoryCode,
			log: "src/app/models.py:12: error: Argument 1 to \"load\" has incompatible type \"int\"; expected \"str\"  [arg-type]\nFound 1 error in 1 file (checked 40 source files)"},
		{name: "mypy note only", notSig: "lint-or-format-errors",
			log: "src/app/models.py:12: note: Revealed type is \"builtins.int\"\nSuccess: no issues found in 40 source files"},
		{name: "eslint any rule", wantCat: analysis.CategoryCode,
			log: "/home/runner/work/app/src/index.js\n  3:5  error  'fetchUser' is not defined  no-undef\n  9:1  error  Expected indentation of 2 spaces  indent"},
		{name: "eslint warning only", notSig: "lint-or-format-errors",
			log: "/home/runner/work/app/src/index.js\n  26:1  warning  Unexpected console statement  no-console"},
		{name: "next.js type error", wantSig: "typescript-error",
			log: "   Linting and checking validity of types  .Failed to compile.\n\n./src/components/Nav.tsx:12:7\nType error: Property 'href' does not exist on type 'NavProps'."},
		{name: "golangci-lint timeout", wantSig: "tool-own-timeout", wantCat: analysis.CategoryTimeout,
			log: "Running [/home/runner/golangci-lint-1.55.2-linux-amd64/golangci-lint run] in [] ...\n  level=error msg=\"Timeout exceeded: try increasing it by passing --timeout option\"\n  Error: golangci-lint exit with code 4"},
		{name: "golangci-lint findings beat its timeout", wantSig: "lint-or-format-errors",
			log: "pkg/a.go:3:5: Error return value of `f.Close` is not checked (errcheck)\nlevel=error msg=\"Timeout exceeded: try increasing it by passing --timeout option\""},
		{name: "vitest failed test with retries", wantSig: "js-test-failure",
			log: " ❯ src/poll.test.ts (1 test | 1 failed) 9000ms\n   × Poller > settles 8998ms (retry x2)\n     → expected false to be true // Object.is equality"},
		{name: "vitest passing summary", notSig: "js-test-failure",
			log: " ✓ src/poll.test.ts (3 tests) 12ms\n\n Test Files  1 passed (1)\n      Tests  3 passed (3)"},
		{name: "miette-style error is not a vitest line", notSig: "js-test-failure",
			log: "  × Failed to resolve module specifier \"./x\"\n   ╭─[src/a.ts:1:1]"},
		{name: "gtest clock tolerance", wantCat: analysis.CategoryFlakyTest,
			log: "src/timer_test.cc:40: Failure\nThe difference between elapsed_ms and 100 is 36, which exceeds 20, where\n[  FAILED  ] Timer.Fires (136 ms)"},
		{name: "clang link failure", wantCat: analysis.CategoryCode,
			log: "Undefined symbols for architecture arm64:\n  \"_parse_config\", referenced from:\nld: symbol(s) not found for architecture arm64\nclang: error: linker command failed with exit code 1 (use -v to see invocation)"},
	})
}

// TestCorpus4Families: the families added from corpus4's misses (setup-beam
// versions, Flutter SDK, malformed remote URL, dind service, Nix
// fixed-output hashes, Julia/Terraform resolution, Bazel, Chocolatey and
// Terraform registry networks, Codecov, Windows connect timeouts, Travis
// and emulator time limits) fire on their failing wordings, with lines
// written here, and not on look-alikes from passing or unrelated logs.
func TestCorpus4Families(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "setup-beam OTP not built for the image", wantSig: "toolchain-version-not-found", wantCat: analysis.CategoryConfig,
			log: "Run erlef/setup-beam@v1\nError: Requested Erlang/OTP version (21.3) not found in version list (should you be using option 'version-type': 'strict'?)"},
		{name: "setup-beam pair wrapped after not", wantSig: "toolchain-version-not-found", wantCat: analysis.CategoryConfig,
			log: "    Error: Requested Elixir / Erlang/OTP version (1.9.4 / OTP-25.0) not\n    found in version list (did you check Compatibility between Elixir and\n    Erlang/OTP?)"},
		{name: "setup-beam installs fine", notSig: "toolchain-version-not-found",
			log: "Run erlef/setup-beam@v1\nInstalling Erlang/OTP OTP-26.2 - built on amd64/ubuntu-22.04\nInstalled Erlang/OTP version\n** (Mix) Could not compile dependency :jason"},
		{name: "dart pub for a flutter package", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig,
			log: "Resolving dependencies...\nBecause myapp depends on flutter any from sdk which doesn't exist (the Flutter SDK is not available), version solving failed.\n##[error]Process completed with exit code 69."},
		{name: "host named https is a malformed URL", wantSig: "remote-url-malformed", wantCat: analysis.CategoryConfig,
			log: "$ git push --force \"https://${TOKEN}@${REPO_URL}\" main:gh-pages\nfatal: unable to access 'https://***@https://github.com/acme/site.git/': Could not resolve host: https"},
		{name: "host starting with http is a real host", notSig: "remote-url-malformed",
			log: "curl: (6) Could not resolve host: httpbin.org\nError: Process completed with exit code 6."},
		{name: "gitlab job without the dind service", wantSig: "docker-dind-service-missing", wantCat: analysis.CategoryConfig,
			log: "$ docker build -t app .\nerror during connect: Post \"http://docker:2375/v1.41/build\": dial tcp: lookup docker on 10.0.0.2:53: no such host\nERROR: Job failed: exit code 1"},
		{name: "a dotted registry host is the network, not dind", notSig: "docker-dind-service-missing",
			log: "error during connect: Get \"https://docker.example.com/v2/\": dial tcp: lookup docker.example.com on 10.0.0.2:53: no such host"},
		{name: "nix vendor hash drifted", wantSig: "nix-fixed-output-hash-mismatch", wantCat: analysis.CategoryDependency,
			log: "error: hash mismatch in fixed-output derivation '/nix/store/abc-tool-1.2.0-vendor.drv':\n         specified: sha256-AAAA=\n            got:    sha256-BBBB=\nerror: 1 dependencies of derivation '/nix/store/def-tool-1.2.0.drv' failed to build"},
		{name: "julia compat unsatisfiable", wantSig: "dependency-conflict", wantCat: analysis.CategoryDependency,
			log: "ERROR: LoadError: Unsatisfiable requirements detected for package DataFrames [a93c6f00]:\n DataFrames [a93c6f00] log:\n └─restricted to versions 0.22 by project — no versions left"},
		{name: "terraform provider pins disagree", wantSig: "dependency-conflict", wantCat: analysis.CategoryDependency,
			log: "│ Error: Failed to query available provider packages\n│ Could not retrieve the list of available versions for provider hashicorp/aws: no available releases match the given constraints 4.0.0, ~> 5.0"},
		{name: "terraform registry unreachable", wantSig: "terraform-registry-network", wantCat: analysis.CategoryInfrastructure,
			log: "│ Could not retrieve the list of available versions for provider hashicorp/null:\n│ could not connect to registry.terraform.io: Failed to request discovery\n│ document: Get \"https://registry.terraform.io/.well-known/terraform.json\": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)"},
		{name: "terraform registry retries ran out, message wrapped", wantSig: "terraform-registry-network", wantCat: analysis.CategoryInfrastructure,
			log: "│ Error: Failed to query available provider packages\n│ \n│ Could not retrieve the list of available versions for provider hashicorp/google: could not query\n│ provider registry for registry.terraform.io/hashicorp/google: the request failed after 2 attempts,\n│ please try again later: Get \"https://registry.terraform.io/v1/providers/hashicorp/google/versions\":\n│ net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting\n│ headers)"},
		{name: "terraform checksums fetch retries ran out", wantSig: "terraform-registry-network", wantCat: analysis.CategoryInfrastructure,
			log: "│ Error: Failed to install provider\n│ Error while installing acme/thing v1.2.3: could not query provider registry for registry.terraform.io/acme/thing: failed to retrieve authentication checksums for provider: the request failed after 2 attempts, please try again later: Get \"https://example.com/thing_SHA256SUMS\": context deadline exceeded"},
		{name: "bazel archive 503", wantSig: "bazel-fetch-network", wantCat: analysis.CategoryInfrastructure,
			log: "ERROR: An error occurred during the fetch of repository 'zlib':\n   java.io.IOException: Error downloading [https://zlib.net/zlib-1.3.tar.gz] to /home/runner/.cache/bazel/external/zlib/temp1/zlib-1.3.tar.gz: GET returned 503 Service Unavailable"},
		{name: "bazel 404 is the build's URL", notSig: "bazel-fetch-network",
			log: "java.io.IOException: Error downloading [https://example.com/gone-1.0.tar.gz] to /tmp/external/gone/gone-1.0.tar.gz: GET returned 404 Not Found"},
		{name: "chocolatey feed down", wantSig: "windows-package-feed-network", wantCat: analysis.CategoryInfrastructure,
			log: "Error retrieving packages from source 'https://community.chocolatey.org/api/v2/':\n Could not connect to the feed specified at 'https://community.chocolatey.org/api/v2/'. Please verify that the package source (located in the Package Manager Settings) is valid and ensure your network connectivity.\nnasm not installed. The package was not found with the source(s) listed."},
		{name: "codecov gave up after its retries", wantSig: "external-service-busy", wantCat: analysis.CategoryInfrastructure,
			log: "warning - 2025-01-02 10:00:00,000 -- Response status code was 503. --- {\"retry\": 0}\nwarning - 2025-01-02 10:00:01,000 -- Response status code was 503. --- {\"retry\": 1}\nwarning - 2025-01-02 10:00:02,000 -- Response status code was 503. --- {\"retry\": 2}\nerror - Request failed after too many retries"},
		{name: "codecov retried once and uploaded; tests failed", notSig: "external-service-busy",
			log: "FAILED tests/test_api.py::test_create - assert 404 == 201\n=== 1 failed, 40 passed in 3.2s ===\nwarning - 2025-01-02 10:00:00,000 -- Response status code was 502. --- {\"retry\": 0}\ninfo - 2025-01-02 10:00:01,000 -- Process Upload complete"},
		{name: "bash ran an HTML error page", wantSig: "remote-script-html", wantCat: analysis.CategoryInfrastructure,
			log: "$ bash <(curl -s https://example.org/install.sh)\n/dev/fd/63: line 1: html: No such file or directory\n/dev/fd/63: line 2: syntax error near unexpected token `<'\n/dev/fd/63: line 2: `<html><head>'"},
		{name: "windows connect timeout to a host", wantSig: "http-client-connect-failed", wantCat: analysis.CategoryInfrastructure,
			log: "Download action repository 'actions/checkout@v4'\nError: A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond. (api.github.com:443)"},
		{name: "windows connect timeout to the test's own server", notSig: "http-client-connect-failed",
			log: "  Failed ApiTests.Get [21 s]\n  Error Message:\n   System.Net.Http.HttpRequestException: A connection attempt failed because the connected party did not properly respond after a period of time (localhost:5001)"},
		{name: "travis 50-minute limit", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout,
			log: "Ran 2200 tests\n\nI'm sorry but your test run exceeded 50.0 minutes.\n\nOne possible solution is to split up your test run."},
		{name: "emulator did not boot in time", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout,
			log: "Launch Emulator\nadb shell getprop sys.boot_completed\nTerminate Emulator\nError: Timeout waiting for emulator to boot."},
	})
}

// TestCorpus4FamiliesMacAndroid: Homebrew's versioned-library breakage and
// sdkmanager's missing package, against look-alikes (a system library, an
// app's own framework; sdkmanager installing what it was asked for).
func TestCorpus4FamiliesMacAndroid(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "icu4c upgraded under php", wantSig: "homebrew-linked-library-missing", wantCat: analysis.CategoryDependency,
			log: "dyld[812]: Library not loaded: /opt/homebrew/opt/icu4c/lib/libicuio.73.dylib\n  Referenced from: /opt/homebrew/Cellar/php/8.3.1/bin/php\n  Reason: tried: '/opt/homebrew/opt/icu4c/lib/libicuio.73.dylib' (no such file)"},
		{name: "app framework not embedded", notSig: "homebrew-linked-library-missing",
			log: "dyld[1200]: Library not loaded: @rpath/Alamofire.framework/Alamofire\n  Referenced from: /Users/runner/Library/Developer/Xcode/DerivedData/App/Build/Products/Debug/App.app/App"},
		{name: "sdkmanager asked for a removed package", wantSig: "android-sdk-package-missing", wantCat: analysis.CategoryConfig,
			log: "[command]/usr/local/lib/android/sdk/cmdline-tools/16.0/bin/sdkmanager tools\nWarning: Failed to find package 'tools'\nError: The process '/usr/local/lib/android/sdk/cmdline-tools/16.0/bin/sdkmanager' failed with exit code 1"},
		{name: "sdkmanager installs fine", notSig: "android-sdk-package-missing",
			log: "[command]/usr/local/lib/android/sdk/cmdline-tools/16.0/bin/sdkmanager platform-tools\n[=======================================] 100% Unzipping... platform-tools/adb\nWarning: Observed package id 'platform-tools' in inconsistent location"},
	})
}
