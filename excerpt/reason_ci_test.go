package excerpt

import "testing"

// TestReason_CIToolLines holds the reason to the line that says why under
// the build services' own verdicts (Cloud Build's failed step, Bitrise's
// failed archive), FreeBSD pkg's summaries and patch(1)'s refused hunk,
// found on corpus14's misses. The logs are written for the test.
func TestReason_CIToolLines(t *testing.T) {
	tests := []reasonCase{
		{
			name: "Cloud Build: the step's own error over the build's verdict on it",
			lines: []string{
				`Step #3 - "push": Pushing us-docker.pkg.dev/acme/app/api:1.4.2`,
				`Step #3 - "push": denied: Permission "artifactregistry.repositories.uploadArtifacts" denied on resource "projects/acme/locations/us/repositories/app"`,
				`Finished Step #3 - "push"`,
				"ERROR",
				`ERROR: build step 3 "gcr.io/cloud-builders/docker" failed: step exited with non-zero status: 1`,
			},
			wantReason: `denied: Permission "artifactregistry.repositories.uploadArtifacts" denied`,
			notReason:  "build step 3",
		},
		{
			name: "Bitrise: the compiler's error over the step's exit status",
			lines: []string{
				"/Users/vagrant/git/App/Sources/Feed.swift:42:17: error: cannot find 'FeedCell' in scope",
				"** ARCHIVE FAILED **",
				"Archive failed, error: exit status 65",
			},
			wantReason: "cannot find 'FeedCell' in scope",
		},
		{
			name: "FreeBSD pkg: the repository's missing file over pkg's summaries and the task's exit status",
			lines: []string{
				"pkg update -f",
				"Updating FreeBSD repository catalogue...",
				"pkg: https://pkg.FreeBSD.org/FreeBSD:12:amd64/quarterly/meta.txz: Not Found",
				"repository FreeBSD has no meta file, using default settings",
				"Unable to update repository FreeBSD",
				"Error updating repositories!",
				"Exit status: 3",
			},
			wantReason: "meta.txz: Not Found",
		},
		{
			name: "FreeBSD pkg: a cached package that cannot be used",
			lines: []string{
				"[3/12] Fetching curl-8.4.0.pkg: .......... done",
				"pkg: cached package curl-8.4.0: size mismatch, cannot continue",
				"Exit status: 3",
			},
			wantReason: "size mismatch, cannot continue",
		},
		{
			name: "patch: the refused hunk over the build tool's error after it",
			lines: []string{
				"==> Applying fix-build.patch",
				"patching file src/main.c",
				"Hunk #2 FAILED at 118.",
				"1 out of 2 hunks FAILED -- saving rejects to file src/main.c.rej",
				"Error: Failure while executing; `patch -g 0 -f -p1 -i fix-build.patch` exited with 1.",
			},
			wantReason: "Hunk #2 FAILED at 118.",
		},
		{
			name: "a dry run's refused hunk does not hide the compiler's error after it",
			lines: []string{
				"+ patch --dry-run -p1 -i debian/patches/fix-build.patch",
				"checking file src/util.c",
				"Hunk #1 FAILED at 546.",
				"1 out of 1 hunk FAILED",
				"+ cmake --build build",
				"/src/net.cpp:88:12: error: no member named 'make_unique' in namespace 'std'",
				"make[2]: *** [CMakeFiles/net.dir/net.cpp.o] Error 1",
			},
			wantReason: "no member named 'make_unique'",
		},
		{
			name: "Go's benchmark header is no pkg error",
			lines: []string{
				"goos: linux",
				"pkg: github.com/acme/typemismatch",
				"BenchmarkParse-8   	  100000	     10234 ns/op",
				"FAIL",
			},
			notReason: "pkg: github.com",
		},
		{
			name: "a step that failed for its own reason stays the reason",
			lines: []string{
				"Running tests",
				`ERROR: build step 0 "gcr.io/cloud-builders/npm" failed: step exited with non-zero status: 1`,
			},
			wantReason: "build step 0",
		},
	}
	runReasonCases(t, tests)
}
