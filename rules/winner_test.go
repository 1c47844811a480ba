package rules

import "testing"

// TestWinner: trainguess's override cross-validation reads the deciding
// signature and its tier through Winner; a weak signature never decides,
// and with no signature there is no winner.
func TestWinner(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantSig  string
		wantTier int
		wantOK   bool
		matched  bool // some signature matches, weak or not
	}{
		{name: "platform beats a generic timeout word",
			text:    "Running tests\nThe runner has received a shutdown signal. This can happen when the runner service is stopped\nconnection timed out\n",
			wantSig: "runner-shutdown-signal", wantTier: tierPlatform, wantOK: true, matched: true},
		{name: "a bare deadline is generic",
			text:    "waiting for the fixture server\nrpc error: code = DeadlineExceeded desc = context deadline exceeded\n",
			wantSig: "timeout-generic", wantTier: tierGeneric, wantOK: true, matched: true},
		{name: "a weak signature never decides",
			text: "Randomized with seed 1234\nthe widget frobnicator declined\n", wantOK: false, matched: true},
		{name: "no signature", text: "compiling widgets\nthe widget frobnicator declined\n", wantOK: false},
		{name: "empty", text: "", wantOK: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sig, tier, ok := Winner(Input{Text: tc.text})
			if got := len(Explain(Input{Text: tc.text})) > 0; got != tc.matched {
				t.Fatalf("some signature matched = %v, want %v: the case no longer tests what it says", got, tc.matched)
			}
			if ok != tc.wantOK || tier != tc.wantTier || sig != tc.wantSig {
				t.Errorf("Winner = %q, %d, %v; want %q, %d, %v", sig, tier, ok, tc.wantSig, tc.wantTier, tc.wantOK)
			}
		})
	}
}
