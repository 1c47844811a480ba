package excerpt

import "testing"

// TestReason_ToolFamilies holds the reason to the cause in the shapes some
// tools print a failure in: a header or summary first, the cause on the
// lines under it. The logs are written for the test, one or more per shape;
// the "stays" cases guard the line the rule must not demote.
func TestReason_ToolFamilies(t *testing.T) {
	tests := []struct {
		name        string
		lines       []string
		wantReason  string   // a substring of the reason
		wantContext []string // substrings, each in one context line, in order
	}{
		{
			name: "GitHub check annotation header over the message under it",
			lines: []string{
				"Check failure on line 9 in .github/workflows/deploy.yml",
				"GitHub Actions / .github/workflows/deploy.yml",
				"",
				"Invalid workflow file",
				"",
				"You have an error in your yaml syntax on line 9",
			},
			wantReason: "You have an error in your yaml syntax on line 9",
		},
		{
			name: "Gradle: the deepest cause of the chain over its summary",
			lines: []string{
				"* What went wrong:",
				"Execution failed for task ':lib:compileReleaseKotlin'.",
				"> Could not resolve all files for configuration ':lib:releaseCompileClasspath'.",
				"   > Could not resolve com.example.net:okclient:2.4.0.",
				"     Required by:",
				"         project :lib",
				"      > Could not get resource 'https://maven.example.org/com/example/net/okclient/2.4.0/okclient-2.4.0.pom'.",
				"         > Could not GET 'https://maven.example.org/com/example/net/okclient/2.4.0/okclient-2.4.0.pom'. Received status code 503 from server: Service Unavailable",
			},
			wantReason: "Could not GET 'https://maven.example.org/com/example/net/okclient/2.4.0/okclient-2.4.0.pom'. Received status code 503",
		},
		{
			name: "Gradle: a missing artifact under the configuration summary",
			lines: []string{
				"> Could not resolve all files for configuration ':app:debugRuntimeClasspath'.",
				"   > Could not find com.example.ui:slider:3.1.0.",
				"     Searched in the following locations:",
				"       - https://repo.maven.apache.org/maven2/com/example/ui/slider/3.1.0/slider-3.1.0.pom",
				"     Required by:",
				"         project :app",
			},
			wantReason: "Could not find com.example.ui:slider:3.1.0.",
		},
		{
			name: "Gradle: the deepest cause says no error word",
			lines: []string{
				"* What went wrong:",
				"Execution failed for task ':app:mergeDebugNativeLibs'.",
				"> Failed to transform gson-2.11.0.jar to match attributes {artifactType=processed-jar}.",
				"   > Execution failed for DexingTransform: /home/ci/.gradle/caches/gson-2.11.0.jar.",
				"      > Unsupported class file major version 65",
			},
			wantReason: "Unsupported class file major version 65",
		},
		{
			name: "Gradle: a summary with no nested cause stays",
			lines: []string{
				"* What went wrong:",
				"Execution failed for task ':app:checkDebugAarMetadata'.",
				"> Could not resolve all files for configuration ':app:debugRuntimeClasspath'.",
				"",
				"* Try:",
			},
			wantReason: "Could not resolve all files for configuration",
		},
		{
			name: "pip: the conflict over ResolutionImpossible's pointer to docs",
			lines: []string{
				"INFO: pip is looking at multiple versions of webkit-tools to determine which version is compatible with other requirements. This could take a while.",
				"ERROR: Cannot install -r requirements.txt (line 3) and requests==2.25.0 because these package versions have conflicting dependencies.",
				"",
				"The conflict is caused by:",
				"    The user requested requests==2.25.0",
				"    webkit-tools 1.4.2 depends on requests>=2.31",
				"",
				"ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts",
			},
			wantReason: "Cannot install -r requirements.txt (line 3) and requests==2.25.0",
		},
		{
			// The general rule: a first cause that names nothing yields to
			// a later one that does (here the docs link).
			name: "pip: a conflict that names no version stays behind ResolutionImpossible",
			lines: []string{
				"ERROR: Cannot install webkit-tools because these package versions have conflicting dependencies.",
				"ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/user_guide/#fixing-conflicting-dependencies",
			},
			wantReason: "ResolutionImpossible",
		},
		{
			name: "exit 137 under the kernel's Killed line",
			lines: []string{
				"##[group]Run cargo build --release",
				"cargo build --release",
				"##[endgroup]",
				"   Compiling tokio v1.37.0",
				"   Compiling gateway v0.9.1 (/home/runner/work/gateway/gateway)",
				"Killed",
				"##[error]The process '/usr/bin/bash' failed with exit code 137",
			},
			wantReason: "Killed",
		},
		{
			name: "exit 137 stays when nothing says Killed",
			lines: []string{
				"##[group]Run cargo build --release",
				"cargo build --release",
				"##[endgroup]",
				"   Compiling gateway v0.9.1 (/home/runner/work/gateway/gateway)",
				"FAIL: build script of gateway did not finish",
				"##[error]The process '/usr/bin/bash' failed with exit code 137",
			},
			wantReason: "failed with exit code 137",
		},
		{
			name: "Azure Pipelines: the job's time limit over the agent's shutdown it causes",
			lines: []string{
				"##[error]The agent has received a shutdown signal. This can happen when the agent service is stopped, or a manually started agent is canceled.",
				"##[error]The job exceeded the maximum allowed time of 00:30:00 and was stopped.",
			},
			wantReason: "exceeded the maximum allowed time of 00:30:00",
		},
		{
			name: "a shutdown signal with no time limit stays",
			lines: []string{
				"Error: npm ci exited with 1",
				"##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.",
			},
			wantReason: "received a shutdown signal",
		},
		{
			name: "Azure Pipelines: the YAML error the parse header announces",
			lines: []string{
				"Encountered error(s) while parsing pipeline YAML:",
				"/ci/build.yml (Line: 12, Col: 5): Unexpected value 'stepz'",
			},
			wantReason: "/ci/build.yml (Line: 12, Col: 5): Unexpected value 'stepz'",
		},
		{
			name: "Ruby: the exception line over the traceback and its frames",
			lines: []string{
				"$ bundle exec rake db:setup",
				"Traceback (most recent call last):",
				"\t3: from /home/ci/.gem/ruby/3.0.0/bin/rake:23:in `<main>'",
				"\t2: from /home/ci/.gem/ruby/3.0.0/bin/rake:23:in `load'",
				"\t1: from /home/ci/.gem/ruby/3.0.0/gems/rake-13.0.6/exe/rake:27:in `<top (required)>'",
				"/home/ci/.gem/ruby/3.0.0/gems/bundler-2.4.1/lib/bundler/resolver.rb:310:in `block in verify_gemfile_dependencies_are_found!': Could not locate Gemfile (Bundler::GemfileNotFound)",
			},
			wantReason: "Could not locate Gemfile (Bundler::GemfileNotFound)",
		},
		{
			name: "Ruby: an exception class with no error word",
			lines: []string{
				"Traceback (most recent call last):",
				"\t1: from bin/setup:8:in `<main>'",
				"bin/setup:8:in `require': cannot load such file -- dotenv (LoadError)",
			},
			wantReason: "cannot load such file -- dotenv (LoadError)",
		},
		{
			name: "Python: the exception line over the traceback",
			lines: []string{
				"Traceback (most recent call last):",
				`  File "/work/app/tools/migrate.py", line 41, in <module>`,
				"    run(config)",
				`  File "/work/app/tools/migrate.py", line 17, in run`,
				"    return conn.apply(plan)",
				"NameError: name 'conn' is not defined",
			},
			wantReason: "NameError: name 'conn' is not defined",
		},
		{
			name: "Python: an exception with no error word over the traceback",
			lines: []string{
				"Traceback (most recent call last):",
				`  File "/work/app/manage.py", line 22, in <module>`,
				"    main()",
				"django.core.exceptions.ImproperlyConfigured: Requested setting DATABASES, but settings are not configured.",
			},
			wantReason: "ImproperlyConfigured: Requested setting DATABASES",
		},
		{
			name: "CircleCI: the definition error under Error calling",
			lines: []string{
				"$ circleci config validate",
				"Error: Error calling workflow: 'release'",
				"Error calling job: 'publish'",
				"Cannot find a definition for command named upload-assets",
			},
			wantReason: "Cannot find a definition for command named upload-assets",
		},
		{
			name: "Maven: the compiler's row over Compilation failure",
			lines: []string{
				"[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project billing: Compilation failure: Compilation failure:",
				"[ERROR] /home/ci/billing/src/main/java/org/shop/Invoice.java:[14,27] package org.shop.tax does not exist",
				"[ERROR] /home/ci/billing/src/main/java/org/shop/Invoice.java:[52,9] cannot find symbol",
				"[ERROR] -> [Help 1]",
				"org.apache.maven.lifecycle.LifecycleExecutionException: Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project billing: Compilation failure",
				"\tat org.apache.maven.lifecycle.internal.MojoExecutor.execute(MojoExecutor.java:215)",
			},
			wantReason: "Invoice.java:[14,27] package org.shop.tax does not exist",
		},
		{
			name: "Maven: a localized compiler row over the lifecycle exception",
			lines: []string{
				"[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project billing: Compilation failure: Compilation failure:",
				"[ERROR] /home/ci/billing/src/main/java/org/shop/Invoice.java:[14,27] Paket org.shop.tax ist nicht vorhanden",
				"[ERROR] /home/ci/billing/src/main/java/org/shop/Invoice.java:[52,9] Symbol nicht gefunden",
				"org.apache.maven.lifecycle.LifecycleExecutionException: Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project billing: Compilation failure",
			},
			wantReason: "Invoice.java:[14,27] Paket org.shop.tax ist nicht vorhanden",
		},
		{
			name: "flake8: the first checker row over the test error it causes",
			lines: []string{
				"./src/report/render.py:40:12: F821 undefined name 'Templte'",
				"./src/report/render.py:3:1: F401 'os' imported but unused",
				"",
				"ERROR: test_render (tests.test_report.RenderTest)",
				"NameError: name 'Templte' is not defined",
			},
			wantReason: "render.py:40:12: F821 undefined name 'Templte'",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, tt.wantContext)
		})
	}
}
