package excerpt

import "testing"

// TestReason_FreshFamilies holds the reason to the line a person needs in
// shapes the measured sets show rarely or never: a build tool's summary
// under the compiler's error, a hint under the error it explains, a cause
// chain's deepest link, the environment's cause over what it broke
// (test runners' shapes: reason_family_runners_test.go). The logs are
// written for the test.
func TestReason_FreshFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "make: the compiler's error over make's recipe note and *** line",
			lines: []string{
				"cc -O2 -c src/parse.c -o build/parse.o",
				"src/parse.c:88:14: error: 'tok_len' undeclared (first use in this function)",
				"Makefile:31: recipe for target 'build/parse.o' failed",
				"make: *** [build/parse.o] Error 1",
			},
			wantReason: "src/parse.c:88:14: error: 'tok_len' undeclared",
		},
		{
			name: "make: a Go compiler row with no severity word over the recipe note",
			lines: []string{
				"go build ./...",
				"# example.org/shop/cart",
				"cart/total.go:41:9: cannot use price (variable of type float64) as int value in return statement",
				"Makefile:12: recipe for target 'build' failed",
				"make: *** [build] Error 1",
			},
			wantReason: "cart/total.go:41:9: cannot use price",
		},
		{
			name: "advice under the error it explains",
			lines: []string{
				"Error: Unable to locate executable file: pnpm.",
				"Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable.",
				"hint: Consider adding pnpm/action-setup before this step, failing that re-run with debug logging",
			},
			wantReason: "Unable to locate executable file: pnpm.",
		},
		{
			name: "cargo: the deepest Caused by over the summary",
			lines: []string{
				"error: failed to download `serde_json v1.0.99`",
				"",
				"Caused by:",
				"  unable to get packages from source",
				"",
				"Caused by:",
				"  failed to parse manifest at `/home/ci/.cargo/registry/src/serde_json-1.0.99/Cargo.toml`",
				"",
				"Caused by:",
				"  feature `edition2024` is required",
			},
			wantReason: "feature `edition2024` is required",
		},
		{
			name: "Java: an inline Caused by stays context of the top error",
			lines: []string{
				"ERROR: Connection was broken: java.io.IOException: Broken pipe",
				"\tat hudson.remoting.Channel.send(Channel.java:722)",
				"Caused by: java.net.SocketException: Connection reset",
				"\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:186)",
			},
			wantReason: "ERROR: Connection was broken: java.io.IOException: Broken pipe",
		},
		{
			name: "a warning that the disk is full over the cancellation it caused",
			lines: []string{
				"Downloading task: DotNetCoreCLI",
				"##[warning]Failed to extract task 'DotNetCoreCLI'. Error No space left on device : '/agent/_work/_tasks'",
				"##[error]The operation was canceled.",
			},
			wantReason: "No space left on device",
		},
		{
			name: "a shell's missing command before the log's last line",
			lines: []string{
				"Run ./ci/publish.sh",
				"./ci/publish.sh: 3: helm: not found",
				"./ci/publish.sh: 4: helm: not found",
				"Post job cleanup.",
			},
			wantReason: "./ci/publish.sh: 3: helm: not found",
		},
		{
			name: "npm 4's environment lines are not the error",
			lines: []string{
				"npm ERR! Darwin 19.6.0",
				"npm ERR! argv \"/usr/local/bin/node\" \"/usr/local/bin/npm\" \"ci\"",
				"npm ERR! node v6.17.1",
				"npm ERR! npm  v3.10.10",
				"npm ERR! code E403",
				"npm ERR! 403 Forbidden: @acme/widgets@2.0.1",
			},
			wantReason: "403 Forbidden: @acme/widgets@2.0.1",
		},
		{
			name: "Go toolchain too old over the FAIL line",
			lines: []string{
				"go: downloading golang.org/x/sync v0.7.0",
				"go: go.mod requires go >= 1.23.0 (running go 1.21.4; GOTOOLCHAIN=local)",
				"FAIL\texample.org/shop/cart [setup failed]",
			},
			wantReason: "go.mod requires go >= 1.23.0",
		},
		{
			name: "GitHub Actions' missing input over the permission error after it",
			lines: []string{
				"Error: Input required and not supplied: registry-token",
				"Error: Resource not accessible by integration",
			},
			wantReason: "Input required and not supplied: registry-token",
		},
		{
			name: "pip: the build's own error over the subprocess wrapper",
			lines: []string{
				"  error: subprocess-exited-with-error",
				"  ",
				"  × Building wheel for lxml (pyproject.toml) did not run successfully.",
				"  │ exit code: 1",
				"  ╰─> [3 lines of output]",
				"      src/lxml/etree.c:96:10: fatal error: libxml/xmlversion.h: No such file or directory",
				"      compilation terminated.",
				"      [end of output]",
			},
			wantReason: "fatal error: libxml/xmlversion.h: No such file or directory",
		},
		{
			name: "Gradle: the compiler row over the chain whose last link points to the log",
			lines: []string{
				"> Task :app:compileKotlin FAILED",
				"e: file:///home/ci/app/src/main/kotlin/Cart.kt:12:5 Unresolved reference: priceOf",
				"",
				"FAILURE: Build failed with an exception.",
				"",
				"* What went wrong:",
				"Execution failed for task ':app:compileKotlin'.",
				"> A failure occurred while executing org.jetbrains.kotlin.compilerRunner.GradleCompilerRunnerWithWorkers$GradleKotlinCompilerWorkAction",
				"   > Compilation error. See log for more details",
				"",
				"* Try:",
				"> Run with --stacktrace option to get the stack trace.",
				"BUILD FAILED in 41s",
			},
			wantReason: "Unresolved reference: priceOf",
		},
		{
			name: "Gradle: the deepest link under What went wrong",
			lines: []string{
				"FAILURE: Build failed with an exception.",
				"",
				"* What went wrong:",
				"A problem occurred evaluating project ':app'.",
				"> Plugin with id 'com.example.nope' not found.",
				"",
				"* Try:",
				"> Run with --stacktrace option to get the stack trace.",
			},
			wantReason: "Plugin with id 'com.example.nope' not found.",
		},
		{
			name: "Maven: the compiler row over Failed to execute goal",
			lines: []string{
				"[ERROR] COMPILATION ERROR : ",
				"[ERROR] /home/ci/src/main/java/shop/Cart.java:[33,17] cannot find symbol",
				"  symbol:   method priceOf(shop.Item)",
				"[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project shop: Compilation failure",
				"[ERROR] /home/ci/src/main/java/shop/Cart.java:[33,17] cannot find symbol",
			},
			wantReason: "Cart.java:[33,17] cannot find symbol",
		},
		{
			name: "Maven: Failed to execute goal names the missing artifact",
			lines: []string{
				"[INFO] BUILD FAILURE",
				"[ERROR] Failed to execute goal on project shop: Could not resolve dependencies for project org.acme:shop:jar:1.0: Could not find artifact org.acme:pricing:jar:2.1 in central (https://repo.maven.apache.org/maven2) -> [Help 1]",
				"[ERROR] ",
				"[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.",
				"[ERROR] Re-run Maven using the -X switch to enable full debug logging.",
			},
			wantReason: "Could not find artifact org.acme:pricing:jar:2.1",
		},
		{
			name: "Bazel: the compiler error over the action that failed (Exit 1)",
			lines: []string{
				"ERROR: /home/ci/src/BUILD:12:10: Compiling src/net.cc failed: (Exit 1): gcc failed: error executing command /usr/bin/gcc -c src/net.cc",
				"src/net.cc:40:3: error: 'socket_t' was not declared in this scope",
				"Target //src:net failed to build",
				"INFO: Elapsed time: 3.2s",
				"FAILED: Build did NOT complete successfully",
			},
			wantReason: "'socket_t' was not declared in this scope",
		},
		{
			name: "cargo: error[E…] over could not compile",
			lines: []string{
				"   Compiling shop v0.1.0 (/home/ci/shop)",
				"error[E0425]: cannot find value `price` in this scope",
				"  --> src/cart.rs:14:9",
				"   |",
				"14 |         price * qty",
				"   |         ^^^^^ not found in this scope",
				"",
				"error: could not compile `shop` (lib) due to 1 previous error",
			},
			wantReason: "error[E0425]: cannot find value `price` in this scope",
		},
		{
			name: "Python: the first exception of a chain, the one being handled",
			lines: []string{
				"Traceback (most recent call last):",
				"  File \"/app/db.py\", line 10, in connect",
				"    return pool.get()",
				"KeyError: 'primary'",
				"",
				"During handling of the above exception, another exception occurred:",
				"",
				"Traceback (most recent call last):",
				"  File \"/app/main.py\", line 4, in <module>",
				"    connect()",
				"RuntimeError: no database configured for 'primary'",
			},
			wantReason: "KeyError: 'primary'",
		},
		{
			name: "dotnet: the first error CS… row, not its repeat in the summary",
			lines: []string{
				"  Determining projects to restore...",
				"/home/ci/src/Shop/Cart.cs(14,20): error CS0103: The name 'priceOf' does not exist in the current context [/home/ci/src/Shop/Shop.csproj]",
				"",
				"Build FAILED.",
				"",
				"/home/ci/src/Shop/Cart.cs(14,20): error CS0103: The name 'priceOf' does not exist in the current context [/home/ci/src/Shop/Shop.csproj]",
				"    0 Warning(s)",
				"    1 Error(s)",
			},
			wantReason: "Cart.cs(14,20): error CS0103",
		},
		{
			name: "npm: the enoent message over code, syscall, path and errno",
			lines: []string{
				"npm ERR! code ENOENT",
				"npm ERR! syscall open",
				"npm ERR! path /home/ci/app/package.json",
				"npm ERR! errno -2",
				"npm ERR! enoent ENOENT: no such file or directory, open '/home/ci/app/package.json'",
				"npm ERR! enoent This is related to npm not being able to find a file.",
				"npm ERR! A complete log of this run can be found in: /home/ci/.npm/_logs/x.log",
			},
			wantReason: "no such file or directory, open '/home/ci/app/package.json'",
		},
		{
			name: "a retried attempt's error yields to the last attempt's",
			lines: []string{
				"Preparing the \"kubernetes\" executor",
				"ERROR: Preparation failed: pods \"runner-x\" is forbidden: exceeded quota",
				"Will be retried in 3s ...",
				"ERROR: Preparation failed: pods \"runner-x\" is forbidden: exceeded quota",
				"Will be retried in 3s ...",
				"ERROR: Job failed (system failure): prepare environment: pods \"runner-x\" is forbidden: exceeded quota",
			},
			wantReason: "ERROR: Job failed (system failure): prepare environment",
		},
		{
			name: "a retried attempt that names the cause stays over the vaguer last error",
			lines: []string{
				"Download action repository 'acme/lint@v9' (SHA:abc)",
				"Error: Unable to resolve action `acme/lint@v9`, unable to find version `v9`",
				"Retrying in 12.5 seconds",
				"Error: Unable to resolve action `acme/lint@v9`, unable to find version `v9`",
				"Retrying in 20.1 seconds",
				"Error: Failed to download action.",
			},
			wantReason: "Unable to resolve action `acme/lint@v9`",
		},
		{
			name: "apt: a repository without its Release file before the last line",
			lines: []string{
				"Hit:1 http://archive.example.org/ubuntu focal InRelease",
				"The repository 'http://archive.example.org/ubuntu groovy Release' no longer has a Release file.",
				"Reading package lists...",
			},
			wantReason: "no longer has a Release file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}
