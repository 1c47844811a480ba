package text

import "testing"

func TestCount(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{"zero is plural", 0, "0 categories"},
		{"one is singular", 1, "1 category"},
		{"two is plural", 2, "2 categories"},
		{"minus one is singular", -1, "-1 category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Count(tt.n, "category", "categories"); got != tt.want {
				t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}
