package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/google/go-cmp/cmp"
)

// signatureCase is one realistic log excerpt and the signature that must win.
type signatureCase struct {
	name     string
	log      string
	wantSig  string
	wantCat  analysis.Category
	wantComp string // a component that must be present, if set
}

func runSignatureCases(t *testing.T, cases []signatureCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Text: tc.log}
			got := Classify(in)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			m := Explain(in)
			if len(m) == 0 {
				t.Fatalf("Explain: no match, want %s", tc.wantSig)
			}
			if m[0].Signature != tc.wantSig {
				t.Errorf("strongest signature = %s, want %s (all: %v)", m[0].Signature, tc.wantSig, m)
			}
			if !strings.Contains(tc.log, m[0].Line) {
				t.Errorf("match line %q is not verbatim from the log", m[0].Line)
			}
			for _, e := range got.Evidence {
				if !strings.Contains(tc.log, e) {
					t.Errorf("evidence %q is not verbatim from the log", e)
				}
			}
			if tc.wantComp != "" && !slices.Contains(got.AffectedComponents, tc.wantComp) {
				t.Errorf("components %q lack %q", got.AffectedComponents, tc.wantComp)
			}
		})
	}
}

func TestSignaturesPlatform(t *testing.T) {
	runSignatureCases(t, []signatureCase{
		{name: "gha shutdown signal", log: "2024-01-02T10:00:00.0000000Z ##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.\n##[error]The operation was canceled.", wantSig: "runner-shutdown-signal", wantCat: analysis.CategoryInfrastructure, wantComp: "runner"},
		{name: "self-hosted lost communication", log: "The self-hosted runner: ip-10-0-1-5 lost communication with the server. Verify the machine is running and has a healthy network connection.", wantSig: "runner-lost-communication", wantCat: analysis.CategoryInfrastructure},
		{name: "azure agent", log: "##[error]We stopped hearing from agent Hosted Agent. Verify the agent machine is running and has a healthy network connection.", wantSig: "runner-lost-communication", wantCat: analysis.CategoryInfrastructure},
		{name: "jenkins agent offline", log: "09:43:04 Agent went offline during the build\n09:43:04 ERROR: Connection was broken: java.io.IOException: Connection aborted", wantSig: "jenkins-agent-offline", wantCat: analysis.CategoryInfrastructure},
		{name: "gitlab system failure", log: "ERROR: Job failed (system failure): Error response from daemon: OCI runtime create failed", wantSig: "gitlab-runner-system-failure", wantCat: analysis.CategoryInfrastructure},
		{name: "disk full docker", log: "failed to register layer: write /var/lib/docker/overlay2/abc/diff/usr/lib/libLLVM.so: no space left on device", wantSig: "disk-full", wantCat: analysis.CategoryInfrastructure, wantComp: "runner disk"},
		{name: "oom exit 137", log: "Killed\nError: Process completed with exit code 137.", wantSig: "oom-killed", wantCat: analysis.CategoryInfrastructure},
		{name: "node heap limit", log: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n 1: 0xb09c10 node::Abort() [node]", wantSig: "build-heap-limit", wantCat: analysis.CategoryConfig},
		{name: "node heap limit, then the kernel's kill", log: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n##[error]Process completed with exit code 137.", wantSig: "oom-killed", wantCat: analysis.CategoryInfrastructure},
		{name: "job max execution time", log: "##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution time of 360 minutes.", wantSig: "gha-job-max-execution-time", wantCat: analysis.CategoryTimeout},
		{name: "gitlab execution timeout", log: "ERROR: Job failed: execution took longer than 1h0m0s seconds", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout},
		{name: "jenkins build timeout", log: "Build timed out (after 60 minutes). Marking the build as aborted.", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout},
		{name: "travis no output", log: "No output has been received in the last 10m0s, this potentially indicates a stalled build or something wrong with the build itself.", wantSig: "ci-no-output-timeout", wantCat: analysis.CategoryTimeout},
		{name: "tzdata's prompt, then the silence limit", log: "Configuring tzdata\n------------------\n\nPlease select the geographic area in which you live. Subsequent configuration\nGeographic area: \nNo output has been received in the last 10m0s, this potentially indicates a stalled build or something wrong with the build itself.", wantSig: "interactive-prompt-hang", wantCat: analysis.CategoryConfig},
		{name: "circleci no output", log: "Too long with no output (exceeded 10m0s): context deadline exceeded", wantSig: "ci-no-output-timeout", wantCat: analysis.CategoryTimeout},
		{name: "docker daemon missing", log: "docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", wantSig: "docker-daemon-unavailable", wantCat: analysis.CategoryInfrastructure},
		{name: "gradle daemon killed", log: "FAILURE: Build failed with an exception.\n* What went wrong:\nGradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)", wantSig: "oom-killed", wantCat: analysis.CategoryInfrastructure},
		{name: "shutdown beats test failure", log: "--- FAIL: TestFoo (0.01s)\n##[error]The runner has received a shutdown signal.", wantSig: "runner-shutdown-signal", wantCat: analysis.CategoryInfrastructure},
	})
}

func TestSignaturesConfig(t *testing.T) {
	runSignatureCases(t, []signatureCase{
		{name: "invalid workflow", log: "Invalid workflow file: .github/workflows/ci.yml#L12\nYou have an error in your yaml syntax on line 12", wantSig: "gha-invalid-workflow", wantCat: analysis.CategoryConfig, wantComp: ".github/workflows/ci.yml"},
		{name: "unable to resolve action", log: "Error: Unable to resolve action `actions/chekout@v4`, repository not found", wantSig: "gha-action-unresolvable", wantCat: analysis.CategoryConfig, wantComp: "actions/chekout@v4"},
		{name: "deprecated artifact", log: "Error: This request has been automatically failed because it uses a deprecated version of `actions/upload-artifact: v3`.", wantSig: "gha-deprecated-action", wantCat: analysis.CategoryConfig, wantComp: "actions/upload-artifact"},
		{name: "setup-node version", log: "Error: Unable to find Node version '12.0.99' for platform linux and architecture x64.", wantSig: "toolchain-version-not-found", wantCat: analysis.CategoryConfig},
		{name: "input not supplied", log: "Error: Input required and not supplied: github-token", wantSig: "gha-input-not-supplied", wantCat: analysis.CategoryConfig, wantComp: "github-token"},
		{name: "docker login empty secret", log: "Run docker/login-action@v3\nError: Username and password required", wantSig: "gha-input-not-supplied", wantCat: analysis.CategoryConfig},
		{name: "push denied to bot", log: "remote: Permission to acme/site.git denied to github-actions[bot].\nfatal: unable to access 'https://github.com/acme/site/': The requested URL returned error: 403", wantSig: "gha-token-permissions", wantCat: analysis.CategoryConfig},
		{name: "resource not accessible", log: "Error: HttpError: Resource not accessible by integration", wantSig: "gha-token-permissions", wantCat: analysis.CategoryConfig},
		{name: "bad credentials", log: "HttpError: Bad credentials\n    at /home/runner/work/_actions/actions/github-script/v7/dist/index.js:1:1", wantSig: "auth-credentials-invalid", wantCat: analysis.CategoryConfig},
		{name: "jenkinsfile", log: "org.codehaus.groovy.control.MultipleCompilationErrorsException: startup failed:\nWorkflowScript: 12: unexpected token: stage @ line 12, column 5.", wantSig: "jenkinsfile-invalid", wantCat: analysis.CategoryConfig, wantComp: "Jenkinsfile"},
		{name: "gitlab config", log: "This GitLab CI configuration is invalid: jobs:build config contains unknown keys: scrpt", wantSig: "ci-config-invalid", wantCat: analysis.CategoryConfig},
		{name: "set-env disabled", log: "Error: Unable to process command '::set-env name=PATH::/opt/bin' successfully.\nError: The `set-env` command is disabled.", wantSig: "ci-config-invalid", wantCat: analysis.CategoryConfig},
		{name: "image missing", log: "Error response from daemon: manifest for ghcr.io/acme/builder:v9 not found: manifest unknown: manifest unknown", wantSig: "container-image-missing", wantCat: analysis.CategoryConfig, wantComp: "ghcr.io/acme/builder:v9"},
		{name: "yarn engine", log: "error eslint-plugin-x@5.0.0: The engine \"node\" is incompatible with this module. Expected version \">=18\". Got \"16.20.2\"", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig},
		{name: "npm publish twice", log: "npm ERR! code E403\nnpm ERR! 403 403 Forbidden - PUT https://registry.npmjs.org/pkg - You cannot publish over the previously published versions: 1.2.3.", wantSig: "release-already-published", wantCat: analysis.CategoryConfig},
		{name: "java release mismatch", log: "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project app: Fatal error compiling: error: release version 21 not supported", wantSig: "toolchain-engine-mismatch", wantCat: analysis.CategoryConfig},
		{name: "aws credentials", log: "Unable to locate credentials. You can configure credentials by running \"aws configure\".", wantSig: "auth-credentials-invalid", wantCat: analysis.CategoryConfig},
		{name: "command not found", log: "/home/runner/work/_temp/abc.sh: line 1: protoc: command not found\nError: Process completed with exit code 127.", wantSig: "command-not-found", wantCat: analysis.CategoryConfig, wantComp: "protoc"},
	})
}

func TestSignaturesDependency(t *testing.T) {
	runSignatureCases(t, []signatureCase{
		{name: "npm ci lock mismatch", log: "npm ERR! `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync.", wantSig: "lockfile-out-of-date", wantCat: analysis.CategoryDependency},
		{name: "yarn berry immutable", log: "➤ YN0028: The lockfile would have been modified by this install, which is explicitly forbidden.", wantSig: "lockfile-out-of-date", wantCat: analysis.CategoryDependency},
		{name: "cargo locked", log: "error: the lock file /builds/x/Cargo.lock needs to be updated but --locked was passed to prevent this", wantSig: "lockfile-out-of-date", wantCat: analysis.CategoryDependency, wantComp: "Cargo.lock"},
		{name: "poetry lock", log: "pyproject.toml changed significantly since poetry.lock was last generated. Run `poetry lock [--no-update]` to fix the lock file.", wantSig: "lockfile-out-of-date", wantCat: analysis.CategoryDependency, wantComp: "poetry.lock"},
		{name: "go mod tidy needed", log: "go: updates to go.mod needed; to update it:\n\tgo mod tidy", wantSig: "lockfile-out-of-date", wantCat: analysis.CategoryDependency},
		{name: "npm eresolve", log: "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree", wantSig: "dependency-conflict", wantCat: analysis.CategoryDependency},
		{name: "pip resolution", log: "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/", wantSig: "dependency-conflict", wantCat: analysis.CategoryDependency},
		{name: "npm etarget", log: "npm ERR! code ETARGET\nnpm ERR! notarget No matching version found for @mui/types@^7.4.10.", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency, wantComp: "@mui/types@^7.4.10."},
		{name: "npm e404", log: "npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/@acme%2finternal - Not found", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency},
		{name: "pip no dist", log: "ERROR: Could not find a version that satisfies the requirement opencv-python==4.2.0.34 (from -r requirements.txt (line 28)) (from versions: 3.4.10.37, 4.3.0.38)\nERROR: No matching distribution found for opencv-python==4.2.0.34", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency},
		{name: "maven missing artifact", log: "[ERROR] Failed to execute goal on project api: Could not resolve dependencies for project com.acme:api:jar:1.0: Could not find artifact com.acme:common:jar:2.3.4 in central (https://repo.maven.apache.org/maven2)", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency},
		{name: "gradle could not find", log: "> Could not resolve all files for configuration ':app:debugRuntimeClasspath'.\n   > Could not find com.acme:widgets:1.2.3.\n     Searched in the following locations:", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency},
		{name: "go module 404", log: "go: github.com/acme/lib@v1.9.9: reading github.com/acme/lib/go.mod at revision v1.9.9: unknown revision v1.9.9\nno required module provides package github.com/acme/lib/x; to add it:", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency},
		{name: "go checksum", log: "verifying github.com/acme/x@v1.0.0: checksum mismatch\n\tdownloaded: h1:abc=\n\tgo.sum:     h1:def=", wantSig: "dependency-checksum-mismatch", wantCat: analysis.CategoryDependency, wantComp: "go.sum"},
		{name: "missing go.sum entry", log: "main.go:5:2: missing go.sum entry for module providing package github.com/spf13/cobra (imported by example.com/app); to add:", wantSig: "dependency-checksum-mismatch", wantCat: analysis.CategoryDependency},
		{name: "npm eintegrity", log: "npm ERR! code EINTEGRITY\nnpm ERR! sha512-abc integrity checksum failed when using sha512: wanted sha512-abc but got sha512-def. (12345 bytes)", wantSig: "npm-integrity-mismatch", wantCat: analysis.CategoryDependency},
		{name: "bundler", log: "Bundler::GemNotFound: Could not find nokogiri-1.15.0 in any of the sources", wantSig: "ruby-bundler-mismatch", wantCat: analysis.CategoryDependency},
		{name: "python module missing", log: "Traceback (most recent call last):\n  File \"app.py\", line 1, in <module>\n    import requests\nModuleNotFoundError: No module named 'requests'", wantSig: "python-module-missing", wantCat: analysis.CategoryDependency, wantComp: "requests"},
		{name: "wheel build", log: "  error: subprocess-exited-with-error\n  × Building wheel for pyyaml (pyproject.toml) did not run successfully.\n  ERROR: Failed building wheel for pyyaml\nERROR: Could not build wheels for pyyaml, which is required to install pyproject.toml-based projects", wantSig: "dependency-build-failed", wantCat: analysis.CategoryDependency, wantComp: "pyyaml"},
		{name: "node module", log: "Error: Cannot find module 'dotenv'\nRequire stack:\n- /home/runner/work/a/a/index.js", wantSig: "node-module-missing", wantCat: analysis.CategoryDependency, wantComp: "dotenv"},
		// apt: the image or setup step lacks the package, not the manifest.
		{name: "apt package", log: "E: Unable to locate package libssl1.1", wantSig: "apt-package-unavailable", wantCat: analysis.CategoryConfig},
	})
}

func TestSignaturesNetwork(t *testing.T) {
	runSignatureCases(t, []signatureCase{
		{name: "npm etimedout", log: "npm ERR! code ETIMEDOUT\nnpm ERR! errno ETIMEDOUT\nnpm ERR! network request to https://registry.npmjs.org/react failed, reason: connect ETIMEDOUT 104.16.0.35:443", wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure, wantComp: "npm registry"},
		{name: "yarn socket hang up", log: "error An unexpected error occurred: \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz: socket hang up\".", wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure},
		{name: "pip retry", log: "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/numpy/\nERROR: Could not find a version that satisfies the requirement numpy (from versions: none)\nERROR: No matching distribution found for numpy", wantSig: "python-index-network", wantCat: analysis.CategoryInfrastructure},
		{name: "maven 502", log: "[ERROR] Failed to execute goal on project core: Could not resolve dependencies for project x:core:jar:1: Could not transfer artifact org.slf4j:slf4j-api:jar:2.0.9 from/to central (https://repo.maven.apache.org/maven2): status code: 502, reason phrase: Bad Gateway (502)", wantSig: "jvm-repository-network", wantCat: analysis.CategoryInfrastructure},
		{name: "gradle 503", log: "> Could not GET 'https://plugins.gradle.org/m2/com/x/y/1.0/y-1.0.pom'. Received status code 503 from server: Service Unavailable", wantSig: "jvm-repository-network", wantCat: analysis.CategoryInfrastructure},
		{name: "go proxy timeout", log: "go: github.com/x/y@v1.2.3: Get \"https://proxy.golang.org/github.com/x/y/@v/v1.2.3.mod\": dial tcp 142.250.1.1:443: i/o timeout", wantSig: "go-proxy-network", wantCat: analysis.CategoryInfrastructure},
		{name: "docker tls timeout", log: "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": net/http: TLS handshake timeout", wantSig: "container-registry-network", wantCat: analysis.CategoryInfrastructure},
		{name: "docker hub rate limit", log: "ERROR: failed to solve: node:20: failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/node/manifests/sha256:1: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.", wantSig: "docker-hub-rate-limit", wantCat: analysis.CategoryInfrastructure, wantComp: "Docker Hub"},
		{name: "git rpc failed", log: "error: RPC failed; curl 56 GnuTLS recv error (-54): Error in the pull function.\nfatal: early EOF", wantSig: "git-remote-network", wantCat: analysis.CategoryInfrastructure},
		{name: "apt dns", log: "W: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/jammy/InRelease  Temporary failure resolving 'archive.ubuntu.com'", wantSig: "git-remote-network", wantCat: analysis.CategoryInfrastructure},
		{name: "cache service error", log: "Error: getCacheEntry failed: Cache service responded with 503", wantSig: "actions-cache-service-error", wantCat: analysis.CategoryInfrastructure},
		{name: "corrupt cache", log: "/usr/bin/tar: Unexpected EOF in archive\n/usr/bin/tar: Error is not recoverable: exiting now\nWarning: Tar failed with error: The process '/usr/bin/tar' failed with exit code 2", wantSig: "cache-archive-corrupt", wantCat: analysis.CategoryInfrastructure},
		{name: "terraform lock", log: "Error: Error acquiring the state lock\n\nError message: ConditionalCheckFailedException: The conditional request failed", wantSig: "external-service-busy", wantCat: analysis.CategoryInfrastructure},
		{name: "bare dns", log: "curl: (6) Could not resolve host: downloads.example.org", wantSig: "network-error", wantCat: analysis.CategoryInfrastructure},
	})
}

func TestSignaturesCode(t *testing.T) {
	runSignatureCases(t, []signatureCase{
		{name: "tsc", log: "src/index.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.", wantSig: "typescript-error", wantCat: analysis.CategoryCode, wantComp: "src/index.ts"},
		{name: "ts-loader", log: "[tsl] ERROR in /home/runner/work/app/app/src/tls.ts(28,15)\n      TS2339: Property 'reason' does not exist on type 'Error'.", wantSig: "typescript-error", wantCat: analysis.CategoryCode},
		{name: "javac", log: "[ERROR] /home/runner/work/a/a/src/main/java/com/acme/App.java:[14,9] cannot find symbol\n  symbol:   class Foo", wantSig: "java-compile-error", wantCat: analysis.CategoryCode, wantComp: "src/main/java/com/acme/App.java"},
		{name: "kotlin", log: "e: file:///home/runner/work/a/a/app/src/main/kotlin/Main.kt:3:5 Unresolved reference: foo", wantSig: "java-compile-error", wantCat: analysis.CategoryCode},
		{name: "gcc", log: "src/main.cpp:10:5: error: 'foo' was not declared in this scope", wantSig: "c-cpp-compile-error", wantCat: analysis.CategoryCode, wantComp: "src/main.cpp"},
		{name: "linker", log: "/usr/bin/ld: main.o: in function `main':\nmain.c:(.text+0x5): undefined reference to `helper'\ncollect2: error: ld returned 1 exit status", wantSig: "c-cpp-compile-error", wantCat: analysis.CategoryCode},
		{name: "rustc", log: "error[E0308]: mismatched types\n --> src/lib.rs:4:5", wantSig: "rust-compile-error", wantCat: analysis.CategoryCode},
		{name: "go undefined", log: "# example.com/app/pkg\npkg/run.go:17:2: undefined: doThing\nFAIL\texample.com/app/pkg [build failed]", wantSig: "go-compile-error", wantCat: analysis.CategoryCode, wantComp: "pkg/run.go"},
		{name: "csharp", log: "Program.cs(7,13): error CS0103: The name 'foo' does not exist in the current context [/src/App.csproj]", wantSig: "dotnet-swift-compile-error", wantCat: analysis.CategoryCode},
		{name: "python syntax", log: "Traceback (most recent call last):\n  File \"/app/main.py\", line 3\n    def f(:\n          ^\nSyntaxError: invalid syntax", wantSig: "python-syntax-error", wantCat: analysis.CategoryCode},
		{name: "eslint", log: "/home/runner/work/a/a/src/app.js\n  3:7  error  'x' is assigned a value but never used  no-unused-vars\n\n✖ 1 problem (1 error, 0 warnings)", wantSig: "lint-or-format-errors", wantCat: analysis.CategoryCode},
		{name: "black", log: "would reformat /home/runner/work/a/a/pkg/mod.py\nOh no! 💥 💔 💥\n1 file would be reformatted, 12 files would be left unchanged.", wantSig: "lint-or-format-errors", wantCat: analysis.CategoryCode},
		{name: "golangci", log: "internal/db/db.go:42:12: Error return value of `rows.Close` is not checked (errcheck)", wantSig: "lint-or-format-errors", wantCat: analysis.CategoryCode},
		{name: "go nil panic", log: "--- FAIL: TestServe (0.00s)\npanic: runtime error: invalid memory address or nil pointer dereference [recovered]", wantSig: "runtime-panic", wantCat: analysis.CategoryCode},
		{name: "compile beats test failure", log: "FAIL __tests__/a.test.ts\n  ● Test suite failed to run\n    __tests__/a.test.ts:3:1 - error TS2304: Cannot find name 'foo'.", wantSig: "typescript-error", wantCat: analysis.CategoryCode},
	})
}

func TestSignaturesTests(t *testing.T) {
	runSignatureCases(t, []signatureCase{
		{name: "go test timeout", log: "panic: test timed out after 10m0s\nrunning tests:\n\tTestWatch (10m0s)\n", wantSig: "go-test-timeout", wantCat: analysis.CategoryTimeout, wantComp: "test: TestWatch"},
		{name: "jest timeout", log: "  ● api › fetches users\n\n    thrown: \"Exceeded timeout of 5000 ms for a test.\"", wantSig: "js-test-timeout", wantCat: analysis.CategoryFlakyTest},
		{name: "pytest-timeout", log: "E       Failed: Timeout >300.0s\n+++++++++++++++++++++++++++++++++++ Timeout ++++++++++++++++++++++++++++++++++++", wantSig: "jvm-python-test-timeout", wantCat: analysis.CategoryTimeout},
		{name: "playwright locator", log: "  1) [chromium] › login.spec.ts:12:5 › logs in\n    Error: locator.click: Timeout 30000ms exceeded.\n    Call log:\n      - waiting for getByRole('button', { name: 'Sign in' })", wantSig: "e2e-wait-timeout", wantCat: analysis.CategoryFlakyTest, wantComp: "test: login.spec.ts"},
		{name: "cypress", log: "AssertionError: Timed out retrying after 4000ms: Expected to find element: `[data-cy=submit]`, but never found it.", wantSig: "e2e-wait-timeout", wantCat: analysis.CategoryFlakyTest},
		{name: "selenium stale", log: "org.openqa.selenium.StaleElementReferenceException: stale element reference: element is not attached to the page document", wantSig: "e2e-element-not-found", wantCat: analysis.CategoryFlakyTest},
		{name: "capybara", log: "     Failure/Error: click_button 'Save'\n     Capybara::ElementNotFound:\n       Unable to find button \"Save\" that is not disabled", wantSig: "e2e-element-not-found", wantCat: analysis.CategoryFlakyTest},
		{name: "data race", log: "==================\nWARNING: DATA RACE\nWrite at 0x00c000123 by goroutine 8:\n--- FAIL: TestCache (0.01s)\n    testing.go:1465: race detected during execution of test", wantSig: "data-race", wantCat: analysis.CategoryFlakyTest},
		{name: "port in use", log: "E   OSError: [Errno 98] Address already in use\nFAILED tests/test_server.py::test_start - OSError", wantSig: "flaky-marker", wantCat: analysis.CategoryFlakyTest},
		{name: "junit assertion", log: "[ERROR] testSum(com.acme.MathTest)  Time elapsed: 0.01 s  <<< FAILURE!\norg.opentest4j.AssertionFailedError: expected: <4> but was: <5>", wantSig: "jvm-assertion-failure", wantCat: analysis.CategoryFlakyTest, wantComp: "test: MathTest.testSum"},
		{name: "testify", log: "--- FAIL: TestParse (0.00s)\n    parse_test.go:20:\n        \tError Trace:\tparse_test.go:20\n        \tError:      \tNot equal:", wantSig: "go-test-failure", wantCat: analysis.CategoryFlakyTest, wantComp: "test: TestParse"},
		{name: "pytest", log: "FAILED tests/test_api.py::test_list_users - AssertionError: assert 2 == 3\n========================= 1 failed, 10 passed in 1.23s =========================", wantSig: "python-test-failure", wantCat: analysis.CategoryFlakyTest, wantComp: "test: tests/test_api.py::test_list_users"},
		{name: "jest", log: "FAIL src/sum.test.js\n  ● sum › adds numbers\n\n    expect(received).toBe(expected) // Object.is equality", wantSig: "js-test-failure", wantCat: analysis.CategoryFlakyTest},
		{name: "rspec", log: "  1) User validates email\n     Failure/Error: expect(user).to be_valid\n       expected #<User> to be valid\n\nrspec ./spec/models/user_spec.rb:12 # User validates email", wantSig: "ruby-test-failure", wantCat: analysis.CategoryFlakyTest, wantComp: "test: ./spec/models/user_spec.rb:12"},
		{name: "rust test", log: "---- tests::it_works stdout ----\nthread 'tests::it_works' panicked at src/lib.rs:10:9:\nassertion `left == right` failed\n  left: 4\n right: 5", wantSig: "native-test-failure", wantCat: analysis.CategoryFlakyTest, wantComp: "test: tests::it_works"},
		{name: "gtest", log: "[  FAILED  ] MathTest.Adds (0 ms)\n[  FAILED  ] 1 test, listed below:", wantSig: "native-test-failure", wantCat: analysis.CategoryFlakyTest},
		{name: "xctest", log: "/Users/runner/work/a/a/Tests/AppTests.swift:12: error: -[AppTests testSum] : XCTAssertEqual failed: (\"1\") is not equal to (\"2\")", wantSig: "native-test-failure", wantCat: analysis.CategoryFlakyTest},
		{name: "maven summary", log: "[ERROR] There are test failures.\n[ERROR] Please refer to /build/target/surefire-reports for the individual test results.", wantSig: "test-run-failed", wantCat: analysis.CategoryFlakyTest},
		{name: "timeout beats assertion", log: "--- FAIL: TestA (0.10s)\n    a_test.go:9: expected 1, got 2\npanic: test timed out after 5m0s", wantSig: "go-test-timeout", wantCat: analysis.CategoryTimeout},
	})
}

func TestAssertionFlakyOrCode(t *testing.T) {
	log := "--- FAIL: TestTraverse/simple (0.00s)\n        \tError Trace:\t/home/runner/work/k/k/pkg/graph/traverse_test.go:59\n        \tError:      \tNot equal:"
	tests := []struct {
		name    string
		in      Input
		wantCat analysis.Category
		minConf int
		maxConf int
	}{
		{name: "no changed files", in: Input{Text: log}, wantCat: analysis.CategoryFlakyTest, minConf: 30, maxConf: 50},
		// A code verdict from a touched test sets the deterministic floor
		// (confidence >= 60, integrations/llm ApplyFloor).
		{name: "change touches code under test", in: Input{Text: log, ChangedFiles: []string{"pkg/graph/traverse.go"}}, wantCat: analysis.CategoryCode, minConf: 60, maxConf: 75},
		{name: "change touches the test", in: Input{Text: log, ChangedFiles: []string{"README.md", "pkg/graph/traverse_test.go"}}, wantCat: analysis.CategoryCode, minConf: 60, maxConf: 75},
		{name: "unrelated change", in: Input{Text: log, ChangedFiles: []string{"docs/index.md"}}, wantCat: analysis.CategoryFlakyTest, minConf: 40, maxConf: 55},
		{name: "flaky evidence without a touched file", in: Input{Text: log + "\n    dial tcp 127.0.0.1:5432: connect: connection refused", ChangedFiles: []string{"docs/index.md"}}, wantCat: analysis.CategoryFlakyTest, minConf: 45, maxConf: 65},
		{name: "touched file wins over flaky evidence", in: Input{Text: log + "\n    dial tcp 127.0.0.1:5432: connect: connection refused", ChangedFiles: []string{"pkg/graph/traverse.go"}}, wantCat: analysis.CategoryCode, minConf: 60, maxConf: 70},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s: %s", got.Category, tc.wantCat, got.Reasoning)
			}
			if got.Confidence < tc.minConf || got.Confidence > tc.maxConf {
				t.Errorf("confidence = %d, want %d..%d", got.Confidence, tc.minConf, tc.maxConf)
			}
			if got.InvolvesApplicationCode != (got.Category == analysis.CategoryCode) {
				t.Errorf("involves_application_code = %v for %s", got.InvolvesApplicationCode, got.Category)
			}
			if got.Category == analysis.CategoryCode && slices.ContainsFunc(got.Actions, func(a analysis.Action) bool { return a.Type != analysis.ActionNone }) {
				t.Errorf("code result must not propose remediation, got %v", got.Actions)
			}
		})
	}
}

