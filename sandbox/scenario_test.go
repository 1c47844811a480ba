package sandbox

import (
	"bytes"
	"context"
	"testing"
)

func TestScenariosAllReachTheirEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("plays every scenario on the whole service")
	}
	var out bytes.Buffer
	rep, err := RunScenarios(context.Background(), ScenarioOptions{Out: &out})
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatalf("RunScenarios: %v", err)
	}
	if len(rep.Scenarios) != len(Scenarios()) {
		t.Errorf("%d scenarios reported, want %d", len(rep.Scenarios), len(Scenarios()))
	}
}
