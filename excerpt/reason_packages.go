package excerpt

import (
	"regexp"
	"strings"
)

// Package managers' rows that name what could not be had, under a header
// or over a summary that does not: the row says which package, index or
// version, and why.

// ivyUnresolved is a row of Ivy's UNRESOLVED DEPENDENCIES table (sbt 0.13,
// Ant+Ivy), between rows of colons (":: be.objectify#deadbolt-core_2.11;
// 2.4.0-SNAPSHOT: not found",
// https://github.com/mkurz/deadbolt-2-java/issues/10): the module no
// resolver had. sbt tags each row "[warn]", Ant "[ivy:retrieve]". An
// outcome, below an error: the "sbt.ResolveException: unresolved
// dependency: …" that sbt ends with, when it prints one, names the same
// module and says what failed.
var ivyUnresolved = regexp.MustCompile(`^(?:\[(?:warn|ivy:[\w-]+)\]\s+)?::\s+[\w.-]+#[\w.-]+;[^\s:]+: not found`)

// aptFetchFailed is apt's "Failed to fetch URL  why" as a warning or an
// error ("W: Failed to fetch http://dl.hhvm.com/…/Packages  Hash Sum
// mismatch", https://github.com/ros-industrial/industrial_ci/issues/53):
// which index or package (a URI: "http://…", "mirror+file:…"), and why;
// a tool's own "Failed to fetch version info from …" is no such row. "E:
// Some index files failed to download. They have been ignored, or old ones
// used instead." under it only sums the rows up (aptFetchSummary).
var aptFetchFailed = regexp.MustCompile(`^(?:[WE]: ?|Err:?\d*\s+)?Failed to fetch [a-z][a-z0-9+.-]*:\S+\s+\S`)

// aptFetchSummary is apt's sum of its failed fetches.
const aptFetchSummary = "E: Some index files failed to download"

// rUnavailable is R's word for a package it could not install or load:
// R CMD check's "Package required but not available: ‘ggplot2’" under
// "* checking package dependencies ... ERROR"
// (https://github.com/fawda123/ggord/issues/3), and install.packages'
// "dependency ‘stringr’ is not available for package ‘reshape2’". R
// quotes the name in typographic quotes, or in plain ones in a C locale.
var rUnavailable = regexp.MustCompile(`^(?:> )?(?:ERROR: )?(?:Packages? required but not available: |dependenc(?:y|ies) ['‘][^'’]+['’] (?:is|are) not available for package ['‘])`)

// packageRowStrength rates the rows above: the row is the cause, the
// summary after it generic.
func packageRowStrength(t string, tier int) int {
	switch {
	case tier >= strengthCause:
		return tier
	case strings.Contains(t, ":: ") && ivyUnresolved.MatchString(t):
		return max(tier, strengthOutcome)
	case strings.Contains(t, "Failed to fetch ") && aptFetchFailed.MatchString(t),
		strings.Contains(t, "not available") && rUnavailable.MatchString(t):
		return strengthCause
	case strings.HasPrefix(t, aptFetchSummary) && tier > strengthGeneric:
		return strengthGeneric
	}
	return tier
}

// npmCIWrapped reports a line that continues npm ci's refusal wrapped at
// the terminal's width ("npm error `npm ci` can only install packages when
// your package.json and" / "npm error package-lock.json are in sync.",
// https://github.com/rtCamp/godam/pull/2062): the refusal's start is the
// line before it.
func npmCIWrapped(lines []logLine, i int) bool {
	return i > 0 && lines[i-1].no+1 == lines[i].no && !strings.Contains(lines[i].text, npmCIOutOfSync) &&
		strings.Contains(lines[i-1].text, npmCIOutOfSync) && containsAnyOf(lines[i].text, lockfileOutOfSync)
}
