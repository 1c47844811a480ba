package excerpt

import "testing"

// TestReason_PackageRows holds the reason to the row that names what could
// not be had, over the header or summary around it (Ivy's table, apt's
// failed fetch, R's unavailable package), and to a refusal or verdict in
// words that no earlier family knew: npm ci's refusal wrapped at the
// terminal's width, cmd.exe's missing command in French and German,
// Netlify's time limit, Jest's log after a test ended. The logs are
// written for the test.
func TestReason_PackageRows(t *testing.T) {
	tests := []reasonCase{
		{
			name: "Ivy: the unresolved module's row, not the rows of colons around it",
			lines: []string{
				"[warn] \t::::::::::::::::::::::::::::::::::::::::::::::",
				"[warn] \t::          UNRESOLVED DEPENDENCIES         ::",
				"[warn] \t::::::::::::::::::::::::::::::::::::::::::::::",
				"[warn] \t:: com.example#widgets_2.11;1.4.0: not found",
				"[warn] \t::::::::::::::::::::::::::::::::::::::::::::::",
			},
			wantReason: ":: com.example#widgets_2.11;1.4.0: not found",
		},
		{
			name: "Ivy: sbt's exception after the table says the same, and what failed",
			lines: []string{
				"[warn] \t::          UNRESOLVED DEPENDENCIES         ::",
				"[warn] \t:: com.example#widgets_2.11;1.4.0: not found",
				"sbt.ResolveException: unresolved dependency: com.example#widgets_2.11;1.4.0: not found",
				"\tat sbt.IvyActions$.sbt$IvyActions$$resolve(IvyActions.scala:217)",
			},
			wantReason: "sbt.ResolveException: unresolved dependency: com.example#widgets_2.11;1.4.0: not found",
		},
		{
			name: "apt: the failed fetch and why, over its summary",
			lines: []string{
				"W: Failed to fetch http://apt.example.org/ubuntu/dists/jammy/main/binary-amd64/Packages  Hash Sum mismatch",
				"E: Some index files failed to download. They have been ignored, or old ones used instead.",
			},
			wantReason: "Failed to fetch http://apt.example.org/ubuntu/dists/jammy/main/binary-amd64/Packages Hash Sum mismatch",
		},
		{
			name: "R CMD check: the package it lacks, over the check's ERROR",
			lines: []string{
				"* checking package dependencies ... ERROR",
				"Package required but not available: ‘dplyr’",
			},
			wantReason: "Package required but not available: ‘dplyr’",
		},
		{
			name: "install.packages: the dependency that is not available",
			lines: []string{
				"> ERROR: dependency 'rlang' is not available for package 'tibble'",
				"* removing '/usr/lib/R/site-library/tibble'",
			},
			wantReason: "dependency 'rlang' is not available for package 'tibble'",
		},
		{
			name: "npm ci: the refusal wrapped at the terminal's width is read from its start",
			lines: []string{
				"npm error code EUSAGE",
				"npm error",
				"npm error `npm ci` can only install packages when your package.json and",
				"npm error package-lock.json or npm-shrinkwrap.json are in sync.",
				"npm error Missing: left-pad@1.3.0 from lock file",
			},
			wantReason: "npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Missing: left-pad@1.3.0 from lock file",
		},
		{
			name: "cmd.exe in French: the command it does not know",
			lines: []string{
				"> webpack --mode production",
				"'webpack' n'est pas reconnu en tant que commande interne",
				"ou externe, un programme exécutable ou un fichier de commandes.",
				"npm ERR! code ELIFECYCLE",
			},
			wantReason: "'webpack' n'est pas reconnu en tant que commande interne",
		},
		{
			name: "cmd.exe in German: the command it does not know",
			lines: []string{
				"Der Befehl \"tsc\" ist entweder falsch geschrieben oder",
				"konnte nicht gefunden werden.",
				"npm ERR! code ELIFECYCLE",
			},
			wantReason: "Der Befehl \"tsc\" ist entweder falsch geschrieben oder",
		},
		{
			name: "Netlify: its time limit over the errors printed while it stopped the build",
			lines: []string{
				"10:02:11 AM: success Building development bundle - 12.882s",
				"10:30:11 AM: Build exceeded maximum allowed runtime",
				"10:30:15 AM:   Error: ENOENT: no such file or directory, open '/opt/build/repo/src/pages/index.tsx'",
			},
			wantReason: "Build exceeded maximum allowed runtime",
		},
		{
			name: "Jest: its verdict on a log after the test ended, over the logged text it quotes",
			lines: []string{
				"Cannot log after tests are done. Did you forget to wait for something async in your test?",
				"    Attempted to log \"Error loading user TypeError: Cannot read properties of null (reading 'id')",
				"        at loadUser (/home/runner/work/app/app/src/user.ts:12:5)\".",
			},
			wantReason: "Cannot log after tests are done",
		},
	}
	runReasonCases(t, tests)
}
