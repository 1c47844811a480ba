// Package history turns what ccm remembers about a failure's fingerprint
// in one repository (state.Store.History) into evidence a log alone cannot
// give: the same failure on other commits this week and re-runs that
// passed point to a flaky test; a failure first seen on the commit that
// changed the failing test or the code it names points to a regression.
//
// Facts are counts, shown to people as one evidence line and to the model
// as a short section of the prompt; Apply is the deterministic, explainable
// rule that may adjust an analysis with them. The package knows nothing of
// Redis: state computes the facts, tasks applies them.
package history

import (
	"fmt"
	"strings"
	"time"
)

// Window is how far back the facts look: a week of a repository's CI.
const Window = 7 * 24 * time.Hour

// Facts are what ccm's records say about one failure's fingerprint in its
// repository over Window, relative to that failure.
type Facts struct {
	// Sightings counts the recorded failures with this fingerprint in the
	// repository in the window, this one included.
	Sightings int
	// OtherCommits and OtherBranches count the distinct commits and
	// branches, other than this failure's, it failed on.
	OtherCommits  int
	OtherBranches int
	// PassedOnRerun counts earlier failures of the fingerprint whose re-run
	// of the same commit passed: ccm's own re-run, verified, or a person's
	// (the shadow follow-up's rerun_passed).
	PassedOnRerun int
	// PassedLater counts earlier failures after which a later run of the
	// workflow on the branch passed without a change to a file the
	// analysis named (shadow passed_later): weaker, a fix may have landed.
	PassedLater int
	// FailedOnRerun counts sightings that were themselves re-run attempts
	// (attempt 2 or later): a re-run that failed the same way again.
	FailedOnRerun int
	// FirstSeenHere: no failure of the fingerprint on another commit was
	// detected before this one in the window.
	FirstSeenHere bool
	// Partial: the index hit its cap, so the counts are lower bounds.
	Partial bool
}

// Known reports whether there is any history to speak of: the index knew
// the fingerprint (it holds this failure too, once recorded).
func (f Facts) Known() bool { return f.Sightings > 0 || f.PassedOnRerun > 0 || f.PassedLater > 0 }

// Sentence says the facts in a few words, for people and for the model:
// "seen on 4 other commits (2 other branches) this week; passed on re-run
// 3 times". Only counts: no names, branches or log text.
func (f Facts) Sentence() string {
	var parts []string
	switch {
	case f.OtherCommits == 0 && f.FirstSeenHere:
		parts = append(parts, "first seen on this commit this week")
	case f.OtherCommits == 0:
		parts = append(parts, "not seen on another commit this week")
	default:
		s := "seen on " + count(f.OtherCommits, "other commit", "other commits")
		if f.OtherBranches > 0 {
			s += " (" + count(f.OtherBranches, "other branch", "other branches") + ")"
		}
		parts = append(parts, s+" this week")
		if f.FirstSeenHere {
			parts = append(parts, "first seen on this commit")
		}
	}
	if f.PassedOnRerun > 0 {
		parts = append(parts, "passed on re-run "+times(f.PassedOnRerun))
	}
	if f.PassedLater > 0 {
		parts = append(parts, "passed on a later run with no named file changed "+times(f.PassedLater))
	}
	if f.FailedOnRerun > 0 {
		parts = append(parts, "failed again on re-run "+times(f.FailedOnRerun))
	}
	if f.Partial {
		parts = append(parts, "older sightings were dropped, so these are lower bounds")
	}
	return strings.Join(parts, "; ")
}

// EvidenceLine is the line an analysis's evidence carries.
func (f Facts) EvidenceLine() string { return EvidencePrefix + f.Sentence() }

// EvidencePrefix starts the history line in an analysis's evidence, which
// is otherwise quoted from the log: ccm wrote this one.
const EvidencePrefix = "history: "

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}
