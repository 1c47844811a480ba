package excerpt

import "testing"

// TestReason_DoesNotExistFamilies: "does not exist" is a root cause in the
// forms compilers and tools print about the project (javac's missing
// package, a path, a file, a branch), not in a database's notice that
// DROP … IF EXISTS had nothing to drop.
func TestReason_DoesNotExistFamilies(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string
	}{
		{
			name: "psql notice before a test error",
			lines: []string{
				`psql:setup.sql:1: NOTICE:  table "users" does not exist, skipping`,
				"DROP TABLE",
				"CREATE TABLE",
				"FAIL src/users.test.ts",
				"  ● users › inserts a row",
				"    Error: insert failed: duplicate key value violates unique constraint \"users_pkey\"",
			},
			wantReason: "duplicate key value violates unique constraint",
		},
		{
			name: "javac missing package",
			lines: []string{
				"[INFO] Compiling 42 source files",
				"[ERROR] /src/main/java/shop/Cart.java:[3,20] package shop.tax does not exist",
				"[INFO] BUILD FAILURE",
			},
			wantReason: "package shop.tax does not exist",
		},
		{
			name: "a path that does not exist",
			lines: []string{
				"Run actions/upload-artifact@v4",
				"The path /home/runner/work/app/dist does not exist",
				"Process completed with exit code 1.",
			},
			wantReason: "/home/runner/work/app/dist does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, tt.lines, tt.wantReason, nil)
		})
	}
}

// TestErrorLike_NoticesAreNoFailure: a passing log's notices must not read
// as failure lines (the rules' no-failure check asks ErrorLike).
func TestErrorLike_NoticesAreNoFailure(t *testing.T) {
	for _, line := range []string{
		`psql:setup.sql:1: NOTICE:  table "users" does not exist, skipping`,
		`NOTICE:  relation "orders" does not exist, skipping`,
		"Directory build/ does not exist, creating it",
		"Branch gh-pages does not exist; creating it",
	} {
		if ErrorLike(line) {
			t.Errorf("ErrorLike(%q) = true, want a notice to be no failure", line)
		}
	}
}
