package excerpt

import "testing"

func TestIsGenericReason(t *testing.T) {
	cases := []struct {
		line string
		want bool
	}{
		{"Process completed with exit code 1", true},
		{"Error: Process completed with exit code 2.", true},
		{"The process '/usr/bin/git' failed with exit code 128", true},
		{"ERROR: script returned exit code 1", true},
		{"Finished: FAILURE", true},
		{"make: *** [Makefile:3: foo.o] Error 1", true},
		{"make[2]: *** [src/CMakeFiles/app.dir/build.make:76: src/main.o] Error 1", true},
		{"exit status 1", true},
		{"ERROR: Job failed: exit code 1", true},
		{"error Command failed with exit code 1.", true},
		{"Process completed with exit code 137", false}, // killed: the cause
		{"ERROR: script returned exit code 143", false},
		{"go: updates to go.mod needed; to update it:", false},
		{"src/foo.c:10:5: error: expected ';' before 'return'", false},
		{"Tests: 3 failed, 10 passed", false},
		{"", false},
	}
	for _, c := range cases {
		if got := IsGenericReason(c.line); got != c.want {
			t.Errorf("IsGenericReason(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