// TestNegatives: passing logs and harmless words must not fire strong
// signatures.
func TestNegatives(t *testing.T) {
	tests := []struct{ name, log string }{
		{name: "error count zero", log: "Found 0 errors. Build succeeded.\n0 error(s), 0 warning(s)"},
		{name: "passing go tests", log: "=== RUN   TestErrorHandling\n--- PASS: TestErrorHandling (0.00s)\nPASS\nok  \texample.com/app\t0.012s"},
		{name: "passing pytest", log: "tests/test_errors.py::test_error_is_raised PASSED\n============================== 12 passed in 0.50s =============================="},
		{name: "jest pass", log: "PASS src/error.test.ts\nTests:       14 passed, 14 total"},
		{name: "pnpm engine warning", log: " WARN  Unsupported engine: wanted: {\"node\":\"22.9.0\"} (current: {\"node\":\"v22.18.0\"})\nDone in 3.2s"},
		{name: "maven warning with java path", log: "[WARNING] /src/main/java/App.java:[10,5] deprecation: foo() in Bar has been deprecated\n[INFO] BUILD SUCCESS"},
		{name: "prose about errors", log: "Handling errors in the retry loop; see docs/errors.md for the error codes we return."},
		{name: "nix flake", log: "$ nix flake check\nall checks passed!"},
		{name: "json syntax word", log: "info: parsing config ok (no SyntaxError)"},
		// An error code in a file name is no network error: a README's
		// table of sample logs.
		{name: "error codes in file names", log: "| file | source |\n| --- | --- |\n| npm-econnreset.log | https://example.org/pull/190 |\n| yarn-etimedout.txt | https://example.org/issues/3 |\n| pg-econnrefused.md | https://example.org/issues/4 |"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Text: tc.log}
			for _, m := range Explain(in) {
				if !m.weak() {
					t.Errorf("signature %s fired on %q", m.Signature, m.Line)
				}
			}
			got := Classify(in)
			if got.RiskScore < unknownRisk || got.Confidence > unknownHintConfidence {
				t.Errorf("unknown input got risk %d confidence %d", got.RiskScore, got.Confidence)
			}
		})
	}
}

