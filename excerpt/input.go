package excerpt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// InputError is input that is not a CI log ccm can explain: a missing
// file, a directory, an empty or binary file. It is the caller's mistake,
// not a runtime failure, so `ccm analyze` exits 2 for it.
type InputError struct {
	Name    string // the path, or "-" for stdin
	Problem string // what is wrong, in words
	Err     error  // the underlying error, if any
}

func (e *InputError) Error() string {
	name := e.Name
	if name == "-" {
		name = "stdin"
	}
	if e.Err != nil {
		return name + ": " + e.Problem + ": " + e.Err.Error()
	}
	return name + ": " + e.Problem
}

func (e *InputError) Unwrap() error { return e.Err }

// binaryProbe is how much of the input is looked at before reading it
// all: enough to tell text from an image or an archive.
const binaryProbe = 8 << 10

// ReadLogFile excerpts the log at path ("-" is stdin) in one streaming
// pass, refusing what is not a text log before reading it all.
func ReadLogFile(path string, stdin io.Reader, opt Options) (Excerpt, error) {
	if path == "-" {
		return ReadLog(path, stdin, opt)
	}
	f, err := os.Open(path)
	if err != nil {
		// os.Open's message already names the path.
		return Excerpt{}, &InputError{Name: path, Problem: "cannot open the log", Err: unwrapPath(err)}
	}
	defer f.Close()
	// Opening a directory succeeds on Unix; reading it fails with a
	// message that does not say what to do instead.
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return Excerpt{}, &InputError{Name: path, Problem: "is a directory: give one log file (or - to read stdin)"}
	}
	return ReadLog(path, f, opt)
}

// unwrapPath drops the *PathError wrapper, whose text repeats the path.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadLog excerpts a log read from r; name labels errors. Empty input,
// input that is only timestamps and colour codes, and binary data are
// InputErrors. UTF-16 text is read as text (utf16Encoding).
func ReadLog(name string, r io.Reader, opt Options) (Excerpt, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := peek(name, br)
	if err != nil {
		return Excerpt{}, err
	}
	if bytes.HasPrefix(head, []byte{0xff, 0xfe, 0, 0}) || bytes.HasPrefix(head, []byte{0, 0, 0xfe, 0xff}) {
		return Excerpt{}, &InputError{Name: name, Problem: "this is UTF-32 text, which ccm does not read: convert it to UTF-8 (iconv -f UTF-32 -t UTF-8)"}
	}
	probed := len(head)
	if enc, ok := utf16Encoding(head); ok {
		br = bufio.NewReaderSize(transform.NewReader(br, enc.NewDecoder()), 64<<10)
		if head, err = peek(name, br); err != nil {
			return Excerpt{}, err
		}
		// A byte order mark is two bytes any binary file may start with:
		// what follows must decode to text.
		if len(bytes.TrimSpace(head)) > 0 && !decodedText(head) {
			return Excerpt{}, &InputError{Name: name, Problem: fmt.Sprintf("this is not a text log (binary data in the first %d bytes, even read as UTF-16)", probed)}
		}
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return Excerpt{}, &InputError{Name: name, Problem: "the log is empty"}
	}
	if LooksBinary(head) {
		problem := fmt.Sprintf("this is not a text log (binary data in the first %d bytes)", probed)
		if kind := binaryKind(head); kind != "" {
			problem = "this is not a text log: it is " + kind
		} else if halfNUL(head) {
			problem += "; if it is UTF-16 text without a byte order mark, convert it: iconv -f UTF-16LE -t UTF-8 (or UTF-16BE)"
		}
		return Excerpt{}, &InputError{Name: name, Problem: problem}
	}
	ex, err := Extract(br, opt)
	if err != nil {
		return Excerpt{}, fmt.Errorf("%s: %w", name, err)
	}
	if strings.TrimSpace(ex.Section+ex.Tail+ex.Reason) == "" {
		// Colour codes, timestamps and markers only: nothing to explain.
		return Excerpt{}, &InputError{Name: name, Problem: "the log is empty (no text once timestamps and colour codes are removed)"}
	}
	return ex, nil
}

