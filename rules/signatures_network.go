package rules

import "github.com/ccm-ci/ccm/analysis"

// serviceSignatures: a named external service refused or broke the job:
// registry rate limits, API rate limits, the Actions cache service, or a
// cache archive that restored corrupt.
var serviceSignatures = []signature{
	{
		name: "docker-hub-rate-limit", category: analysis.CategoryInfrastructure, tier: tierService,
		patterns: pats(
			`toomanyrequests`,
			`you have reached your pull rate limit`,
			`registry-1\.docker\.io[^\n]*429`,
			`429 too many requests[^\n]*docker\.io`),
		risk: 2, effort: analysis.EffortLow, confidence: 90, transient: true,
		component: "Docker Hub",
		fix: steps(
			"Docker Hub throttled anonymous image pulls from the shared runner IP; re-run the failed jobs later.",
			"Log in to Docker Hub before pulling (docker/login-action with a read-only access token) to get the authenticated pull quota.",
			"Or pull through a mirror (e.g. mirror.gcr.io, ghcr.io copies, a registry cache) so builds do not depend on Docker Hub quotas."),
	},
	{
		name: "github-api-rate-limit", category: analysis.CategoryInfrastructure, tier: tierService,
		patterns: pats(
			`api rate limit exceeded`,
			`you have exceeded a secondary rate limit`,
			`secondaryratelimit detected`),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "GitHub API",
		fix: steps(
			"The job exhausted the GitHub API rate limit; re-run the failed jobs after the limit resets.",
			"Authenticate API calls (pass GITHUB_TOKEN to the tool/action) and reduce calls per run (cache results, paginate less, avoid polling).",
			"If many jobs start at once, stagger them or use a GitHub App token with a higher limit."),
	},
	{
		name: "actions-cache-service-error", category: analysis.CategoryInfrastructure, tier: tierService,
		patterns: pats(
			`error: getcacheentry failed`,
			`error: cache service responded with \d+`,
			`##\[error\]cache service responded with \d+`,
			`error: failed to (?:restore|save): [^\n]*(?:5\d\d|econnreset|etimedout)`),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "GitHub Actions cache",
		fix: steps(
			"The Actions cache service returned an error and the step treated it as fatal; re-run the failed jobs.",
			"Check githubstatus.com for an Actions incident if it affects many runs.",
			"Upgrade the cache/setup action to a version that treats cache-service failures as warnings."),
	},
	{
		name: "external-service-busy", category: analysis.CategoryInfrastructure, tier: tierService,
		patterns: pats(
			`error acquiring the state lock`,
			`error uploading to https://codecov\.io`,
			`codecov: failed to properly (?:upload|create commit)`),
		risk: 2, effort: analysis.EffortLow, confidence: 60, transient: true,
		component: "external CI service",
		fix: steps(
			"A shared external service the job talks to was busy or failed (Terraform state lock held by another run, coverage upload service error); re-run the failed jobs.",
			"If a Terraform lock stays held, check for a concurrent or crashed run before force-unlocking it.",
			"For coverage uploads, set fail_ci_if_error deliberately and provide the upload token so uploads are not rate-limited."),
	},
	{
		name: "cache-archive-corrupt", category: analysis.CategoryInfrastructure, tier: tierCache,
		patterns: pats(
			`tar: unexpected eof in archive`,
			`decoding error \(\d+\) : (?:corrupted block detected|restored data doesn't match checksum)`,
			`restored data doesn't match checksum`,
			`invalid compressed data--crc error`,
			`zip end header not found`,
			`invalid loc header \(bad signature\)`,
			`error in opening zip file`,
			`could not read workspace metadata from [^\n]*\.gradle`),
		risk: 4, effort: analysis.EffortLow, confidence: 65,
		component: "dependency cache",
		actions:   []analysis.ActionType{analysis.ActionDeleteCache},
		fix: steps(
			"A cached archive (Actions cache, Gradle/Maven/npm cache) restored truncated or corrupt, and later steps fail on the broken files.",
			"Delete the affected cache entry for this branch (gh cache delete <key>, or Settings > Actions > Caches) and re-run so the cache is rebuilt.",
			"If it keeps happening, bump the cache key prefix and avoid saving caches from failed or cancelled jobs."),
	},
}

