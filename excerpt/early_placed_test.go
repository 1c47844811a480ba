package excerpt

import (
	"strings"
	"testing"
)

// ghStep is a GitHub step whose early lines scroll out of the kept section
// (32 KiB) and tail (100 lines) behind a long build, then fail on the exit
// status alone.
func ghStep(early, end string) string {
	return "2024-05-01T10:00:00.0000000Z ##[group]Run make all\n2024-05-01T10:00:00.0000100Z ##[endgroup]\n" + early +
		filler("2024-05-01T10:00:01.0000000Z   building target %05d of many: gen/api/v1/stub.pb.go ok", 2000) + end
}

const ghExit = "2024-05-01T10:59:00.1000000Z ##[error]Process completed with exit code 1.\n"

// TestExtract_EarlyPlacedDiagnostic: a compiler's diagnostic at a file,
// line and column that holds no error word (gc's "declared and not used",
// Kotlin's "e: …", flake8's code, gcc in German) is kept as an early error
// like one that does, so it is the reason after it scrolled out of the
// windows; lines of the same shape that are no diagnostic (a test's log
// line, a goroutine's frame) are not kept and use up none of the hits.
func TestExtract_EarlyPlacedDiagnostic(t *testing.T) {
	testLogs := filler("    handler_test.go:%d: request took 3ms", 8) + filler("ledger_test.go:%d: seeded 40 rows", 8) +
		filler("\t/home/runner/work/svc/svc/internal/db/pool.go:%d +0x1a4", 8)
	cases := []struct{ name, log, want string }{
		{
			name: "gc: declared and not used, then a long build",
			log:  ghStep("2024-05-01T10:00:00.2000000Z internal/ledger/post.go:133:2: declared and not used: fee\n", ghExit),
			want: "internal/ledger/post.go:133:2: declared and not used: fee",
		},
		{
			name: "go test ./...: the build error beats the package's FAIL summary",
			log: "##[group]Run go test ./...\n##[endgroup]\n# example.org/shop/billing/invoice\n" +
				"billing/invoice/render.go:88:9: undefined: formatCents\n" +
				filler("ok  \texample.org/shop/catalog/p%03d\t0.214s", 900) +
				"FAIL\texample.org/shop/billing/invoice [build failed]\nFAIL\n" + ghExit,
			want: "billing/invoice/render.go:88:9: undefined: formatCents",
		},
		{
			name: "test log lines and frames of the same shape use up no hit",
			log:  ghStep(testLogs+"cmd/migrate/main.go:41:14: cannot use n (variable of type int64) as int value in argument to apply\n", ghExit),
			want: "cmd/migrate/main.go:41:14: cannot use n (variable of type int64) as int value in argument to apply",
		},
		{
			name: "kotlin: e: row in a Jenkins log",
			log: jenkinsLong("e: file:///var/lib/jenkins/workspace/app/src/main/kotlin/Cart.kt:57:21 Unresolved reference: discount\n",
				"Build step 'Invoke Gradle script' marked build as failure\nFinished: FAILURE\n"),
			want: "e: file:///var/lib/jenkins/workspace/app/src/main/kotlin/Cart.kt:57:21 Unresolved reference: discount",
		},
		{
			name: "flake8: a code, no error word",
			log:  jenkinsLong("+ flake8 app\napp/views/orders.py:212:9: F821 undefined name 'shipping_rate'\n", "Finished: FAILURE\n"),
			want: "app/views/orders.py:212:9: F821 undefined name 'shipping_rate'",
		},
		{
			name: "gcc in German: Fehler",
			log:  jenkinsLong("src/zeit.c:14:3: Fehler: »stamp« ist hier nicht deklariert\n", "Finished: FAILURE\n"),
			want: "src/zeit.c:14:3: Fehler: »stamp« ist hier nicht deklariert",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := extract(t, c.log, Options{})
			if ex.Reason != c.want {
				t.Errorf("Reason = %q\nwant %q", ex.Reason, c.want)
			}
			if !strings.Contains(ex.Earlier, c.want) {
				t.Errorf("Earlier = %q, want it to hold the diagnostic", ex.Earlier)
			}
		})
	}
}

// TestPlacedDiagnostic: the streaming check for diagnostics without an
// error word, on the line's own text (its runner prefix stripped).
func TestPlacedDiagnostic(t *testing.T) {
	cases := []struct {
		line string
		want bool
	}{
		{"internal/ledger/post.go:133:2: declared and not used: fee", true},
		{"./main.go:9:2: \"os\" imported and not used", true},
		{`C:\src\app\main.go:9:2: undefined: run`, true},
		{"e: file:///src/main/kotlin/Cart.kt:57:21 Unresolved reference: discount", true},
		{"e: /src/Cart.kts: (57, 21): Unresolved reference: discount", true},
		{"app/views/orders.py:212:9: F821 undefined name 'shipping_rate'", true},
		{"src/zeit.c:14:3: Fehler: »stamp« ist hier nicht deklariert", true},
		{"src/main/java/Main.java:5: erreur : ';' attendu", true},
		{"Main.java:5: erreur : ';' attendu", false}, // capitalized first words are spared as prose
		{"    handler_test.go:12: request took 3ms", false},
		{"ledger_test.go:12: seeded 40 rows", false},
		{"\t/home/runner/go/src/app/pool.go:216 +0x1a4", false},
		{"src/zeit.c:14:3: Warnung: »x« wird nicht verwendet", false},
		{"building target 00012 of many: gen/api/v1/stub.pb.go ok", false},
		{"e: this is not kotlin", false},
		{"12:30:01 go: downloading example.org/x v1.2.3", false},
	}
	for _, c := range cases {
		if got := earlyPlaced([]byte(c.line)); got != c.want {
			t.Errorf("earlyPlaced(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
