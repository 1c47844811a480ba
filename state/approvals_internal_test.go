package state

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWellFormedID: an ID from Slack is accepted only if newApprovalID could
// have made it: 22 characters of the URL-safe alphabet, canonical.
func TestWellFormedID(t *testing.T) {
	made, err := newApprovalID()
	if err != nil {
		t.Fatal(err)
	}
	const zeros = "AAAAAAAAAAAAAAAAAAAAAA"
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{made, true},
		{zeros, true},
		{"_____________________w", true}, // 16 bytes of 0xff
		{"", false},
		{zeros[:21], false},
		{zeros + "A", false},
		{zeros + "AA", false}, // 17 bytes
		{zeros + "\r\n", false},
		{zeros + "\n", false},
		{"\n" + zeros, false},
		{zeros[:11] + "\n" + zeros[11:], false},
		{zeros[:11] + "\r" + zeros[11:], false},
		{zeros + "==", false},
		{zeros[:21] + "B", false}, // trailing bits set: not what the encoder writes
		{"_____________________x", false},
		{zeros[:20] + "+/", false}, // the standard alphabet
		{zeros[:21] + " ", false},
		{"failure:acme/api#1.1", false},
		{"../" + zeros, false},
	} {
		if got := wellFormedID(tc.id); got != tc.want {
			t.Errorf("wellFormedID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

// TestAuditArgsMatchAuditLua: audit(k, a) in auditLua reads ARGV[a] up to
// ARGV[a+N]; auditArgs must produce exactly N+1 values, or every script
// reading past its audit args would read the wrong ones.
func TestAuditArgsMatchAuditLua(t *testing.T) {
	m := regexp.MustCompile(`for i = a\+2, a\+(\d+) do`).FindStringSubmatch(auditLua)
	if m == nil {
		t.Fatal("auditLua: the loop over the field/value pairs is not where this test looks for it")
	}
	last, _ := strconv.Atoi(m[1])
	s := New(nil, Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	args, err := s.auditArgs(&AuditEntry{ActionType: ActionApproval, Actor: ActorCCM, Outcome: OutcomeSuccess})
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != last+1 {
		t.Errorf("auditArgs gives %d values, auditLua reads ARGV[a..a+%d] (%d)", len(args), last, last+1)
	}
	if !strings.Contains(auditLua, "ARGV[a+1]") || args[2] != "ts" {
		t.Errorf("auditArgs starts %v; auditLua wants maxlen, ts ms, then the pairs from \"ts\"", args[:3])
	}
}

// TestScriptArgs: the approval scripts find the audit args and the fields
// after them where ARGV[1] and ARGV[2] say, computed from what is passed;
// with a longer audit list (a field added to auditArgs) they still do.
func TestScriptArgs(t *testing.T) {
	s := New(nil, Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	aargs, err := s.auditArgs(&AuditEntry{ActionType: ActionApproval, Actor: ActorCCM, Outcome: OutcomePending})
	if err != nil {
		t.Fatal(err)
	}
	fields, err := approvalFields(Approval{ID: "AAAAAAAAAAAAAAAAAAAAAA", Status: ApprovalPending})
	if err != nil {
		t.Fatal(err)
	}
	fixed := []any{"first", 2, "last"}
	for _, audit := range [][]any{aargs, append(append([]any{}, aargs...), "new_field", "value")} {
		args := scriptArgs(fixed, audit, fields)
		at := func(i int) any { return args[i-1] } // ARGV is 1-based
		auditAt, tailAt := at(1).(int), at(2).(int)
		if at(3) != "first" || at(auditAt-1) != "last" {
			t.Errorf("fixed args at ARGV[3..%d] = %v; want %v", auditAt-1, args[2:auditAt-1], fixed)
		}
		if at(auditAt) != s.maxLen || at(auditAt+2) != "ts" {
			t.Errorf("ARGV[%d..] = %v; want the audit args (maxlen, ts ms, \"ts\", ...)", auditAt, args[auditAt-1:auditAt+2])
		}
		if tailAt-auditAt != len(audit) || at(tailAt) != "id" || len(args)-tailAt+1 != len(fields) {
			t.Errorf("fields at ARGV[%d..%d], audit args at ARGV[%d..]: %d audit args, tail starts %v; want %d, \"id\" and %d values",
				tailAt, len(args), auditAt, tailAt-auditAt, at(tailAt), len(audit), len(fields))
		}
	}
	if args := scriptArgs(fixed, aargs, nil); len(args) != 2+len(fixed)+len(aargs) || args[1] != len(args)+1 {
		t.Errorf("no tail: %d args, tail at %v; want %d and %d", len(args), args[1], 2+len(fixed)+len(aargs), 3+len(fixed)+len(aargs))
	}
}
