package excerpt

import "testing"

// TestReason_PointerFamilies holds the reason to the tool's own line in the
// ways tools print a failure with a pointer, a summary or an effect
// around it: the pointer to a debug log, a runner's summary over the test
// it lists, a process killed by a signal under the status it exited with.
// The logs are written for the test, in each tool's format.
func TestReason_PointerFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string // a substring of the reason
	}{
		{
			name: "npm 6: the error over the debug log's path",
			lines: []string{
				"npm ERR! Invalid Version: link:../shared",
				"",
				"npm ERR! A complete log of this run can be found in:",
				"npm ERR!     /home/runner/.npm/_logs/2021-03-02T10_11_12_345Z-debug.log",
			},
			wantReason: "Invalid Version: link:../shared",
		},
		{
			name: "npm on Windows: the error over the debug log's path",
			lines: []string{
				"npm ERR! Maximum call stack size exceeded",
				"",
				"npm ERR! A complete log of this run can be found in:",
				`npm ERR!     C:\Users\runneradmin\AppData\Roaming\npm-cache\_logs\2021-03-02T10_11_12_345Z-debug.log`,
			},
			wantReason: "Maximum call stack size exceeded",
		},
		{
			// A log copied from GitHub's web view carries its line
			// anchors as links, which make the path look specific.
			name: "npm, pasted from the web view: the error over the debug log's path",
			lines: []string{
				"npm ERR! Invalid Version: link:../shared",
				"",
				"npm ERR! A complete log of this run can be found in:",
				"npm ERR!     /home/runner/.npm/_logs/[2](https://github.com/o/r/actions/runs/1/jobs/2#step:4:2)021-03-02T10_11_12_345Z-debug.log",
			},
			wantReason: "Invalid Version: link:../shared",
		},
		{
			name: "a build's pointer to its log after the error",
			lines: []string{
				"error: linking with cc failed",
				"error: /home/runner/work/app/target/debug/build/app-1f2e/output.log",
			},
			wantReason: "linking with cc failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}
