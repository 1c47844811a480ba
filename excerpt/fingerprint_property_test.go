package excerpt

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// volatileKinds is how many kinds of volatile value volatileValue draws.
const volatileKinds = 12

// volatileValue draws a value of the given kind that differs between runs
// of one failure.
func volatileValue(t *rapid.T, label string, kind int) string {
	hex := func(n int) string { return rapid.StringMatching(fmt.Sprintf(`[0-9a-f]{%d}`, n)).Draw(t, label+" hex") }
	i := func(lo, hi int) int { return rapid.IntRange(lo, hi).Draw(t, label+" int") }
	switch kind {
	case 0:
		return fmt.Sprint(i(0, 1<<30))
	case 1:
		return hex(40)
	case 2:
		return hex(7)
	case 3:
		return hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12)
	case 4:
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%dZ", i(2000, 2099), i(1, 12), i(1, 28), i(0, 23), i(0, 59), i(0, 59), i(0, 9999999))
	case 5:
		return fmt.Sprintf("%dm%ds", i(0, 90), i(0, 59))
	case 6:
		return fmt.Sprintf("%d.%dms", i(0, 9999), i(0, 999))
	case 7:
		return "/tmp/" + rapid.StringMatching(`[a-zA-Z0-9_.-]{1,20}(/[a-zA-Z0-9_.-]{1,10}){0,3}`).Draw(t, label+" tmp")
	case 8:
		repo := rapid.StringMatching(`[a-zA-Z0-9_.-]{1,20}`).Draw(t, label+" repo")
		return "/home/runner/work/" + repo + "/" + repo + "/src/main.go:" + fmt.Sprint(i(1, 9999))
	case 9:
		return fmt.Sprintf("%d.%d.%d.%d:%d", i(0, 255), i(0, 255), i(0, 255), i(0, 255), i(1, 65535))
	case 10:
		return fmt.Sprintf("0x%x", i(0, 1<<30))
	default:
		return fmt.Sprintf("%d.%d", i(0, 999), i(0, 999))
	}
}

var templateWords = []string{"error:", "failed", "to", "connect", "test", "TestUpload", "in", "at", "run", "upload_test.go", "(", ")", "[", "]", "goroutine", "took", "Error:", "npm", "ERR!", "line", "for", "job"}

// Fingerprint is invariant under masking of volatile parts: two runs of the
// same failure that differ only in numbers, hashes, UUIDs, timestamps,
// durations, temp and workspace paths and addresses get one fingerprint, and
// masking the input first changes nothing.
func TestFingerprint_PropertyInvariantUnderVolatileParts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type slot struct {
			word string
			kind int // of volatile value; -1 for a fixed word
		}
		template := func(label string) []slot {
			n := rapid.IntRange(1, 12).Draw(t, label)
			out := make([]slot, n)
			for i := range out {
				if rapid.Bool().Draw(t, label+" volatile") {
					out[i] = slot{kind: rapid.IntRange(0, volatileKinds-1).Draw(t, label+" kind")}
				} else {
					out[i] = slot{word: rapid.SampledFrom(templateWords).Draw(t, label+" word"), kind: -1}
				}
			}
			return out
		}
		fill := func(tpl []slot, run string) string {
			parts := make([]string, len(tpl))
			for i, s := range tpl {
				parts[i] = s.word
				if s.kind >= 0 {
					parts[i] = volatileValue(t, run, s.kind)
				}
			}
			return strings.Join(parts, " ")
		}
		reasonT := template("reason")
		lineTs := make([][]slot, rapid.IntRange(0, 4).Draw(t, "lines"))
		for i := range lineTs {
			lineTs[i] = template("line")
		}
		run := func(name string) (string, []string) {
			var lines []string
			for _, l := range lineTs {
				lines = append(lines, fill(l, name))
			}
			return fill(reasonT, name), lines
		}
		r1, l1 := run("run1")
		r2, l2 := run("run2")
		fp1, fp2 := Fingerprint(r1, l1), Fingerprint(r2, l2)
		if fp1 != fp2 {
			t.Fatalf("same failure, different fingerprints:\n%q %q -> %s\n%q %q -> %s\nmasked %q vs %q", r1, l1, fp1, r2, l2, fp2, MaskVolatile(r1), MaskVolatile(r2))
		}
		masked := make([]string, len(l1))
		for i, l := range l1 {
			masked[i] = MaskVolatile(l)
		}
		if fp := Fingerprint(MaskVolatile(r1), masked); fp != fp1 {
			t.Fatalf("masking the input changed the fingerprint: %s != %s for %q", fp, fp1, r1)
		}
	})
}

// MaskVolatile is idempotent on any text.
func TestMaskVolatile_PropertyIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(
			rapid.String(),
			rapid.StringMatching(`[ -~]{0,80}`),
			rapid.Custom(func(t *rapid.T) string {
				parts := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string {
					return volatileValue(t, "v", rapid.IntRange(0, volatileKinds-1).Draw(t, "kind"))
				}), 1, 5).Draw(t, "parts")
				return strings.Join(parts, rapid.SampledFrom([]string{"", " ", ":", "/", ".", "-", "_", "x"}).Draw(t, "glue"))
			}),
		).Draw(t, "s")
		once := MaskVolatile(s)
		if twice := MaskVolatile(once); twice != once {
			t.Fatalf("MaskVolatile(%q) = %q, again %q", s, once, twice)
		}
	})
}
