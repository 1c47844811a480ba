package rules

import (
	"regexp"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/excerpt"
)

// Family hints: what the unknown answer's category guess comes from when no
// signature matched. A hint is not a verdict (the answer stays below
// policy.MinConfidence, so the gate asks a person); it only makes the guess
// better than "code" for failures whose cause a person sees at once from
// the kind of message: a CI configuration validator's own complaint, a
// server answering 5xx, a job stopped at its time limit.
//
// Each hint describes a family of messages (several tools or several
// wordings), never one log's line: a signature is the place for a single
// tool's exact message. TestFamilyHints holds every family to real lines
// from public logs, with their URLs. Families are tried in order and the
// first that matches a line wins, so the narrower families come first.
//
// anchors are words one of which every line a hint matches holds (lead:
// or the line starts with "<digits>:" after blanks). Only lines holding one
// are matched against the expression: on a large log without them the
// expressions, which have no literal prefix for the regexp engine to skip
// to, would otherwise walk every byte (tens of milliseconds per hint on
// 512 KiB). TestFamilyHints holds each family's real lines to its anchors.
// An anchor is as narrow as the expression allows ("not set", not "set";
// "lockfile", not "lock"): a line holding one costs the expression's run,
// microseconds, and common words put every line of a large log there
// (BenchmarkFamilyHintWordy).
//
// unless are words that disqualify a line for one family (a warning the
// tool survived); hintExcluded (hintscan.go) disqualifies lines for every
// family: a passing test, a retry notice, a fallback that worked. Passing
// logs print them, and a family line stops a log from being read as a
// passing one.
var familyHints = []struct {
	re       *regexp.Regexp
	anchors  []string
	lead     bool
	category analysis.Category
	why      string
	unless   []string
}{
	{
		// Job- or build-level time limits, as each CI words them: Azure's
		// "exceeded the maximum allowed time" / "ran longer than the
		// maximum time", Travis' "exceeded the maximum time limit", a
		// wrapper's "Build timed out", "time limit exceeded/reached",
		// Jenkins' timeout step ("Cancelling nested steps due to timeout").
		hintRe(`exceeded the maximum (?:allowed |execution )?time|\bjob running on [^\n]* ran longer than|` +
			`\b(?:job|build|step|stage|pipeline|task|execution|workflow)\b[^\n]{0,30}\b(?:timed out|time ?limit (?:exceeded|reached))|` +
			`\b(?:time ?limit|timeout) (?:of [^\n]{1,20} )?(?:was )?(?:exceeded|reached)[^\n]{0,40}\b(?:job|build|step|stage|pipeline|task)\b|` +
			`no output has been received in the last|too long with no output|cancelling nested steps due to timeout|timeoutstepexecution\.cancel`),
		[]string{"exceeded", "reached", "ran longer than", "timed out", "no output has been received", "too long with no output", "cancelling nested steps due to timeout", "timeoutstepexecution"}, false,
		analysis.CategoryTimeout,
		"a job-level time limit message (the CI stopped the job at its time limit)",
		nil,
	},
	{
		// CI configuration validators: a pipeline file named together with
		// a parser or schema complaint (GitHub Actions, Azure Pipelines,
		// GitLab CI lint, CircleCI, Travis, Jenkins, Buildkite, Bitbucket),
		// or the validators' own headlines.
		hintRe(`(?:\.gitlab-ci\.ya?ml|\.circleci/config\.ya?ml|azure-pipelines[\w.-]*\.ya?ml|\.azure-pipelines/|\.azuredevops/|\.github/workflows/|\.travis\.ya?ml|jenkinsfile|bitbucket-pipelines\.ya?ml|\.buildkite/[\w.-]*\.ya?ml)` +
			`[^\n]{0,200}(?:invalid|not valid|unexpected|unrecognized|unknown key|not defined|is not allowed|schema|mapping|did not find expected|could not find expected|syntax)|` +
			`\.ya?ml:? ?\(line: \d+, col: \d+|` +
			`error in config file|does not conform to (?:the )?schema|config(?:uration)? (?:file )?(?:is )?invalid|invalid (?:[\w-]+ )?config(?:uration)?\b|schema violations? found|` +
			`error\(?s?\)? while parsing pipeline yaml|config contains unknown keys?|cannot find a definition for (?:executor|job|command|orb)|` +
			`\bconfiguration error\b|\bmisconfigured\b`),
		[]string{".gitlab-ci.y", ".circleci/config.y", "azure-pipelines", ".azure-pipelines/", ".azuredevops/", ".github/workflows/", ".travis.y", "jenkinsfile", "bitbucket-pipelines.y", ".buildkite/", "(line: ", "error in config file", "schema", "invalid", "config contains unknown key",
			"configuration error", "misconfigured", "while parsing pipeline yaml", "cannot find a definition for"}, false,
		analysis.CategoryConfig,
		"a CI configuration validator's message (a pipeline file with a parser or schema complaint)",
		nil,
	},
	{
		// A CI script that is not executable: the repository's file mode,
		// fixed with chmod +x / git update-index --chmod=+x.
		hintRe(`[\w./-]+\.(?:sh|bash|py|pl|rb)\b[^\n]{0,12}: permission denied`),
		[]string{": permission denied"}, false,
		analysis.CategoryConfig,
		"a script the CI runs is not executable (permission denied on a script)",
		nil,
	},
	{
		// Credentials refused on push, login, deploy or upload: registries'
		// "denied: requested access", HTTP 401/403 next to the operation.
		hintRe(`denied: requested access to the resource is denied|unauthorized: authentication required|` +
			`\b(?:push|login|log in|deploy|upload|publish)[^\n]{0,80}(?:\b40[13]\b|unauthori[sz]ed|forbidden|access denied|bad credentials)|` +
			`(?:\b40[13]\b|unauthori[sz]ed|forbidden|access denied|bad credentials)[^\n]{0,80}\b(?:push|login|log in|deploy|upload|publish)|` +
			`\(401 unauthorized\)|actual\(40[13]\b`),
		[]string{"denied", "unauthori", "forbidden", "bad credentials", "401", "403"}, false,
		analysis.CategoryConfig,
		"credentials were refused on a push, login, deploy or upload (401/403/denied)",
		nil,
	},
	{
		// A server answering 5xx or 429, or asking to come back later: the
		// package index, registry or service, not the change.
		hintRe(`\b5(?:0[0-4]|2[0-9])\b[^\n]{0,12}(?:server error|bad gateway|service unavailable|gateway time-?out|internal server error)|` +
			`(?:bad response|received status code|status(?: code)?|http error|http/[\d.]+|responded with|returned(?: error)?)[: =]{0,3}5\d\d\b|` +
			`\bno healthy backends?\b|\btoo many requests\b|(?:^|[^\w\n/-])rate[- ]?limit(?:ed|er|ing|s)?(?:$|[^\w.\n-]|\.(?:[^\w\n]|$))|\btry again later\b|` +
			`curl: \((?:6|7|28|35|52|56)\)`),
		[]string{"server error", "bad gateway", "service unavailable", "gateway time", "bad response", "http error", "http/", "responded with",
			// "status" or "returned", then [: =]{0,3} and a 5: every way
			// the expression allows, never the bare word.
			"status5", "status:", "status=", "status 5", "status  ", "status :", "status =", "status code",
			"returned5", "returned:", "returned=", "returned 5", "returned  ", "returned :", "returned =", "returned error",
			"no healthy backend", "too many requests", "rate limit", "rate-limit", "ratelimit", "try again later", "curl: ("}, false,
		analysis.CategoryInfrastructure,
		"a server answered 5xx or 429, or a network transfer broke (the service, not the change)",
		nil,
	},
	{
		// A remote host that could not be reached: DNS (curl's "Could not
		// resolve host", glibc's "Temporary failure in name resolution",
		// Go's "no such host", RubyGems' "no such name", Node's getaddrinfo
		// codes), a refused or reset connection, a TLS handshake or a
		// client timeout on the way; a package repository refusing a
		// download (Maven Central's 403s to CI hosts it throttles: a
		// deploy's refusal is the credentials family's, above). Retry
		// notices and warnings are passing logs' lines too (pip retries,
		// then succeeds).
		hintRe(`could(?: not|n't) resolve (?:host|proxy)|temporary failure in name resolution|name or service not known|` +
			`nodename nor servname provided|\bno such host\b|getaddrinfo:? ?(?:enotfound|eai_again)|unable to download data from|` +
			`failed to establish a new connection|network is unreachable|connection reset by peer|tls handshake timeout|` +
			`ssl_connect returned|client\.timeout exceeded while awaiting headers|dial tcp [^\n]{0,120}(?:i/o timeout|connection refused)|` +
			`max retries exceeded with url|could not transfer (?:artifact|metadata) [^\n]{0,200}(?:status code: 4\d\d|forbidden|access denied)|` +
			`access denied to: https?://[^\n]{0,300}reasonphrase: ?forbidden`),
		[]string{"resolve host", "resolve proxy", "name resolution", "name or service not known", "nodename nor servname", "no such host", "getaddrinfo", "unable to download data from",
			"failed to establish a new connection", "network is unreachable", "connection reset by peer", "tls handshake timeout", "ssl_connect returned",
			"client.timeout exceeded", "dial tcp", "max retries exceeded with url", "could not transfer", "access denied to: http"}, false,
		analysis.CategoryInfrastructure,
		"a remote host could not be reached (name resolution, a refused or reset connection, a TLS or client timeout)",
		[]string{"warning"},
	},
	{
		// The package manager's own complaints: the lock file disagrees
		// with the manifest (npm, yarn, pnpm, cargo, poetry, bundler), no
		// version satisfies the requirements (pip, npm, poetry, maven,
		// gradle, apt), a package's declared toolchain is newer than the
		// one installed (cargo's "requires rustc", pip's "requires a
		// different Python", yarn's incompatible engine, go.mod's "requires
		// go ... (running go ...)": Go's "requires go >= 1.22.0; switching
		// to go1.22.5" is the toolchain fetching what the module needs, no
		// failure). A warning the install survived is not one.
		hintRe(`lock ?file[^\n]{0,80}(?:needs to be updated|needs updates|not up[- ]to[- ]date|out of date|outdated|is incompatible)|` +
			`cannot perform a frozen installation|cannot install with "?frozen-lockfile|--(?:frozen|locked) was passed|` +
			`can only install packages when your package\.json and package-lock\.json[^\n]{0,40} are in sync|` +
			`(?:unable|could not) (?:to )?find a version that satisfies|no matching distribution found|version solving failed|` +
			`could not resolve dependencies|unable to resolve dependency tree|conflicting dependencies|could not find artifact|` +
			`no matching version found for|unable to locate package|requirements could not be resolved|` +
			`\brequires rustc \d|is not supported by the following packages|requires a different python|` +
			`the engine "[\w.-]+" is incompatible with this module|\brequires go >= ?[\w.-]+ \(running go`),
		[]string{"lockfile", "lock file", "frozen", "--locked", "package-lock.json", "find a version that satisfies", "no matching distribution", "version solving failed",
			"could not resolve dependencies", "unable to resolve dependency tree", "conflicting dependencies", "could not find artifact",
			"no matching version found", "unable to locate package", "requirements could not be resolved", "requires rustc", "is not supported by the following packages",
			"requires a different python", "is incompatible with this module", "(running go"}, false,
		analysis.CategoryDependency,
		"a package manager could not resolve or install the dependencies (lock file out of date, no version satisfies, a toolchain too old for a package)",
		[]string{"warning"},
	},
	{
		// A step's own configuration: an action input or a secret that is
		// missing (GitHub's "Input required and not supplied", a script's
		// "X must be set", "credentials not available"), an invalid input
		// value, an option the tool does not know, a command that is not
		// installed, and a Docker build whose context lacks a file the
		// Dockerfile copies (legacy builder's "COPY failed", BuildKit's
		// "failed to compute cache key ... not found").
		hintRe(`input required and not supplied|` +
			`\b(?:env(?:ironment)? var(?:iable)?s?|secrets?|token|api[_ ]key|password)\b[^\n]{0,60}\b(?:is not set|must be set|not set|is empty|not provided)\b|` +
			`_(?:token|key|secret|password)\b[^\n]{0,12}\b(?:is not set|must be set|is empty)\b|` +
			`credentials (?:are )?not available|credentials could not be loaded|unable to locate credentials|` +
			"\\b(?:unrecognized|unknown) (?:command[- ]line )?(?:option|flag|argument)s?(?::|\\s+['\"`‘-])|\\bno such option\\b|" +
			`: command not found\s*$|is not recognized as an internal or external command|` +
			`\b(?:copy|add) failed: (?:stat|file not found)|file not found in build context|failed to compute cache key[^\n]{0,160}not found`),
		[]string{"input required and not supplied", "not set", "be set", "is empty", "not provided",
			"credentials not available", "credentials are not available", "credentials could not be loaded", "unable to locate credentials",
			"unrecognized option", "unrecognized flag", "unrecognized argument", "unrecognized command", "unknown option", "unknown flag", "unknown argument", "unknown command",
			"no such option", "command not found", "is not recognized as an internal or external command", "copy failed: ", "add failed: ", "file not found in build context", "failed to compute cache key"}, false,
		analysis.CategoryConfig,
		"a step's configuration is missing or wrong (an input, secret or variable not set, an unknown option, a command not installed, a file outside the Docker build context)",
		// An informational line that says what the step does without the
		// value ("Skipping upload: CODECOV_TOKEN is not set", "API_KEY is
		// empty; using anonymous access", "Note: ... not set in dev mode").
		[]string{"warning", "skipping", "note:", "info", "using "},
	},
	{
		// Compiler and linter diagnostics that point into the sources, in
		// any locale: a file:line[:col] (gcc/clang, mypy, MSVC's
		// file(line)) followed by a severity word in the compiler's
		// language ("Fehler", "erreur", "错误"...), javac through Maven's
		// File.java:[line,col] next to one, and a linter's stylish report
		// ("  12:5  error  msg" or lint-md's "18:128-18:129  rule-name
		// msg"). Last: a diagnostic is weaker than a CI system's own
		// message above, but a compile or lint failure, whatever the log's
		// language, is the change's code, never a lost runner.
		hintRe(`\.` + srcExt + `(?::\d+(?::\d+)?: ?|\(\d+(?:,\d+)?\) ?: ?)(?:\S+ )?` + diagSeverity + `(?: fatale)? ?[:：]|` +
			diagSeverity + `[:：] ?\S*\.(?:java|kt|scala|groovy):\[\d+,\d+\]|\.(?:java|kt|scala|groovy):\[\d+,\d+\] ?` + diagSeverity + ` ?[:：]|` +
			`^\s*\d+:\d+-\d+:\d+\s+[a-z][a-z0-9]*(?:-[a-z0-9]+)+\s+\S|^\s*\d+:\d+(?:-\d+:\d+)?\s+error\s{2,}\S`),
		[]string{"error", "fehler", "erreur", "erro", "错误", "錯誤", "エラー", "ошибка"}, true,
		analysis.CategoryCode,
		"a compiler or linter diagnostic pointing at a source file and line (the change's code, in whatever language the tool speaks)",
		nil,
	},
	{
		// Kubernetes' own tests (integration.go's "FAILED: …", e2e's
		// "Expected error: … s: \"timed out waiting for the condition\"")
		// failing on a wait that ran out: in every visible set these were
		// tests that pass on a re-run (flaky 4 to 0). kubectl's "error:
		// timed out waiting for the condition on pods/x" in a CI script
		// is no test, and nor is Helm's "Error: UPGRADE FAILED: timed out
		// waiting for the condition": both stay with the time limits below.
		hintRe(`(?:\.go:\d+\] failed: |\bexpected error: |\bs: ")[^\n]*timed out waiting for the condition`),
		[]string{"timed out waiting for the condition"}, false,
		analysis.CategoryFlakyTest,
		"a Kubernetes test's wait that ran out (\"timed out waiting for the condition\" in a test failure), most often a test that passes on a re-run",
		nil,
	},
	{
		// A tool's own time limit, after the diagnostics (a linter that
		// printed findings failed on them): golangci-lint's "Deadline
		// exceeded" / "Timeout exceeded", Go's "context deadline exceeded",
		// surefire/tycho's "Timeout 60 s exceeded", "timed out after 10m",
		// "timed out waiting for" a condition.
		hintRe(`\bdeadline exceeded\b|\btimeout (?:of )?(?:[\d.]+ ?[a-z]* )?(?:exceeded|expired)\b|` +
			`\btimed out after \d|\btimed out waiting for\b|\bexceeded (?:the )?(?:[\w-]+ )?timeout\b`),
		[]string{"deadline exceeded", "exceeded", "expired", "timed out after", "timed out waiting for"}, false,
		analysis.CategoryTimeout,
		"a tool stopped at its own time limit (deadline or timeout exceeded, timed out waiting)",
		[]string{"warning"},
	},
}

// srcExt and diagSeverity are the excerpt's: the reason line and the
// unknown answer's diagnostic family must agree on what a compiler's
// diagnostic is, in every language.
const (
	srcExt       = excerpt.SourceExt
	diagSeverity = excerpt.SeverityWords
)

// hintRe compiles a hint pattern, matched like a signature against the
// ASCII-lowercased text, one line at a time.
func hintRe(expr string) *regexp.Regexp { return regexp.MustCompile("(?m)" + expr) }