// peek returns the first binaryProbe bytes of br without consuming them.
func peek(name string, br *bufio.Reader) ([]byte, error) {
	head, err := br.Peek(binaryProbe)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	return head, nil
}

// utf16Encoding recognises UTF-16 text, which Windows PowerShell 5 writes
// when a log is redirected (`npm test > build.log`, Out-File): by its byte
// order mark, or, without one, by a NUL in every other byte of mostly
// ASCII text. ok is false for anything else, UTF-8 included.
func utf16Encoding(head []byte) (enc encoding.Encoding, ok bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		return xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), true
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM), true
	}
	zeroEven, zeroOdd, pairs := nulParity(head)
	if pairs < 2 {
		return nil, false
	}
	switch {
	case zeroOdd*10 >= pairs*9 && zeroEven*10 <= pairs:
		return xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), true
	case zeroEven*10 >= pairs*9 && zeroOdd*10 <= pairs:
		return xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), true
	}
	return nil, false
}

// halfNUL reports data with a NUL in at least a third of its even or of
// its odd bytes: the mark of UTF-16 text, here text mostly ASCII but with
// enough of another script to keep utf16Encoding from recognising it.
func halfNUL(b []byte) bool {
	even, odd, pairs := nulParity(b)
	return pairs >= 2 && max(even, odd)*3 >= pairs
}

// binaryMagic are the first bytes of files people may hand ccm instead of
// a log: a program or an archive is named, so the UTF-16 advice is not
// given for it, and a compressed log says how to read it.
var binaryMagic = []struct{ magic, kind string }{
	{"\x1f\x8b", "gzip-compressed: decompress it first (gunzip FILE, or zcat FILE | ccm analyze -)"},
	{"PK\x03\x04", "a zip archive (GitHub's log download is one): unzip it and pass one job's .txt log"},
	{"\x7fELF", "an ELF executable"},
	{"\xcf\xfa\xed\xfe", "a Mach-O executable"},
	{"\xce\xfa\xed\xfe", "a Mach-O executable"},
	{"\xca\xfe\xba\xbe", "a Mach-O universal binary (or a Java class file)"},
	{"MZ", "a Windows executable"},
	{"\x89PNG", "a PNG image"},
}

// binaryKind names the kind of a binary file by its first bytes, or "".
func binaryKind(b []byte) string {
	for _, m := range binaryMagic {
		if bytes.HasPrefix(b, []byte(m.magic)) {
			return m.kind
		}
	}
	return ""
}

// nulParity counts the NUL bytes at even and at odd offsets of the first
// 512 bytes of b, read as pairs: UTF-16's ASCII leaves one of each pair
// NUL.
func nulParity(b []byte) (even, odd, pairs int) {
	n := min(len(b), 512) &^ 1
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	return even, odd, n / 2
}

// decodedText reports whether UTF-16 decoded to text: at most one rune in
// twenty is undecodable, unassigned, private-use or a control character
// other than whitespace and ESC (colour codes). Bytes decoded as UTF-16
// from an image or an archive fall into those ranges far more often.
func decodedText(b []byte) bool {
	runes, odd := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		runes++
		if r == utf8.RuneError || !unicode.IsPrint(r) && !unicode.IsSpace(r) && r != 0x1b {
			odd++
		}
	}
	return odd*20 <= runes
}

// LooksBinary is true for data no CI prints: NUL bytes in more than one
// byte in a hundred, or mostly control characters (an image, an archive, a
// core dump). A stray NUL or two (a program that wrote a C string whole,
// output cut mid-write) does not make a text log binary: the rest of it is
// still the log a person pasted.
func LooksBinary(b []byte) bool {
	if n := bytes.Count(b, []byte{0}); n > 0 && n*100 > len(b) {
		return true
	}
	ctrl := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1b {
			ctrl++
		}
	}
	return ctrl*10 > len(b)
}
