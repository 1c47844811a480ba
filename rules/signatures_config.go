package rules

import "github.com/ccm-ci/ccm/analysis"

// configSignatures: the pipeline definition, its inputs, secrets or token
// permissions are wrong. A re-run fails the same way; a person edits the
// workflow or the repository settings.
var configSignatures = []signature{
	{
		name: "gha-invalid-workflow", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`invalid workflow file`,
			`the workflow is not valid`,
			`you have an error in your yaml syntax`,
			`unrecognized named-value: '`),
		risk: 5, effort: analysis.EffortLow, confidence: 90,
		component: ".github/workflows",
		extract:   re(`(\.github/workflows/[\w./-]+\.ya?ml)`),
		fix: steps(
			"Open the workflow file and line named in the error and fix the YAML or expression syntax (indentation, unquoted `*` or `:`, contexts used where they are not available).",
			"Validate locally before pushing, e.g. with actionlint.",
			"Push the fix; nothing ran, so there is nothing to re-run."),
	},
	{
		name: "gha-action-unresolvable", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`unable to resolve action`,
			`failed to resolve action download info`,
			`can't find 'action\.ya?ml', 'action\.ya?ml' or 'dockerfile'`,
			`failed to download action '[^'\n]+'[^\n]*40[34]`,
			`##\[error\]response status code does not indicate success: 404`),
		risk: 5, effort: analysis.EffortLow, confidence: 85,
		component: "workflow action reference",
		extract:   re("(?:resolve action [`'\"]?|download action 'https://api\\.github\\.com/repos/)([\\w.-]+/[\\w./@-]+?)(?:[`'\"]|/tarball|/zipball|,|$)"),
		fix: steps(
			"Check the `uses:` reference in the workflow: owner/repo spelling and that the tag, branch or SHA exists (tags often do or do not carry a `v` prefix).",
			"Pin to an existing release tag or full commit SHA of the action.",
			"If the action repository was renamed, archived or made private, switch to its new location or a maintained fork."),
	},
	{
		name: "gha-deprecated-action", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`automatically failed because it uses a deprecated version of`,
			`missing download info for actions/`),
		risk: 3, effort: analysis.EffortLow, confidence: 90,
		component: "workflow action version",
		extract:   re("deprecated version of `?([\\w.-]+/[\\w.-]+)"),
		fix: steps(
			"Upgrade the named action to its current major version (e.g. actions/upload-artifact and actions/download-artifact to v4, actions/cache to v4).",
			"Read the action's migration notes: artifact v4 needs unique artifact names per job.",
			"Push the workflow change; re-running the old workflow fails the same way."),
	},
	{
		name: "toolchain-version-not-found", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`version [\w.*+-]+ with arch \w+ not found`,
			`the version '[^'\n]+' with architecture '[^'\n]+' was not found`,
			`unable to find (?:node|go) version '[^'\n]+' for platform`,
			`could not find satisfied version for semver`,
			`error: unable to find java version`,
			`unable to find a destination matching the provided destination specifier`,
			`licences have not been accepted`,
			`sdk location not found`),
		risk: 4, effort: analysis.EffortLow, confidence: 85,
		component: "workflow runtime version",
		fix: steps(
			"The requested language version is not available for this runner image (often an old version dropped from a newer ubuntu-latest/macos-latest).",
			"Either pin the runner image that still ships it (e.g. runs-on: ubuntu-20.04) or drop/raise that version in the matrix.",
			"Check the setup action's versions manifest for what exists for this OS and architecture."),
	},
	{
		name: "gha-input-not-supplied", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`input required and not supplied: [\w-]+`,
			`parameter token or opts\.auth is required`,
			`error: username and password required`,
			`cannot perform an interactive login from a non tty device`,
			`credentials could not be loaded, please check your action inputs`),
		risk: 4, effort: analysis.EffortLow, confidence: 85,
		component: "workflow secret",
		extract:   re(`input required and not supplied: ([\w-]+)`),
		fix: steps(
			"A required action input is empty, almost always because the secret it comes from is not set or not visible to this run.",
			"Create or fix the repository/organization secret referenced in the workflow (`secrets.NAME`) and check its name matches exactly.",
			"Runs triggered from forks and by Dependabot do not receive repository secrets: use the Dependabot secret store or skip the step for forks."),
	},
	{
		name: "gha-token-permissions", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`resource not accessible by integration`,
			`remote: permission to [\w./-]+ denied to [\w\[\]-]+`,
			`remote: write access to repository not granted`,
			`resource not accessible by personal access token`,
			"without `workflows?` permission",
			`the requested url returned error: 403`,
			`denied: installation not allowed to `,
			`denied: permission_denied: `),
		risk: 5, effort: analysis.EffortLow, confidence: 85,
		component: "GITHUB_TOKEN permissions",
		fix: steps(
			"The workflow token lacks a permission the step needs (push, comment, create release, write packages...).",
			"Grant it explicitly in the workflow, e.g. `permissions: {contents: write}` (or pull-requests/issues/packages/checks: write), or raise the repository default under Settings > Actions > Workflow permissions.",
			"For pull requests from forks the token is read-only by design: move the write step to a separate workflow that does not run untrusted code."),
	},
	{
		name: "auth-credentials-invalid", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`fatal: could not read username for 'https://`,
			`fatal: authentication failed for '`,
			`remote: invalid username or password`,
			`httperror: bad credentials`,
			`"message": ?"bad credentials"`,
			`npm (?:err!|error) code e401`,
			`npm (?:err!|error) code eneedauth`,
			`permission denied \(publickey\)`,
			`unauthorized: authentication required`,
			`unauthorized: incorrect username or password`,
			`unable to locate credentials`,
			`the security token included in the request is (?:invalid|expired)`,
			`not authorized\. please check the (?:user token|properties sonar)`,
			`could not find a repository, try using repo upload token`,
			`token required because branch is protected`,
			`\benoghtoken\b`,
			`\benonpmtoken\b`,
			`\beinvalidnpmtoken\b`,
			`\beinvalidghtoken\b`,
			`invalid or non-existent authentication information`),
		risk: 5, effort: analysis.EffortLow, confidence: 80,
		component: "CI credentials",
		fix: steps(
			"The credential the job uses is missing, expired or wrong for this registry or remote.",
			"Rotate or re-create the token/deploy key and update the secret; check its scopes (e.g. read:packages, repo).",
			"Check the registry URL and auth config (.npmrc, settings.xml, docker login) point at the same host the token is for."),
	},
	{
		name: "jenkinsfile-invalid", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`workflowscript: \d+: `,
			`multiplecompilationerrorsexception: startup failed`,
			`java\.lang\.nosuchmethoderror: no such dsl method '`),
		risk: 5, effort: analysis.EffortLow, confidence: 90,
		component: "Jenkinsfile",
		fix: steps(
			"The Jenkinsfile does not parse or uses an unknown step; go to the `WorkflowScript: N` line it names.",
			"Fix the Groovy/declarative syntax (balanced braces, valid `post` conditions, named step arguments).",
			"Validate with the Jenkins declarative linter (`jenkins-cli declarative-linter` or the pipeline-model-converter endpoint) before pushing."),
	},
	{
		name: "ci-config-invalid", category: analysis.CategoryConfig, tier: tierSetup,
		patterns: pats(
			`this gitlab ci configuration is invalid`,
			`jobs config should contain at least one visible job`,
			`config contains unknown keys: `,
			`# configuration errors: \d+ errors? occurred`,
			`error: unable to process command '::set-env`,
			"the `set-env` command is disabled",
			`fatal: detected dubious ownership in repository`),
		risk: 5, effort: analysis.EffortLow, confidence: 85,
		component: "CI configuration",
		fix: steps(
			"The CI configuration file is rejected by the platform; fix the key or syntax it names.",
			"Lint it before pushing (GitLab CI Lint, `circleci config validate`, actionlint).",
			"For `set-env`/`add-path`, write to $GITHUB_ENV / $GITHUB_PATH instead."),
	},
	{
		name: "release-already-published", category: analysis.CategoryConfig, tier: tierToolchain,
		patterns: pats(
			`you cannot publish over the previously published versions`,
			`cannot publish over existing version`,
			`file already exists\. see https://pypi\.org/help/#file-name-reuse`,
			`crate version `+"`[^`\n]+`"+` is already uploaded`,
			`error: failed to publish [^\n]*already exists`),
		risk: 3, effort: analysis.EffortLow, confidence: 85,
		component: "release version",
		fix: steps(
			"The version being published already exists in the registry; registries do not allow overwriting a release.",
			"Bump the version (package.json, pyproject, Cargo.toml) or fix the release automation that computes it, then publish again.",
			"If the earlier publish was a partial failure, check what was uploaded before retrying."),
	},
	{
		name: "container-image-missing", category: analysis.CategoryConfig, tier: tierToolchain,
		patterns: pats(
			`pull access denied for [\w./-]+, repository does not exist`,
			`manifest for [\w./:@-]+ not found`,
			`manifest unknown`,
			`repository does not exist or may require 'docker login'`),
		risk: 4, effort: analysis.EffortLow, confidence: 70,
		component: "container image reference",
		extract:   re(`(?:pull access denied for|manifest for) ([\w./:@-]+)`),
		fix: steps(
			"The image name or tag does not exist in the registry (or is private and the job is not logged in).",
			"Check the image reference in the workflow/Dockerfile/compose file; pin a tag that exists.",
			"For private images, add a registry login step with a token that can read the image."),
	},
	{
		name: "toolchain-engine-mismatch", category: analysis.CategoryConfig, tier: tierToolchain,
		patterns: pats(
			`the engine "node" is incompatible with this module`,
			`err_pnpm_unsupported_engine`,
			`npm (?:err!|error) code ebadengine`,
			`requires a different python: `,
			`requires-python [^\n]*but the running python is`,
			`go\.mod requires go >= [\d.]+`,
			`module requires go [\d.]+`,
			`cannot be built because it requires rustc [\d.]+`,
			`error: (?:invalid target release|release version \d+ not supported)`,
			`unsupported class file major version \d+`,
			`has been compiled by a more recent version of the java runtime`),
		risk: 4, effort: analysis.EffortLow, confidence: 80,
		component: "workflow runtime version",
		fix: steps(
			"A dependency or the project requires a newer (or older) runtime than the job installs.",
			"Align the version in the setup step (setup-node/setup-python/setup-go) with the project's engines / requires-python / go directive.",
			"Keep one source of truth (.nvmrc, .python-version, go.mod) and have the setup action read it."),
	},
	{
		name: "command-not-found", category: analysis.CategoryConfig, tier: tierDepModule,
		patterns: pats(
			`: command not found`,
			`/bin/sh: \d+: [\w./-]+: not found`,
			`is not recognized as an internal or external command`,
			`unable to locate executable file: `),
		risk: 4, effort: analysis.EffortLow, confidence: 60,
		component: "runner tools",
		extract:   re(`([\w.+-]+): command not found|/bin/sh: \d+: ([\w./+-]+): not found|unable to locate executable file: ([\w./+-]+)`),
		fix: steps(
			"A tool the step calls is not installed on the runner image (or not on PATH).",
			"Install it in an earlier step or use the setup action for it; check the runner image changelog if it used to be preinstalled.",
			"If the name is a typo in a script, fix the script."),
	},
	{
		name: "git-ref-missing", category: analysis.CategoryConfig, tier: tierToolchain,
		patterns: pats(
			`fatal: couldn't find remote ref `,
			`fatal: reference is not a tree: `,
			`couldn't find any revision to build`,
			`fatal: remote error: upload-pack: not our ref`,
			`fatal: no url found for submodule path`),
		risk: 3, effort: analysis.EffortLow, confidence: 70,
		component: "git checkout",
		fix: steps(
			"The commit, branch or submodule the job tries to check out no longer exists (force-push, deleted branch, missing .gitmodules entry).",
			"Re-trigger the workflow from the current head instead of re-running the old run.",
			"For submodules, fix .gitmodules and the recorded submodule commit."),
	},
}
