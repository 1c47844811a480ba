package excerpt

import "slices"

// MarkerWords are the literal words and phrases lineStrength rates a line
// by (its marker lists, every case as written). The rules hold their cheap
// word prefilter for failure lines (rules.mayFail) to them: a line that
// reads as an error only because of one of these words must pass it.
func MarkerWords() []string {
	return slices.Concat(failureWords, errorLinePrefixes, errorLineInfixes, rootCauseMarkers, detailWords,
		moreRootCauses, exhaustionMarkers, serverPhrases, lockfileOutOfSync, unrunnable, unresolvable)
}
