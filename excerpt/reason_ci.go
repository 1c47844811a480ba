package excerpt

import (
	"regexp"
	"strings"
)

// cloudStepFailed is the build service's verdict on a step whose own
// output said why above it: Cloud Build's `ERROR: build step 2
// "gcr.io/…" failed: step exited with non-zero status: 1`, Bitrise's
// "Archive failed, error: exit status 65", Homebrew's "Error: Failure
// while executing; `patch -g 0 -f -p1 -i x.patch` exited with 1.". An exit status, like GitHub's
// "Process completed with exit code 1".
var cloudStepFailed = regexp.MustCompile(`^(?:ERROR: )?build step \d+ "[^"]*" failed: step exited with non-zero status: \d+$|` +
	`^\w[\w ]* failed, error: exit status \d+$|` +
	"^Error: Failure while executing; `.*` exited with \\d+\\.$")

// pkgSummary is FreeBSD pkg's sum of what went wrong above it ("Unable to
// update repository FreeBSD", "Error updating repositories!") and the
// exit status a CI task prints after it ("Exit status: 3"); pkg's own
// "pkg: …" line above them says why (pkgError).
var pkgSummary = regexp.MustCompile(`^(?:Unable to update repository \S+|Error updating repositories!|Unable to open created repository \S+|Exit status: \d+)$`)

// pkgError is FreeBSD pkg's error about a package or its repository
// ("pkg: cached package git-2.24.1: size mismatch, cannot continue",
// "pkg: http://pkg.FreeBSD.org/…/meta.txz: Not Found", "pkg: repository
// meta /var/db/pkg/FreeBSD.meta has wrong version 2"). Its words hold no
// error word a person's eye would catch, but they are the cause.
// Go's benchmark header ("pkg: github.com/acme/x") is no such line: pkg's
// own errors name a package, a URL or the repository, then say what.
var pkgError = regexp.MustCompile(`^pkg: (?:(?:https?://\S+|[^:]+): .*(?:cannot continue|Not Found|No such file|not found|mismatch)|repository .* has wrong version)`)

// patchHunkFailed is patch(1) refusing a hunk ("Hunk #1 FAILED at 546."):
// the patch no longer applies to the file it was written for. It is an
// error, not more: a script's `patch --dry-run` (or `patch … || true`)
// prints it when nothing went wrong, and a compiler's error after it must
// still win.
var patchHunkFailed = regexp.MustCompile(`^Hunk #\d+ FAILED at \d+`)

// ciToolStrength rates the lines above.
func ciToolStrength(t string, tier int) int {
	switch {
	case t == "" || tier >= strengthCause:
		return tier
	case strings.HasPrefix(t, "Hunk #") && patchHunkFailed.MatchString(t):
		return max(tier, strengthError)
	case strings.HasPrefix(t, "pkg: ") && pkgError.MatchString(t):
		return max(tier, strengthError)
	case tier > strengthGeneric && (strings.Contains(t, " failed") || strings.Contains(t, "epositor") || strings.Contains(t, "xited with") || strings.HasPrefix(t, "Exit status: ")) &&
		(cloudStepFailed.MatchString(t) || pkgSummary.MatchString(t)):
		// The words guard the expressions: most lines hold none of them.
		return strengthGeneric
	}
	return tier
}
