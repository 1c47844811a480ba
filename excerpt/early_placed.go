package excerpt

import "bytes"

// A compiler's diagnostic often holds no error word: gc prints
// "internal/x/y.go:133:2: declared and not used: fee", Kotlin "e: …",
// flake8 a code ("a.py:3:1: F821 …"), a translated gcc or javac its own
// word ("Fehler", "erreur"). The reason ranker rates these as errors
// (placedGo, kotlinError, placedDiagnostic, placedSeverity), so the early
// store keeps them too: otherwise a long build's first compile error is
// lost behind its later output, and the reason is the exit status.
//
// The needles cannot find them, so each line gets a cheaper look instead:
// mayBePlaced checks its first bytes for a file's place ("x.go:1", "e: "),
// a few compares and one bounded IndexByte; only lines that pass it meet
// the expressions (placedConfirmed), which then decide as the ranker does.

// placedScan bounds the search for the colon after a file's name: a path
// longer than this is not looked at.
const placedScan = 256

// mayBePlaced reports a line (its runner prefix stripped) that starts like
// a diagnostic at a place: unindented, "e: " (Kotlin), or a first word,
// not capitalized, whose first colon (after a Windows drive's) follows a
// file extension and comes before a digit ("pkg/a.go:1",
// "src/Main.java:5", "a.py:3").
func mayBePlaced(b []byte) bool {
	if len(b) < 6 || b[0] == ' ' || b[0] == '\t' {
		return false
	}
	if b[0] == 'e' && b[1] == ':' && b[2] == ' ' {
		return true
	}
	from := 0
	switch {
	case b[1] == ':' && (b[2] == '\\' || b[2] == '/'):
		from = 2 // "C:\src\…"
	case b[0] >= 'A' && b[0] <= 'Z':
		// Prose ("Downloading …", "Compiling …"): a path the compilers
		// print starts with a directory or a lowercase name (Go's files
		// and packages are lowercase; javac's and gcc's rows start with
		// "src/"), and a line it spares is one compare.
		return false
	}
	j := wordColon(b[:min(len(b), placedScan)], from)
	if j < 2 || j+1 >= len(b) || b[j+1] < '0' || b[j+1] > '9' {
		return false
	}
	// An extension of one to five letters right before the colon.
	for k := j - 1; k >= 0 && k >= j-6; k-- {
		c := b[k]
		switch {
		case c == '.':
			return k < j-1 && k > 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return false
}

// wordColon is the index of the first colon in b at or after from when no
// space comes before it, else -1: two short searches, most lines' first
// word being short.
func wordColon(b []byte, from int) int {
	w := b[from:]
	if sp := bytes.IndexByte(w, ' '); sp >= 0 {
		w = w[:sp]
	}
	if j := bytes.IndexByte(w, ':'); j >= 0 {
		return from + j
	}
	return -1
}

// placedConfirmed reports a line mayBePlaced let through that the ranker
// rates an error by its place alone: gc's and go vet's rows, Kotlin's,
// flake8's coded rows, a diagnostic with its severity word in any of the
// compilers' languages. A test's log line ("a_test.go:12: took 3ms") and
// a goroutine's frame ("pool.go:216 +0x1a4") are none of these.
func placedConfirmed(b []byte) bool {
	switch {
	case b[0] == 'e' && b[1] == ':':
		return kotlinError.Match(b)
	case placedGo.Match(b), placedDiagnostic.Match(b):
		return true
	}
	return placedSeverity.Match(bytes.ToLower(b))
}

// earlyPlaced is the whole check on one line.
func earlyPlaced(b []byte) bool { return mayBePlaced(b) && placedConfirmed(b) }