// weak reports whether m came from a signature that never wins alone.
func (m Match) weak() bool {
	i := slices.IndexFunc(table, func(s signature) bool { return s.name == m.Signature })
	return i >= 0 && table[i].weak
}

func TestUnknownDefault(t *testing.T) {
	none := analysis.ActionNone
	rerun := analysis.ActionRerunFailedJobs
	tests := []struct {
		name       string
		in         Input
		wantCat    analysis.Category
		wantAction analysis.ActionType
		wantConf   int
		wantInWhy  string
	}{
		{name: "nothing at all", in: Input{}, wantCat: analysis.CategoryCode, wantAction: none, wantConf: unknownConfidence, wantInWhy: "no hint"},
		{name: "unexplained exit 1", in: Input{Text: "running build\nsomething odd happened\nError: Process completed with exit code 1."}, wantCat: analysis.CategoryCode, wantAction: none, wantConf: unknownConfidence, wantInWhy: "no hint"},
		{name: "sigterm", in: Input{Text: "Error: Process completed with exit code 143."}, wantCat: analysis.CategoryInfrastructure, wantAction: rerun, wantConf: unknownHintConfidence, wantInWhy: "SIGTERM"},
		// Jenkins' durable task stopping a step (its timeout step) is a time
		// limit, not the bare SIGTERM that follows it. Lines from
		// https://github.com/openenclave/openenclave/pull/1428.
		{name: "jenkins interrupt", in: Input{Text: "        Start 106: tests/libc\nSending interrupt signal to process\nTerminated\nTerminated\nscript returned exit code 143"}, wantCat: analysis.CategoryTimeout, wantAction: rerun, wantConf: unknownHintConfidence, wantInWhy: "Sending interrupt signal"},
		// GitHub's runner killing a left-over process: a hint only when the
		// log shows no failure (the step never finished), not next to one.
		// The line as the runner prints it (context.Output in
		// https://github.com/actions/runner/blob/main/src/Runner.Worker/JobExtension.cs).
		{name: "orphan process alone", in: Input{Text: "Run npm ci\nadded 1293 packages, and audited 1453 packages in 38s\nCleaning up orphan processes\nTerminate orphan process: pid (3570) (python)"}, wantCat: analysis.CategoryTimeout, wantAction: rerun, wantConf: unknownHintConfidence, wantInWhy: "Terminate orphan process"},
		{name: "orphan process after a failure", in: Input{Text: "something odd happened\nError: Process completed with exit code 1.\nCleaning up orphan processes\nTerminate orphan process: pid (3570) (python)"}, wantCat: analysis.CategoryCode, wantAction: none, wantConf: unknownConfidence, wantInWhy: "no hint"},
		{name: "canceled", in: Input{Text: "##[error]The operation was canceled."}, wantCat: analysis.CategoryTimeout, wantAction: rerun, wantConf: unknownHintConfidence, wantInWhy: "canceled"},
		{name: "install step", in: Input{Text: "exit 1", FailingStep: "Install dependencies"}, wantCat: analysis.CategoryDependency, wantAction: none, wantConf: unknownHintConfidence, wantInWhy: `"install"`},
		{name: "deploy step", in: Input{Text: "exit 1", FailingStep: "Deploy to staging"}, wantCat: analysis.CategoryConfig, wantAction: none, wantConf: unknownHintConfidence, wantInWhy: `"deploy"`},
		// Family hints (hints.go), from real lines.
		{name: "package index 503", in: Input{Text: "make develop\nerror: 503 Server Error: No healthy backends for url: https://pypi.python.org/pypi\nmake: *** [develop] Error 1"}, wantCat: analysis.CategoryInfrastructure, wantAction: rerun, wantConf: unknownHintConfidence, wantInWhy: "503 Server Error"},
		{name: "azure job time limit", in: Input{Text: "##[Error 2]\nThe job exceeded the maximum allowed time of 01:00:00 and was stopped. Please visit &lt;a href='https://go.microsoft.com/fwlink/?linkid=832649' target='_blank' &gt;parallel jobs&lt;/a&gt; for more information."}, wantCat: analysis.CategoryTimeout, wantAction: rerun, wantConf: unknownHintConfidence, wantInWhy: "time limit"},
		// The line a hint rests on is quoted, also when it matched only the
		// reason the excerpt chose.
		{name: "a hint in the reason is quoted", in: Input{Reason: "src/parser.c:118:9: Fehler: »hdr_len« ist nicht deklariert", Text: "gcc -c src/parser.c\n##[error]Process completed with exit code 2."}, wantCat: analysis.CategoryCode, wantAction: none, wantConf: unknownHintConfidence, wantInWhy: `("src/parser.c:118:9: Fehler`},
		{name: "a weak hint is quoted", in: Input{Text: "running\nError: Process completed with exit code 143."}, wantCat: analysis.CategoryInfrastructure, wantAction: rerun, wantConf: unknownHintConfidence, wantInWhy: `("Error: Process completed with exit code 143.")`},
		{name: "pipeline validator, no error word", in: Input{Text: "/azure-pipelines.yml (Line: 2, Col: 1): Unexpected value 'ms.openlocfilehash'"}, wantCat: analysis.CategoryConfig, wantAction: none, wantConf: unknownHintConfidence, wantInWhy: "validator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The hints and the default, without the learned guess (it
			// comes after them; guess_test.go holds it).
			got := ClassifyGuessing(tc.in, GuessConfig{})
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s", got.Category, tc.wantCat)
			}
			want := []analysis.Action{{Type: tc.wantAction}}
			if diff := cmp.Diff(want, got.Actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if got.Confidence != tc.wantConf || got.RiskScore < unknownRisk {
				t.Errorf("risk %d / confidence %d: unknown failures must be risk >= 7, confidence %d", got.RiskScore, got.Confidence, tc.wantConf)
			}
			// It must say it is no verdict, and what the guess came from.
			if !strings.HasPrefix(got.Reasoning, "No known signature matched") || !strings.Contains(got.Reasoning, tc.wantInWhy) {
				t.Errorf("reasoning = %q, want it to start with \"No known signature matched\" and name %q", got.Reasoning, tc.wantInWhy)
			}
		})
	}
}

