// Command attach adds example log lines to the signature files: it reads
// JSON Lines rows {"signature", "pattern", "line", "url"} (and "not" when
// the pattern has an exclusion), checks each line the way the table test
// does (ASCII-lowercased, it matches the pattern and not its exclusion;
// the url is http(s)), and appends it to that pattern's examples unless
// the same line is already there. Rows without a line or url are skipped,
// and so are rows that suggest a changed pattern ("suggested_pattern"),
// which need a person. It can be run again on the same files: nothing is
// added twice.
//
// From the repository root:
//
//	go run ./rules/internal/attach patterns.jsonl examples/*.jsonl
//
// -n reports what would change without writing.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/rules/internal/sigfile"
)

type row struct {
	Signature string `json:"signature"`
	Pattern   string `json:"pattern"`
	Not       string `json:"not"`
	Line      string `json:"line"`
	URL       string `json:"url"`
	Suggested string `json:"suggested_pattern"`
}

// family is one signature file, parsed.
type family struct {
	path   string
	header []string
	sigs   []sigfile.Signature
	dirty  bool
}

type counts struct{ added, dup, skipped, rejected int }

func main() {
	dir := flag.String("dir", "rules/signatures", "the signature files")
	dry := flag.Bool("n", false, "report only; write nothing")
	flag.Parse()
	if err := run(*dir, flag.Args(), *dry, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "attach:", err)
		os.Exit(1)
	}
}

func run(dir string, inputs []string, dry bool, out io.Writer) error {
	if len(inputs) == 0 {
		return errors.New("no input files (JSON Lines of signature, pattern, line, url)")
	}
	fams, err := load(dir)
	if err != nil {
		return err
	}
	var c counts
	for _, in := range inputs {
		if err := attachFile(in, fams, &c, out); err != nil {
			return err
		}
	}
	for _, f := range fams {
		if !f.dirty || dry {
			continue
		}
		b, err := sigfile.Encode(f.header, f.sigs)
		if err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		if err := os.WriteFile(f.path, b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	fmt.Fprintf(out, "added %d, already there %d, skipped %d (no line/url or a suggested pattern), rejected %d\n",
		c.added, c.dup, c.skipped, c.rejected)
	if c.rejected > 0 {
		return fmt.Errorf("%d rows rejected (listed above)", c.rejected)
	}
	return nil
}

func load(dir string) ([]*family, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no signature files in %s (run from the repository root or pass -dir)", dir)
	}
	var fams []*family
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read signatures: %w", err)
		}
		sigs, err := sigfile.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		fams = append(fams, &family{path: p, header: sigfile.Header(b), sigs: sigs})
	}
	return fams, nil
}

func attachFile(path string, fams []*family, c *counts, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var r row
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if r.Line == "" || r.URL == "" || r.Suggested != "" {
			c.skipped++
			continue
		}
		if err := attach(fams, r); err != nil {
			if errors.Is(err, errDup) {
				c.dup++
				continue
			}
			c.rejected++
			fmt.Fprintf(out, "%s:%d: %s / %q: %v\n", path, n, r.Signature, r.Pattern, err)
			continue
		}
		c.added++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

var errDup = errors.New("already an example")

func attach(fams []*family, r row) error {
	for _, f := range fams {
		for i := range f.sigs {
			s := &f.sigs[i]
			if s.Name != r.Signature {
				continue
			}
			for j := range s.Patterns {
				p := &s.Patterns[j]
				if p.Match != r.Pattern || (r.Not != "" && p.Not != r.Not) {
					continue
				}
				re, err := regexp.Compile("(?m)" + p.Match)
				if err != nil {
					return fmt.Errorf("pattern does not compile: %w", err)
				}
				var not *regexp.Regexp
				if p.Not != "" {
					if not, err = regexp.Compile(p.Not); err != nil {
						return fmt.Errorf("exclusion does not compile: %w", err)
					}
				}
				ex := sigfile.Example{Line: r.Line, URL: r.URL}
				if err := sigfile.CheckExample(re, not, ex); err != nil {
					return err
				}
				if slices.ContainsFunc(p.Examples, func(e sigfile.Example) bool { return e.Line == r.Line }) {
					return errDup
				}
				p.Examples = append(p.Examples, ex)
				f.dirty = true
				return nil
			}
			return errors.New("the signature has no such pattern")
		}
	}
	return errors.New("no such signature")
}
