package excerpt

import "testing"

// TestReason_MessageBlocks holds the reason to messages a tool prints as a
// block (CMake's indented paragraphs) or under a header that names only the
// test (Jest's timeout under "●"), and to CHECK() failures. The logs are
// written for the test.
func TestReason_MessageBlocks(t *testing.T) {
	tests := []struct {
		name        string
		lines       []string
		wantReason  string   // a substring of the reason
		wantContext []string // substrings, each in one context line, in order
	}{
		{
			name: "CMake: a root cause inside the block is the reason",
			lines: []string{
				"-- The CXX compiler identification is GNU 12.2.0",
				"CMake Error at src/CMakeLists.txt:14 (find_package):",
				"  Could not find a package configuration file provided by \"Eigen3\"",
				"",
				"  Add the installation prefix of \"Eigen3\" to CMAKE_PREFIX_PATH.",
				"",
				"-- Configuring incomplete, errors occurred!",
			},
			wantReason: "Could not find a package configuration file provided by \"Eigen3\"",
		},
		{
			name: "CMake: the indented message across its blank lines, to the first unindented line",
			lines: []string{
				"CMake Error at CMakeLists.txt:3 (add_subdirectory):",
				"  The source directory",
				"",
				"    /ci/src/vendor/zlib",
				"",
				"  does not contain a CMakeLists.txt file.",
				"",
				"-- Configuring incomplete, errors occurred!",
			},
			wantReason: "CMake Error at CMakeLists.txt:3 (add_subdirectory): The source directory /ci/src/vendor/zlib does not contain a CMakeLists.txt file.",
		},
		{
			name: "Jest: a timeout's thrown message, the test's name as context",
			lines: []string{
				"FAIL src/queue.test.ts (12.3 s)",
				"  ● Queue › drains after close",
				"",
				"    thrown: \"Exceeded timeout of 5000 ms for a test.",
				"    Add a timeout value to this test to increase the timeout, if this is a long-running test.\"",
				"",
				"Tests:       1 failed, 88 passed, 89 total",
			},
			wantReason:  "Exceeded timeout of 5000 ms for a test.",
			wantContext: []string{"● Queue › drains after close"},
		},
		{
			name: "CHECK(): the condition under the fatal banner",
			lines: []string{
				"#",
				"# Fatal error in ../src/heap/heap.cc, line 912",
				"# Check failed: allocation_size <= kMaxRegularHeapObjectSize.",
				"#",
			},
			wantReason: "Check failed: allocation_size <= kMaxRegularHeapObjectSize.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, tt.wantContext)
		})
	}
}
