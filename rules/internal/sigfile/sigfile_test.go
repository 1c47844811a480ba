package sigfile

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Encode writes what Parse reads back unchanged, whatever the strings
// hold: quotes, backslashes, YAML indicators, controls, invisible and
// non-ASCII characters.
func TestEncodeRoundTrip(t *testing.T) {
	odd := []string{
		`registry-1\.docker\.io[^\n]*429`, "it's", `"quoted"`, "- dash: colon", "# hash", "a #b", "true", "No", "123",
		"tab\there", "esc \x1b[31mred\x1b[0m", "nbsp\u00a0space", "zero\u200bwidth", "emoji 💥 💔", "\uFFFD", " lead", "trail ",
		"back\\slash", "'", "", "https://example.com/a?b=c#d", "%percent", "@at", "`tick`", "{brace}", "[bracket]", "*star", "&amp", "!bang", "|pipe", ">gt",
	}
	var sigs []Signature
	for i, s := range odd {
		sigs = append(sigs, Signature{
			Name: "sig", Category: "code", Tier: "compile", Risk: i, Effort: "low", Confidence: 50, Transient: i%2 == 0,
			Component: s, Extract: s, Actions: []string{"none", s}, Fix: []string{s, "second"},
			Patterns: []Pattern{{Match: "m" + s, Not: s, Note: s, Examples: []Example{{Line: "l" + s, URL: "https://x/" + s}}}},
		})
	}
	b, err := Encode([]string{"header", "", "more"}, sigs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	// Empty optional strings are omitted and read back empty: compare as is.
	if !reflect.DeepEqual(back, sigs) {
		for i := range sigs {
			if !reflect.DeepEqual(back[i], sigs[i]) {
				t.Errorf("%q:\n got %+v\nwant %+v", odd[i], back[i], sigs[i])
			}
		}
	}
	if h := Header(b); !reflect.DeepEqual(h, []string{"header", "", "more"}) {
		t.Errorf("Header = %q", h)
	}
	if _, err := Encode(nil, []Signature{{Name: "bad", Fix: []string{"\xff"}}}); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("invalid UTF-8: err = %v", err)
	}
}

func TestCheckExample(t *testing.T) {
	re := regexp.MustCompile(`(?m)error ts\d{4}: `)
	not := regexp.MustCompile(`node_modules/`)
	tests := []struct {
		name string
		ex   Example
		want string // substring of the error, "" for none
	}{
		{"matches lowercased", Example{"src/a.ts(1,2): error TS2304: Cannot find name", "https://github.com/o/r/issues/1"}, ""},
		{"no match", Example{"warning TS2304: x", "https://x.org/"}, "does not match"},
		{"excluded", Example{"node_modules/x.d.ts: error TS2304: y", "https://x.org/"}, "exclusion"},
		{"not http", Example{"error TS2304: y", "ftp://x.org/"}, "http(s)"},
		{"no host", Example{"error TS2304: y", "https:///path"}, "http(s)"},
		{"text not url", Example{"error TS2304: y", "owner/repo logs (archived)"}, "http(s)"},
		{"empty line", Example{"", "https://x.org/"}, "empty line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckExample(re, not, tt.ex)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