// registrySignatures: a network failure while talking to a package or image
// registry. Transient: re-run.
var registrySignatures = []signature{
	{
		name: "npm-registry-network", category: analysis.CategoryInfrastructure, tier: tierRegistryNet,
		patterns: pats(
			`npm (?:err!|error) code (?:econnreset|etimedout|econnrefused|eai_again|enotfound|esockettimedout|ecompromised|err_socket_timeout)`,
			`npm (?:err!|error) network `,
			`request to https?://registry\.[^\s]+ failed, reason: `,
			`npm (?:err!|error) (?:code )?e5\d\d`,
			`npm (?:err!|error) 5\d\d [\w ]+ - get https?://`,
			`err_pnpm_meta_fetch_fail`,
			`err_pnpm_fetch_5\d\d`,
			`err_pnpm_fetch_fail`,
			`there appears to be trouble with your network connection`,
			`error an unexpected error occurred: "https?://[^"\n]+: (?:socket hang up|read econnreset|connect etimedout|esockettimedout|request failed \\"5\d\d)`,
			`yn0001: [^\n]*(?:econnreset|etimedout|socket hang up|request failed "5\d\d)`),
		risk: 2, effort: analysis.EffortLow, confidence: 85, transient: true,
		component: "npm registry",
		fix: steps(
			"The package manager lost its connection to the registry (reset, timeout, DNS or 5xx); re-run the failed jobs.",
			"Make installs resilient: raise fetch retries (npm `fetch-retries`/`fetch-retry-maxtimeout`, yarn `network-timeout`) and cache the package store between runs.",
			"If it recurs, check the registry's status page and any proxy/mirror between the runner and the registry."),
	},
	{
		name: "python-index-network", category: analysis.CategoryInfrastructure, tier: tierRegistryNet,
		patterns: pats(
			`retrying \(retry\(total=\d+[^\n]*after connection broken by`,
			`readtimeouterror: httpsconnectionpool\(host='(?:pypi|files\.pythonhosted)`,
			`could not fetch url https://pypi\.org`,
			`these packages do not match the hashes from the requirements file`,
			`condahttperror: http 000 connection failed`),
		risk: 2, effort: analysis.EffortLow, confidence: 60, transient: true,
		component: "PyPI",
		fix: steps(
			"A package download from the Python index failed or arrived truncated (a hash mismatch on an unchanged requirements file is usually a cut-off download); re-run the failed jobs.",
			"If the same package fails every time with the same hash, the pinned hash is stale: regenerate the requirements/lock file with hashes.",
			"Add `--retries`/`PIP_DEFAULT_TIMEOUT` and cache the pip wheel directory."),
	},
	{
		name: "jvm-repository-network", category: analysis.CategoryInfrastructure, tier: tierRegistryNet,
		patterns: pats(
			`could not transfer artifact [^\n]*(?:connection reset|connect timed out|read timed out|connection refused|status code: 5\d\d|: 5\d\d|bad gateway|service unavailable|gateway time-?out|remote host terminated the handshake|received fatal alert)`,
			`received status code 5\d\d from server`,
			`could not (?:get|head) '[^'\n]+'\. received status code 5\d\d`,
			`could not get resource '[^'\n]+'[^\n]*(?:timed out|connection reset)`),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "Maven/Gradle repository",
		fix: steps(
			"The Maven/Gradle repository connection was reset or answered 5xx while downloading artifacts; re-run the failed jobs.",
			"Make downloads resilient: `-Dmaven.wagon.http.retryHandler.count=3 -Dmaven.wagon.httpconnectionManager.ttlSeconds=25` (Maven) or Gradle's built-in retries, and cache ~/.m2 or ~/.gradle.",
			"If one repository (e.g. a retired one like jcenter/bintray) fails consistently, remove or replace it in the build file."),
	},
	{
		name: "go-proxy-network", category: analysis.CategoryInfrastructure, tier: tierRegistryNet,
		patterns: pats(
			`(?:proxy|sum)\.golang\.org[^\n]*(?:i/o timeout|connection reset|tls handshake timeout|unexpected eof|50[234])`),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "Go module proxy",
		fix: steps(
			"Downloading modules from the Go module proxy failed at the network level; re-run the failed jobs.",
			"Cache the module download directory (actions/setup-go caches it by default) so reruns hit the network less."),
	},
	{
		name: "crates-registry-network", category: analysis.CategoryInfrastructure, tier: tierRegistryNet,
		patterns: pats(
			`spurious network error`,
			"failed to download from `https://(?:static\\.)?crates\\.io",
			"failed to fetch `https://github\\.com/rust-lang/crates\\.io-index`",
			`gem::remotefetcher::fetcherror`,
			`bundler::httperror`,
			`could not fetch specs from https://rubygems\.org`,
			`error nu1301: `),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "package registry",
		fix: steps(
			"The package registry (crates.io, RubyGems, NuGet) could not be reached or returned an error; re-run the failed jobs.",
			"Use the sparse/CDN index where available and cache the registry directory between runs."),
	},
	{
		name: "container-registry-network", category: analysis.CategoryInfrastructure, tier: tierRegistryNet,
		patterns: pats(
			`error response from daemon: get "?https://[^\s"]+/v2/[^\n]*(?:request canceled|tls handshake timeout|i/o timeout|connection reset|context deadline exceeded|50[234])`,
			`net/http: tls handshake timeout`,
			`failed to (?:do request|resolve source metadata|copy)[^\n]*(?:i/o timeout|connection reset|tls handshake timeout|50[234] )`),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "container registry",
		fix: steps(
			"Talking to the container registry timed out or was reset; re-run the failed jobs.",
			"Pin base images by digest and pull through a mirror/cache to depend less on the registry's availability."),
	},
	{
		name: "git-remote-network", category: analysis.CategoryInfrastructure, tier: tierRegistryNet,
		patterns: pats(
			`error: rpc failed; curl \d+`,
			`fatal: early eof`,
			`fatal: unable to access '[^'\n]+': (?:the requested url returned error: 5\d\d|could not resolve host|failed to connect|operation timed out|gnutls_handshake|recv failure)`,
			`##\[error\]response status code does not indicate success: 5\d\d`,
			`temporary failure resolving '`,
			`e: failed to fetch https?://[^\s]+ +(?:\d{3}|connection|could not|temporary)`,
			`hash sum mismatch`),
		risk: 2, effort: analysis.EffortLow, confidence: 75, transient: true,
		component: "network to code host",
		fix: steps(
			"Fetching from a git remote, action download or package mirror failed at the network level; re-run the failed jobs.",
			"If a mirror keeps failing (apt `Hash Sum mismatch`, 5xx), switch mirror or retry the fetch step with backoff."),
	},
}

