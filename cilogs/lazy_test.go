package cilogs

import (
	"os"
	"os/exec"
	"testing"
)

// TestAllParsesNoSealedSet: All (what the sandbox and the shipped binary
// call) parses its own two sets and never a sealed one. Checked in a fresh
// process: in this one, other tests may have parsed any set already.
func TestAllParsesNoSealedSet(t *testing.T) {
	if os.Getenv("CILOGS_LAZY_CHILD") == "1" {
		if len(All()) == 0 {
			t.Fatal("All is empty")
		}
		for _, set := range []string{SetSealed, SetSealed2, SetCorpus, SetCorpus5} {
			if _, ok := parsedSets.Load(set); ok {
				t.Errorf("All parsed the %s set", set)
			}
		}
		for _, set := range []string{SetLabelled, SetExtra} {
			if _, ok := parsedSets.Load(set); !ok {
				t.Errorf("All did not parse the %s set", set)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAllParsesNoSealedSet$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CILOGS_LAZY_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
