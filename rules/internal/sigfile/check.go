package sigfile

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/ccm-ci/ccm/logtext"
)

// CheckExample reports why ex is not a valid example of the pattern re
// (compiled as the rules compile it) with the exclusion not (nil for
// none): its line, ASCII-lowercased as the rules lowercase a log, must
// match re and not not, and its URL must be an http(s) address.
func CheckExample(re, not *regexp.Regexp, ex Example) error {
	var errs []error
	if strings.TrimSpace(ex.Line) == "" {
		errs = append(errs, errors.New("empty line"))
	}
	low := logtext.ASCIILower(ex.Line)
	if !re.Match(low) {
		errs = append(errs, fmt.Errorf("line %q does not match", ex.Line))
	} else if not != nil && not.Match(low) {
		errs = append(errs, fmt.Errorf("line %q matches the exclusion %q", ex.Line, not))
	}
	if u, err := url.Parse(ex.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url %q is not an http(s) address", ex.URL))
	}
	return errors.Join(errs...)
}

// Header returns the leading comment lines of a family file, without "# ",
// so a tool that rewrites the file can keep them.
func Header(data []byte) []string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "#") {
			break
		}
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(l, "#"), " "))
	}
	return out
}
