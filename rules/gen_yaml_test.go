package rules

// Throwaway: writes the Go signature table as rules/signatures/*.yaml.
// Run: CCM_GEN_SIGNATURES=1 go test ./rules -run TestGenerateSignatureYAML

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/rules/internal/sigfile"
)

var genFamilies = []struct {
	name   string
	sigs   []signature
	header []string
}{
	{"platform", platformSignatures, []string{"platform: the machine running the job went away, ran out of a resource, or the CI", "platform stopped the job at its hard time limit."}},
	{"config", configSignatures, []string{"config: the pipeline definition, its inputs, secrets or token permissions are", "wrong. A re-run fails the same way; a person edits the workflow or the", "repository settings."}},
	{"service", serviceSignatures, []string{"service: a named external service refused or broke the job: registry rate", "limits, API rate limits, the Actions cache service, or a cache archive that", "restored corrupt."}},
	{"dependency", dependencySignatures, []string{"dependency: a package manager reported a deterministic problem (lockfile out", "of date, version conflict, version that does not exist, checksum mismatch). A", "re-run fails the same way until someone edits the manifest or lockfile."}},
	{"registry", registrySignatures, []string{"registry: a network failure while talking to a package or image registry.", "Transient: re-run."}},
	{"code", codeSignatures, []string{"code: the code itself is wrong. Never auto-remediated."}},
	{"test-timeout", testTimeoutSignatures, []string{"test-timeout: a test runner's own per-test or per-binary timeout fired. The", "hang is the failure; assertions printed before it are collateral."}},
	{"flaky", flakySignatures, []string{"flaky: evidence that a failing test is nondeterministic."}},
	{"assertion", assertionSignatures, []string{"assertion: a test failed on an assertion with no stronger signal."}},
	{"generic", genericSignatures, []string{"generic: bare network and timeout words with no context. They win only when", "nothing better matched and otherwise count as evidence that a failing test", "depends on timing or the network."}},
}

const fileHeader = "Signatures of the rule analyzer (package rules), in tie-break order. Format: rules/internal/sigfile. Every pattern is matched against the ASCII-lowercased log; each example is a real log line that it matches, with the public page it came from."

func TestGenerateSignatureYAML(t *testing.T) {
	if os.Getenv("CCM_GEN_SIGNATURES") == "" {
		t.Skip("set CCM_GEN_SIGNATURES=1 to write rules/signatures/*.yaml")
	}
	tierByValue := map[int]string{}
	for n, v := range tierNames {
		if _, dup := tierByValue[v]; dup {
			t.Fatalf("tier value %d named twice", v)
		}
		tierByValue[v] = n
	}
	if err := os.MkdirAll("signatures", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, fam := range genFamilies {
		var out []sigfile.Signature
		for _, s := range fam.sigs {
			tier, ok := tierByValue[s.tier]
			if !ok {
				t.Fatalf("%s: tier %d has no name", s.name, s.tier)
			}
			fix := splitSteps(t, s.name, s.fix)
			fs := sigfile.Signature{
				Name: s.name, Category: string(s.category), Tier: tier, Risk: s.risk, Effort: string(s.effort),
				Confidence: s.confidence, Transient: s.transient, Weak: s.weak, Flaky: s.flakyEvidence,
				Tests: s.tests, Assertion: s.assertion, Component: s.component, Fix: fix,
			}
			if s.extract != nil {
				fs.Extract = strings.TrimPrefix(s.extract.String(), "(?m)")
			}
			for _, a := range s.actions {
				fs.Actions = append(fs.Actions, string(a))
			}
			for _, p := range s.patterns {
				sp := sigfile.Pattern{Match: strings.TrimPrefix(p.re.String(), "(?m)")}
				if p.not != nil {
					sp.Not = p.not.String()
				}
				if strings.HasPrefix(sp.Match, `error in [^\n]+\n(?:`) {
					sp.Note = "ts-loader and fork-ts-checker put the code on its own line; it stays a type error when a few lines land in between."
				}
				fs.Patterns = append(fs.Patterns, sp)
			}
			out = append(out, fs)
		}
		header := append(wrap(fileHeader), "")
		header = append(header, fam.header...)
		b, err := sigfile.Encode(header, out)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("signatures", fam.name+".yaml"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func splitSteps(t *testing.T, name, fix string) []string {
	var out []string
	for i, l := range strings.Split(fix, "\n") {
		p := fmt.Sprintf("%d. ", i+1)
		if !strings.HasPrefix(l, p) {
			t.Fatalf("%s: fix line %q is not step %d", name, l, i+1)
		}
		out = append(out, strings.TrimPrefix(l, p))
	}
	if steps(out...) != fix {
		t.Fatalf("%s: fix does not round-trip", name)
	}
	return out
}

func wrap(s string) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > 76 {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(out, line)
}