// genericSignatures: bare network and timeout words with no context. They
// win only when nothing better matched and otherwise count as evidence that
// a failing test depends on timing or the network.
var genericSignatures = []signature{
	{
		name: "actions-cache-service-warning", category: analysis.CategoryInfrastructure, tier: tierGeneric,
		patterns: pats(
			`cache service responded with (?:5\d\d|429)`,
			`failed to (?:restore|save): [^\n]*(?:5\d\d|econnreset|etimedout)`),
		risk: 2, effort: analysis.EffortLow, confidence: 60, transient: true,
		component: "GitHub Actions cache",
		fix: steps(
			"The Actions cache service failed while saving or restoring; re-run the failed jobs.",
			"If the job crashed on the cache error itself, upgrade the cache action (newer versions only warn)."),
	},
	{
		name: "network-error", category: analysis.CategoryInfrastructure, tier: tierGeneric, flakyEvidence: true,
		patterns: pats(
			`temporary failure in name resolution`,
			`could not resolve host: `,
			`getaddrinfo (?:enotfound|eai_again)`,
			`name or service not known`,
			`tls handshake timeout`,
			`connection reset by peer`,
			`\beconnreset\b`,
			`\betimedout\b`,
			`\beconnrefused\b`,
			`socket hang up`,
			`network is unreachable`,
			`no route to host`,
			`connection refused`,
			`\b502 bad gateway`,
			`\b503 service unavailable`,
			`\b504 gateway time-?out`),
		risk: 3, effort: analysis.EffortLow, confidence: 45, transient: true,
		component: "network",
		fix: steps(
			"A network call failed (DNS, reset, refused or 5xx) with no package-manager context; re-run the failed jobs.",
			"If the call is made by a test, mock the external service or add retries with timeouts in the test setup.",
			"If it recurs, identify the host from the log and check its status and any proxy in between."),
	},
	{
		name: "timeout-generic", category: analysis.CategoryTimeout, tier: tierGeneric, flakyEvidence: true,
		patterns: pats(
			`context deadline exceeded`,
			`\btimed out after \d+`,
			`\boperation timed out\b`,
			`\btimeout exceeded\b`,
			`\btimeoutexception\b`),
		risk: 3, effort: analysis.EffortLow, confidence: 40, transient: true,
		component: "timeout",
		fix: steps(
			"Something waited longer than its deadline; re-run once to see whether it is load-dependent.",
			"Find the operation in the log, give it an explicit timeout that fits CI machines, or fix what it waits for."),
	},
}
