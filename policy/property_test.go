package policy

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/config"
)

// The oracles below read the world the generator drew (gen_test.go), not
// Decide's helpers: a file is application source because it came from the
// appFiles pool, the threshold in force is the one the generator put there.
// rapid runs each property 100 times by default (-rapid.checks=N for more).
// A property that skips a draw (t.Skip: not its case) still gets that many
// valid draws: rapid fails it ("only generated N valid tests") when it
// cannot find them, so no count of our own is needed.

// Property 14: Safe Remediation Classification
// "For any failure with risk score below the configured threshold, the
// system should classify it as safe for auto-remediation."
// Every other condition is made to hold; in auto mode the gate says auto.
func TestProperty14_SafeRemediationClassification(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t, opts{mode: config.ModeAuto, clean: true, riskLow: true})
		d := Decide(w.in)
		if d.Kind != KindAuto || !d.Acts() {
			t.Fatalf("risk %d below threshold %d, all else safe: got %s (reasons %q)", w.risk, w.threshold, d.Kind, d.Reasons)
		}
	})
}

// Property 15: High-Risk Remediation Classification
// "For any failure with risk score at or above the configured threshold,
// the system should classify it as requiring approval."
// Whatever else is true, a remediation at or above the threshold is put to
// a person, and the risk is among the reasons.
func TestProperty15_HighRiskRemediationClassification(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom(config.Modes).Draw(t, "mode")
		w := drawWorld(t, opts{mode: mode, riskHigh: true})
		d := Decide(w.in)
		if d.Kind != KindApproval || !slices.Contains(d.Failed, CheckRisk) {
			t.Fatalf("risk %d at or above threshold %d: got %s, failed %v", w.risk, w.threshold, d.Kind, d.Failed)
		}
	})
}

// Property 18: Application Code Detection
// "For any failure involving application code, the safety gate should
// prevent auto-remediation and require approval."
// Application code is drawn through any of its signals: the model's flag,
// the rules' code verdict, or a build or test step on a change touching
// application source (or on a change GitHub could not list).
func TestProperty18_ApplicationCodeDetection(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom(config.Modes).Draw(t, "mode")
		w := drawWorld(t, opts{mode: mode, appCode: true})
		if !w.appCode {
			t.Fatal("generator: no application-code signal drawn")
		}
		d := Decide(w.in)
		if d.Kind != KindApproval || !slices.Contains(d.Failed, CheckApplicationCode) {
			t.Fatalf("application code involved: got %s, failed %v (steps %q, files %q known=%v)",
				d.Kind, d.Failed, w.in.FailedSteps, w.in.ChangedFiles, w.in.ChangedFilesKnown)
		}
	})
}

// Property 19: Protected Repository Detection
// "For any failure in a protected repository, the safety gate should
// prevent auto-remediation and require approval."
func TestProperty19_ProtectedRepositoryDetection(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom(config.Modes).Draw(t, "mode")
		w := drawWorld(t, opts{mode: mode, protect: true})
		d := Decide(w.in)
		if d.Kind != KindApproval || !slices.Contains(d.Failed, CheckProtected) {
			t.Fatalf("protected repository: got %s, failed %v", d.Kind, d.Failed)
		}
	})
}

// Property 20: Risk Score Validation
// "For any remediation proposal, the safety gate should validate that the
// risk score is below the configured threshold."
// For any drawn proposal the gate compares the risk the world holds (the
// analysis's, raised to the rules' floor whenever the rules recognised the
// failure: the model can raise risk, never lower it) with the threshold in
// force (repository, else Slack, else global), and never lets a risk at or
// above it through.
func TestProperty20_RiskScoreValidation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom(config.Modes).Draw(t, "mode")
		w := drawWorld(t, opts{mode: mode})
		d := Decide(w.in)
		if d.Threshold != w.threshold || d.EffectiveRisk != w.risk {
			t.Fatalf("compared risk %d with threshold %d; the world holds risk %d, threshold %d", d.EffectiveRisk, d.Threshold, w.risk, w.threshold)
		}
		if (w.risk >= w.threshold) != slices.Contains(d.Failed, CheckRisk) {
			t.Fatalf("risk %d, threshold %d: risk check failed = %v", w.risk, w.threshold, !slices.Contains(d.Failed, CheckRisk))
		}
		if d.Kind == KindAuto && w.risk >= w.threshold {
			t.Fatalf("auto with risk %d at or above threshold %d", w.risk, w.threshold)
		}
	})
}

// Property 21: Safe Remediation Execution
// "For any failure that passes all safety gates, the system should proceed
// with auto-remediation execution."
// In auto mode, a failure that meets every condition of the list
// is one ccm acts on; in shadow it is what ccm would have done.
func TestProperty21_SafeRemediationExecution(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom([]config.Mode{config.ModeAuto, config.ModeShadow}).Draw(t, "mode")
		w := drawWorld(t, opts{mode: mode})
		if !w.passesAll() {
			t.Skip("fails a gate: Property 22's case")
		}
		d := Decide(w.in)
		if d.Kind != KindAuto || len(d.Actions) == 0 || d.Acts() != (mode == config.ModeAuto) {
			t.Fatalf("passes every gate in mode %s: got %s, acts %v, actions %v (reasons %q)", mode, d.Kind, d.Acts(), d.Actions, d.Reasons)
		}
	})
}

// Property 22: Failed Gate Escalation
// "For any failure that fails any safety gate, the system should escalate
// to the approval workflow."
// Any failed condition of the list turns a proposal into an
// approval request with at least one reason; nothing is done unattended.
// Each condition is checked failing alone (rapid's draws favour the start
// of a list, so a random pick would rarely reach the last ones), then any
// mix of them.
func TestProperty22_FailedGateEscalation(t *testing.T) {
	for _, dim := range append(slices.Clone(dimensions), "any") {
		t.Run(dim, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				mode := rapid.SampledFrom(config.Modes).Draw(t, "mode")
				o := opts{mode: mode, fail: dim}
				if dim == "any" {
					o.fail = ""
				}
				w := drawWorld(t, o)
				if w.passesAll() {
					t.Skip("passes every gate: Property 21's case")
				}
				d := Decide(w.in)
				if d.Kind != KindApproval || d.Acts() || len(d.Reasons) == 0 || len(d.Failed) == 0 {
					t.Fatalf("fails a gate: got %s, acts %v, failed %v, reasons %q", d.Kind, d.Acts(), d.Failed, d.Reasons)
				}
			})
		})
	}
}
