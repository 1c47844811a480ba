package excerpt

import "testing"

// TestReason_Corpus15Families holds the reason to the line that says why,
// for the families found on corpus15's misses: the GitHub runner's
// wrapper around a workflow command it refused, GnuPG's refusals under an
// uploader's verdict, GitHub's unacquired job over the server error it
// echoes, Surefire's dead fork over its pointers, twine's upload error
// joined with the index's wrapped words, make's innermost failed target
// over its recipe note, and options named for failing ("pipefail",
// "-Dlogging.level=ERROR") that fail nothing. The logs are written for the
// test.
func TestReason_Corpus15Families(t *testing.T) {
	runReasonCases(t, []reasonCase{
		{
			name: "runner: the disabled command, not the wrapper before it",
			lines: []string{
				"Error: Unable to process command '::add-path::/opt/tool/bin' successfully.",
				"Error: The `add-path` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_COMMANDS` environment variable to `true`.",
			},
			wantReason: "The `add-path` command is disabled",
		},
		{
			name: "runner: a file command's format error under ##[error] markers",
			lines: []string{
				"+ echo 'notes=line one",
				"line two' >> $GITHUB_OUTPUT",
				"##[error]Unable to process file command 'output' successfully.",
				"##[error]Invalid format 'line two'",
			},
			wantReason: "Invalid format 'line two'",
		},
		{
			name: "gpg: the refused key, not the uploader's verdict after it",
			lines: []string{
				"==> Downloading the uploader",
				"gpg: no valid OpenPGP data found.",
				"gpg: Total number processed: 0",
				"==> Could not verify signature. Please contact the vendor if the problem continues",
				"Error: Process completed with exit code 1.",
			},
			wantReason: "gpg: no valid OpenPGP data found.",
		},
		{
			name: "GitHub: no runner took the job, over the server error it echoes",
			lines: []string{
				"The job was not acquired by Runner of type hosted even after multiple attempts",
				"Internal server error. Correlation ID: 0b6c2a4e-1111-2222-3333-444455556666",
			},
			wantReason: "The job was not acquired by Runner of type hosted",
		},
		{
			name: "Surefire: the dead fork, not its pointers nor the command's log level",
			lines: []string{
				"[ERROR] Please refer to /build/target/surefire-reports for the individual test results.",
				"[ERROR] The forked VM terminated without properly saying goodbye. VM crash or System.exit called?",
				"[ERROR] Command was /bin/sh -c cd /build && java -Dapp.logging.level=ERROR -jar /build/target/surefire/surefirebooter1.jar",
				"[ERROR] Error occurred in starting fork, check output in log",
				"[ERROR] Process Exit Code: 137",
			},
			wantReason: "The forked VM terminated without properly saying goodbye",
		},
		{
			name: "twine: the index's words joined to the status",
			lines: []string{
				"WARNING  Error during upload. Retry with the --verbose option for more details.",
				"ERROR    HTTPError: 400 Bad Request from https://upload.pypi.org/legacy/",
				"         File already exists ('acme-1.2.0-py3-none-any.whl', with",
				"         blake2_256 hash 'abc123').",
				"         See https://pypi.org/help/#file-name-reuse for more information.",
			},
			wantReason: "400 Bad Request from https://upload.pypi.org/legacy/ File already exists ('acme-1.2.0-py3-none-any.whl', with blake2_256 hash 'abc123').",
			notReason:  "See https://pypi.org",
		},
		{
			name: "make: the innermost failed target, not the outermost's recipe note",
			lines: []string{
				"make[2]: *** [package/feeds/tools/compile] Error 2",
				"make[1]: *** [/src/staging/stamp/.package_compile] Error 2",
				"make: *** [world] Error 2",
				"/src/include/toplevel.mk:216: recipe for target 'world' failed",
			},
			wantReason: "make[2]: *** [package/feeds/tools/compile] Error 2",
		},
		{
			name: "pipefail: a shell's options are no failure",
			lines: []string{
				"$ set -eo pipefail",
				"$ npm run build",
				"Failed to compile.",
			},
			wantReason: "Failed to compile.",
		},
		{
			name: "pipefail: a shell that refuses the option fails there",
			lines: []string{
				"set: Illegal option -o pipefail",
				"Exit status: 2",
			},
			wantReason: "set: Illegal option -o pipefail",
		},
		{
			name: "log level: a command line's -D option is no failure",
			lines: []string{
				"+ java -Dlogging.level=ERROR -jar tool.jar --input data.csv",
				"tool: nothing to import from data.csv",
				"##[error]Process completed with exit code 3.",
			},
			notReason: "-Dlogging.level",
		},
		{
			name: "log level: a logger's own level=error line is a failure",
			lines: []string{
				"java -Dlogging.level=ERROR -jar app.jar",
				`time="2024-05-01T10:00:00Z" level=error msg="cannot load config: open /etc/app.yaml: no such file or directory"`,
			},
			wantReason: `level=error msg="cannot load config`,
		},
	})
}

// TestReason_TwineIndented: twine's message is joined when its error line
// is itself indented (pasted inside a block), its wrapped words indented
// to the same column. Written for the test.
func TestReason_TwineIndented(t *testing.T) {
	runReasonCases(t, []reasonCase{{
		name: "an indented twine error",
		lines: []string{
			"    ERROR    HTTPError: 403 Forbidden from https://upload.pypi.org/legacy/",
			"             Invalid or non-existent authentication information.",
		},
		wantReason: "403 Forbidden from https://upload.pypi.org/legacy/ Invalid or non-existent authentication information.",
	}})
}
