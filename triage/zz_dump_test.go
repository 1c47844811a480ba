package triage
import ("encoding/json";"testing";"os")
func TestDump(t *testing.T) {
	id := os.Getenv("DUMP")
	for _, f := range []string{"ci-logs.jsonl","ci-logs-extra.jsonl"} {
		for _, l := range loadLabelled(t, f) {
			if id != "all" && l.ID != id { continue }
			r := Classify(Input{Text: l.Log, FailingStep: "Run tests", JobName: "build"})
			b, _ := json.MarshalIndent(r, "", "  ")
			t.Logf("%s\n%s", l.ID, b)
		}
	}
}
