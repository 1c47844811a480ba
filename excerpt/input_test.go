package excerpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// What is not a CI log is an *InputError (the CLI exits 2) that says why.
func TestReadLogFileRefusesNonLogs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		stdin      string
		want       string // "" = a log
	}{
		{name: "directory", path: dir, want: "is a directory"},
		{name: "missing", path: filepath.Join(dir, "nope.log"), want: "no such file"},
		{name: "empty", path: write("empty.log", nil), want: "the log is empty"},
		{name: "binary", path: write("bin.log", []byte{0x7f, 'E', 'L', 'F', 0, 1}), want: "not a text log"},
		// A program is named as one, not given the UTF-16 advice its NULs
		// would earn; a compressed log says how to read it.
		{name: "an executable", path: write("ccm", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 600)...)), want: "it is an ELF executable"},
		{name: "a gzip-compressed log", path: write("job.log.gz", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x00\x01\x02\x00\x00\x00\x00\x00")), want: "gunzip"},
		{name: "GitHub's zip of logs", path: write("logs.zip", append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), make([]byte, 64)...)), want: "unzip it"},
		// Two bytes any binary file may start with are not enough to
		// make it UTF-16 text.
		{name: "binary behind a UTF-16 byte order mark", path: write("bom.bin", append([]byte{0xff, 0xfe}, pseudoRandom(4096)...)), want: "not a text log"},
		{name: "PNG behind a UTF-16 byte order mark", path: write("bom.png", []byte("\xff\xfe\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")), want: "not a text log"},
		{name: "UTF-16 of another script without a byte order mark", path: write("jp16.log", utf16le("Error: ビルドに失敗しました (the build failed): module not found\nnpm ERR! code ELIFECYCLE\n")), want: "iconv -f UTF-16LE"},
		{name: "UTF-32", path: write("u32.log", []byte{0xff, 0xfe, 0, 0, 'o', 0, 0, 0, 'k', 0, 0, 0}), want: "UTF-32"},
		{name: "colour codes only", path: "-", stdin: "\x1b[0m\n\x1b[36;1m\x1b[0m\n", want: "stdin: the log is empty (no text once timestamps"},
		{name: "a log", path: write("ok.log", []byte("npm error code ECONNRESET\n")), want: ""},
		{name: "a log with a stray NUL", path: write("nul.log", []byte("Run python -m test test_ssl\n0:00:01 load avg: 1.2 Run 1 test sequentially\x00\n"+strings.Repeat("test_connect (test.test_ssl.BasicSocketTests.test_connect) ... ok\n", 10)+"Timeout (0:20:00)!\n")), want: ""},
		{name: "NULs in more than one byte in a hundred", path: write("nuls.bin", append([]byte("header\n"), bytes.Repeat([]byte("ab\x00cd\n"), 100)...)), want: "not a text log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := ReadLogFile(tt.path, strings.NewReader(tt.stdin), Options{})
			if tt.want == "" {
				if err != nil || ex.Reason == "" {
					t.Fatalf("err %v, reason %q: want a log", err, ex.Reason)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want an *InputError saying %q", err, tt.want)
			}
		})
	}
}

// A log Windows PowerShell 5 redirected to a file is UTF-16: it is read
// as the same text, not refused as binary, with or without its byte
// order mark (without one, when it is mostly ASCII).
func TestReadLogUTF16(t *testing.T) {
	const log = "Run npm test\r\n" +
		"npm ERR! code E404\r\n" +
		"npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found\r\n" +
		"## 失败: 构建出错\r\n" +
		"Error: Process completed with exit code 1.\r\n"
	ascii := strings.ReplaceAll(log, "## 失败: 构建出错\r\n", "")
	tests := []struct {
		name  string
		order binary.AppendByteOrder
		bom   bool
		text  string
	}{
		{name: "little-endian with BOM (PowerShell 5 Out-File)", order: binary.LittleEndian, bom: true, text: log},
		{name: "big-endian with BOM", order: binary.BigEndian, bom: true, text: log},
		{name: "little-endian without BOM", order: binary.LittleEndian, text: ascii},
		{name: "big-endian without BOM", order: binary.BigEndian, text: ascii},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := ReadLog("utf8", strings.NewReader(tt.text), Options{})
			if err != nil {
				t.Fatal(err)
			}
			units := utf16.Encode([]rune(tt.text))
			if tt.bom {
				units = append([]uint16{0xfeff}, units...)
			}
			var data []byte
			for _, u := range units {
				data = tt.order.AppendUint16(data, u)
			}
			ex, err := ReadLog("utf16", bytes.NewReader(data), Options{})
			if err != nil {
				t.Fatalf("ReadLog: %v", err)
			}
			if ex.Reason != want.Reason || !strings.Contains(ex.Reason, "404 Not Found") {
				t.Errorf("reason %q, want %q (as from UTF-8)", ex.Reason, want.Reason)
			}
			if ex.Section+ex.Tail != want.Section+want.Tail {
				t.Errorf("text differs from UTF-8's:\n%q\nwant\n%q", ex.Section+ex.Tail, want.Section+want.Tail)
			}
		})
	}
}

// utf16le is s in UTF-16LE without a byte order mark.
func utf16le(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// pseudoRandom is n bytes of a fixed xorshift sequence: binary data that
// is the same on every run.
func pseudoRandom(n int) []byte {
	out := make([]byte, n)
	x := uint32(2463534242)
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out[i] = byte(x)
	}
	return out
}
