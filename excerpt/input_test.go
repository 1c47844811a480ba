package excerpt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{name: "colour codes only", path: "-", stdin: "\x1b[0m\n\x1b[36;1m\x1b[0m\n", want: "no text once timestamps"},
		{name: "a log", path: write("ok.log", []byte("npm error code ECONNRESET\n")), want: ""},
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
