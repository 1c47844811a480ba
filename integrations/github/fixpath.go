package github

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// FixBranchPrefix is the namespace of ccm's fix branches; DeleteBranch
// deletes nothing outside it.
const FixBranchPrefix = "ccm/fix/"

// maxBranchID bounds the failure-ID part of a branch name.
const maxBranchID = 80

// FixBranch is the branch of the fix for a failure: FixBranchPrefix and the
// failure ID with what git refuses in a ref name replaced, so
// "acme/web#123.1" becomes "ccm/fix/acme-web-123.1". One failure always
// gives the same branch (that is how a retry finds its earlier work); when
// the ID had to be changed beyond "/" and "#", or cut, a short hash of it
// keeps two IDs from sharing a branch.
func FixBranch(failureID string) string {
	var b strings.Builder
	lossy, dash := false, false
	for _, r := range failureID {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if r != '/' && r != '#' {
			lossy = true
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	id := b.String()
	for strings.Contains(id, "..") {
		id, lossy = strings.ReplaceAll(id, "..", "."), true
	}
	if t := strings.Trim(id, "-."); t != id {
		id, lossy = t, true
	}
	if len(id) > maxBranchID {
		id, lossy = strings.TrimRight(id[:maxBranchID], "-."), true
	}
	if strings.HasSuffix(id, ".lock") {
		lossy = true
	}
	if lossy || id == "" {
		sum := sha256.Sum256([]byte(failureID))
		id = strings.TrimPrefix(id+"-"+hex.EncodeToString(sum[:4]), "-")
	}
	return FixBranchPrefix + id
}

// CheckFixPath says why a fix PR may not write path, or nil. A fix only
// touches the project's files: nothing under .github/ (workflows, actions
// config: what decides what CI runs with which secrets), no CODEOWNERS
// anywhere (who must review), nothing in .git; and only relative, clean
// paths, so what is reviewed is what is written. .github and CODEOWNERS
// are compared case-insensitively: on a case-insensitive checkout
// .GitHub/ is the same directory.
func CheckFixPath(p string) error {
	refuse := func(why string) error { return fmt.Errorf("%w: path %q %s", ErrRefused, p, why) }
	switch {
	case p == "":
		return refuse("is empty")
	case strings.ContainsAny(p, "\\\x00") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return refuse("has a backslash or control character")
	case strings.HasPrefix(p, "/"):
		return refuse("is absolute")
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		if s == ".." {
			return refuse("climbs out with ..")
		}
	}
	if path.Clean(p) != p {
		return refuse("is not clean (empty, . or trailing components)")
	}
	for _, s := range segs {
		switch {
		case strings.EqualFold(s, ".github"):
			return refuse("is under .github/ (workflows and CI configuration are never changed by ccm)")
		case strings.EqualFold(s, ".git"):
			return refuse("is inside .git")
		}
	}
	if strings.EqualFold(segs[len(segs)-1], "CODEOWNERS") {
		return refuse("is a CODEOWNERS file")
	}
	return nil
}
