package rules

import "github.com/ccm-ci/ccm/analysis"

// platformSignatures: the machine running the job went away, ran out of a
// resource, or the CI platform stopped the job at its hard time limit.
var platformSignatures = []signature{
	{
		name: "runner-shutdown-signal", category: analysis.CategoryInfrastructure, tier: tierPlatform,
		patterns: pats(`the runner has received a shutdown signal`),
		risk:     2, effort: analysis.EffortLow, confidence: 85, transient: true,
		component: "runner",
		fix: steps(
			"Re-run the failed jobs; the runner was stopped mid-job, the code was not at fault.",
			"If it recurs on self-hosted runners, check the autoscaler or spot/preemptible instance reclaim events at the failure time.",
			"For ephemeral runners, make sure scale-down never removes a runner that is busy with a job."),
	},
	{
		name: "runner-lost-communication", category: analysis.CategoryInfrastructure, tier: tierPlatform,
		patterns: pats(
			`lost communication with the server`,
			`the hosted runner encountered an error while running your job`,
			`we stopped hearing from agent`,
			`exited with status -1 \(agent lost\)`,
			`received request to deprovision: the request was cancelled by the remote provider`),
		risk: 2, effort: analysis.EffortLow, confidence: 85, transient: true,
		component: "runner",
		fix: steps(
			"Re-run the failed jobs.",
			"If the same job keeps losing its runner, it is probably starving the machine: watch memory and CPU (a process eating all RAM kills the runner agent) and split or slim the job, or use a larger runner.",
			"On self-hosted runners also check network egress to the CI service and that nothing on the host kills the runner process."),
	},
	{
		name: "jenkins-agent-offline", category: analysis.CategoryInfrastructure, tier: tierPlatform,
		patterns: pats(
			`(?:agent|slave) went offline during the build`,
			`hudson\.remoting\.channelclosedexception`,
			`java\.nio\.channels\.closedchannelexception`,
			`cannot contact [\w.-]+: (?:hudson|java)\.`,
			`backing channel '[^'\n]*' is disconnected`,
			`hudson\.remoting\.requestabortedexception`),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "jenkins agent",
		fix: steps(
			"Rebuild the job; the agent connection dropped during the build.",
			"If one agent keeps dropping, take it offline and check its disk, memory and JVM (agent.jar) logs, then reboot or replace it.",
			"Consider retry(conditions: [agent()]) around the node block so an agent loss retries automatically."),
	},
	{
		name: "gitlab-runner-system-failure", category: analysis.CategoryInfrastructure, tier: tierPlatform,
		patterns: pats(
			`job failed \(system failure\)`,
			`runner system failure`,
			`error: preparation failed: `),
		risk: 2, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "gitlab runner",
		fix: steps(
			"Retry the job; GitLab reports a runner-side (system) failure, not a script failure.",
			"If it recurs, check the runner host and its executor (docker+machine autoscaling, Kubernetes node pressure) at the failure time.",
			"Add `retry: {max: 2, when: [runner_system_failure, stuck_or_timeout_failure]}` to the job."),
	},
	{
		name: "disk-full", category: analysis.CategoryInfrastructure, tier: tierResource,
		patterns: pats(
			`no space left on device`,
			`there is not enough space on the disk`,
			`you are running out of disk space`,
			`not enough free disk space`),
		risk: 4, effort: analysis.EffortMedium, confidence: 85,
		component: "runner disk",
		fix: steps(
			"Free disk space early in the job: remove unused preinstalled toolchains (e.g. /usr/share/dotnet, /opt/ghc, /usr/local/lib/android) and run `docker system prune -af` before heavy steps.",
			"Reduce what the job writes: build fewer targets or split the job, clean intermediate build outputs, avoid caching huge directories.",
			"If the job genuinely needs more space, move it to a larger runner; a plain re-run will hit the same limit."),
	},
	{
		name: "oom-killed", category: analysis.CategoryInfrastructure, tier: tierResource,
		patterns: pats(
			`(?:exit code|exit status|exited with code|exited with status|exited with) 137\b`,
			`received exit code 137`,
			`received "killed" signal`,
			`signal: killed`,
			`\boomkilled\b`,
			`out of memory: kill(?:ed)? process`,
			`java\.lang\.outofmemoryerror`,
			`javascript heap out of memory`,
			`container '[^'\n]+' exceeded memory limit`,
			`line \d+:\s+\d+ killed\s+\S+`,
			`gradle build daemon disappeared unexpectedly`),
		risk: 4, effort: analysis.EffortMedium, confidence: 70,
		component: "runner memory",
		fix: steps(
			"The process was killed for using too much memory (exit 137 = SIGKILL, usually the OOM killer).",
			"Lower peak memory: reduce build/test parallelism (-j, --maxWorkers, -p), cap heaps (NODE_OPTIONS=--max-old-space-size, -Xmx, GOGC), or split the job.",
			"If the workload legitimately needs more memory, use a larger runner or resource class.",
			"A re-run only helps when memory use is close to the limit; check whether it fails the same way on the previous commit."),
	},
	{
		name: "docker-daemon-unavailable", category: analysis.CategoryInfrastructure, tier: tierResource,
		patterns: pats(
			`cannot connect to the docker daemon at unix://`,
			`error during connect: [^\n]*docker_engine`),
		risk: 3, effort: analysis.EffortLow, confidence: 75,
		component: "runner docker daemon",
		fix: steps(
			"The job needs Docker but no Docker daemon was reachable on the runner (macOS/Windows hosted runners have none; on self-hosted runners the service may be down).",
			"Run the job on a runner image that provides Docker (ubuntu-*), or start/install Docker in an earlier step.",
			"On self-hosted runners check the docker service and the runner user's access to the socket."),
	},
	{
		name: "gha-job-max-execution-time", category: analysis.CategoryTimeout, tier: tierPlatform,
		patterns: pats(
			`has exceeded the maximum execution time`,
			`the job has exceeded the maximum execution time`,
			`the job running on agent [^\n]* ran longer than the maximum time`),
		risk: 4, effort: analysis.EffortMedium, confidence: 85,
		component: "job time limit",
		fix: steps(
			"Find the step that consumed the time (step durations in the run view) and check whether it hung (no output) or is just slow.",
			"Add `timeout-minutes` to the job and to long steps so a hang fails in minutes instead of hours.",
			"If it hung, look for waits on network services, interactive prompts or deadlocked tests; if it is slow, cache dependencies or split the job.",
			"Re-run only after checking that the previous successful runs were well under the limit."),
	},
	{
		name: "ci-step-timeout", category: analysis.CategoryTimeout, tier: tierPlatform,
		patterns: pats(
			`the action has timed out`,
			`the action '[^'\n]+' has timed out after \d+ minutes`,
			`execution took longer than [\dhms.]+ seconds`,
			`build timed out \(after \d+ minutes\)`,
			`the job exceeded the maximum time limit for jobs`),
		risk: 4, effort: analysis.EffortMedium, confidence: 80,
		component: "job time limit",
		fix: steps(
			"Identify the step that was running when the timeout hit and whether it printed anything for a long time.",
			"If it hung, fix the wait (network call without timeout, interactive prompt, deadlocked test) and add per-test timeouts.",
			"If it is legitimately slower now, raise the job or step timeout (timeout-minutes, GitLab `timeout:`, Jenkins `timeout()`), cache dependencies or split the work.",
			"Re-run once if the previous runs were far below the limit (slow shared runner)."),
	},
	{
		name: "ci-no-output-timeout", category: analysis.CategoryTimeout, tier: tierPlatform,
		patterns: pats(
			`no output has been received in the last \d+m`,
			`too long with no output \(exceeded [\dhms.]+\)`,
			`there has been a timeout failure or the job got stuck`),
		risk: 3, effort: analysis.EffortLow, confidence: 80, transient: true,
		component: "job output watchdog",
		fix: steps(
			"Re-run the job: the CI killed a step that printed nothing for too long, which is often a stalled download or a slow shared machine.",
			"If it recurs, make the step print progress or raise the silence limit (CircleCI `no_output_timeout`, Travis `travis_wait`).",
			"If the step hangs every time, debug it locally: a test or command waiting for input or for a service that never answers."),
	},
}
