package excerpt

import (
	"regexp"
	"strings"
)

// Lines of the CI runner itself and of the tools a setup step runs, whose
// words a person's eye skips or that wrap the line that says why.

// runnerCommandFailed is the GitHub Actions runner's wrapper around a
// workflow command it refused ("Unable to process command
// '::add-path::/opt/bin' successfully.", "Unable to process file command
// 'env' successfully."): the next error line says why (the command is
// disabled, "Invalid format '…'", "Matching delimiter not found 'EOF'").
var runnerCommandFailed = regexp.MustCompile(`^(?:Error: )?Unable to process (?:file )?command '[^']*' successfully\.$`)

// runnerNotAcquired is GitHub's word that no hosted runner took the job
// ("The job was not acquired by Runner of type hosted even after multiple
// attempts"): the service failed, and the "Internal server error.
// Correlation ID: …" under it only echoes that.
var runnerNotAcquired = regexp.MustCompile(`^(?:Error: )?The job was not acquired by Runner of type \S+ even after multiple attempts`)

// gpgError is GnuPG refusing a key or a signature a setup script checks
// ("gpg: no valid OpenPGP data found.", "gpg: Can't check signature: No
// public key", "gpg: BAD signature from …", "gpg: keyserver receive
// failed: No data"): the uploader or installer's "Could not verify
// signature" after it is only the verdict.
var gpgError = regexp.MustCompile(`^gpg: (?:no valid OpenPGP data found|Can't check signature|BAD signature|keyserver receive failed|key \S+: no (?:valid|public) key|no signature found|signing failed|decryption failed)`)

// runnerStrength rates the lines above; runnerCommandFailed is generic
// (isGeneric), for an ##[error] annotation too.
func runnerStrength(t string, tier int) int {
	switch {
	case t == "":
		return tier
	case strings.HasPrefix(t, "gpg: ") && gpgError.MatchString(t):
		return max(tier, strengthError)
	case strings.Contains(t, "not acquired by Runner") && runnerNotAcquired.MatchString(t):
		return max(tier, strengthCause)
	}
	return tier
}