func TestReasonAndStepAreUsed(t *testing.T) {
	got := Classify(Input{Reason: "npm ERR! code ERESOLVE", FailingStep: "Install", JobName: "build (18.x)"})
	if got.Category != analysis.CategoryDependency {
		t.Fatalf("category = %s, want dependency from the reason line", got.Category)
	}
	want := []string{"dependency manifest", "step: Install", "job: build (18.x)"}
	if diff := cmp.Diff(want, got.AffectedComponents); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	// The reason is ccm's summary, not a log line: with no log text there
	// is no evidence to quote.
	if len(got.Evidence) != 0 {
		t.Errorf("evidence = %q, want none without log text", got.Evidence)
	}
}

// TestSameLineIsNotMoreEvidence: a second signature matching the winner's
// own line is the same evidence read twice: it adds no confidence, as
// same-category support or as flakiness evidence; on another line it does.
func TestSameLineIsNotMoreEvidence(t *testing.T) {
	tests := []struct {
		name, log string
		want      int
	}{
		{name: "mocha timeout, timeout-generic on the same line", want: 70,
			log: "  1) api\n     Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure \"done()\" is called; if returning a Promise, ensure it resolves."},
		{name: "jest timeout, the failing test named on its own line", want: 75,
			log: "  ● api › fetches users\n\n    thrown: \"Exceeded timeout of 5000 ms for a test.\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(Input{Text: tc.log})
			if got.Category != analysis.CategoryFlakyTest || got.Confidence != tc.want {
				t.Errorf("%s at %d, want flaky_test at %d (%s)", got.Category, got.Confidence, tc.want, got.Reasoning)
			}
		})
	}
}
