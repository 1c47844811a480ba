package rules

import (
	"strings"
	"testing"
	"testing/fstest"
)

const goodSig = `- name: good
  category: infrastructure
  tier: platform
  risk: 2
  effort: low
  confidence: 80
  transient: true
  fix:
    - 'Re-run.'
  patterns:
    - match: 'no space left on device'
`

// TestLoadTableErrors: a malformed signature file stops the load with an
// error that names the file, the signature and the pattern at fault.
func TestLoadTableErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		fams  []string
		want  []string // substrings of the error
	}{
		{name: "not YAML", files: map[string]string{"a": "- name: x\n  category: [code\n"}, want: []string{"signatures/a.yaml", "parse"}},
		{name: "unknown field", files: map[string]string{"a": strings.Replace(goodSig, "risk: 2", "risk: 2\n  riks: 3", 1)}, want: []string{"signatures/a.yaml", "riks"}},
		{name: "bad regexp", files: map[string]string{"a": goodSig + "    - match: 'ok'\n    - match: 'unclosed (group'\n"},
			want: []string{"signatures/a.yaml", `signature 1 "good"`, `pattern 3 "unclosed (group"`, "missing closing )"}},
		{name: "bad exclusion", files: map[string]string{"a": goodSig + "      not: '[z-a]'\n"}, want: []string{`"good"`, "pattern 1", "not:"}},
		{name: "closed lists", files: map[string]string{"a": strings.NewReplacer("infrastructure", "weather", "platform", "top", "effort: low", "effort: tiny").Replace(goodSig) + "  actions: [reboot]\n"},
			want: []string{`category "weather"`, `tier "top"`, `effort "tiny"`, `action "reboot"`}},
		{name: "ranges", files: map[string]string{"a": strings.NewReplacer("risk: 2", "risk: 11", "confidence: 80", "confidence: -1").Replace(goodSig)}, want: []string{"risk 11", "confidence -1"}},
		{name: "no patterns", files: map[string]string{"a": strings.Split(goodSig, "  patterns:")[0]}, want: []string{"no patterns"}},
		{name: "extract without group", files: map[string]string{"a": goodSig + "  extract: 'device'\n"}, want: []string{"no capture group"}},
		{name: "duplicate name", files: map[string]string{"a": goodSig, "b": goodSig}, fams: []string{"a", "b"}, want: []string{`signatures/b.yaml: signature "good" is also in signatures/a.yaml`}},
		{name: "unlisted file", files: map[string]string{"a": goodSig, "extra": goodSig}, want: []string{"signatures/extra.yaml is not a listed"}},
		{name: "missing file", files: map[string]string{}, want: []string{"signatures/a.yaml"}},
		{name: "empty file", files: map[string]string{"a": "# nothing yet\n"}, want: []string{"signatures/a.yaml: no signatures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, body := range tt.files {
				fsys["signatures/"+name+".yaml"] = &fstest.MapFile{Data: []byte(body)}
			}
			fams := tt.fams
			if fams == nil {
				fams = []string{"a"}
			}
			_, err := loadTable(fsys, fams)
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestLoadTableGood(t *testing.T) {
	tab, err := loadTable(fstest.MapFS{"signatures/a.yaml": &fstest.MapFile{Data: []byte(goodSig)}}, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab) != 1 || tab[0].name != "good" || tab[0].tier != tierPlatform || tab[0].fix != "1. Re-run." || tab[0].patterns[0].lit == "" {
		t.Errorf("loaded %+v", tab)
	}
}
