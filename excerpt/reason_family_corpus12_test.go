package excerpt

import "testing"

// TestReason_Corpus12Families holds the reason to the line that says why,
// for the families found on corpus12's misses: a Rust (≥ 1.73) panic's
// header joined with its message, thread id or not; Hamcrest's "but:"
// joined with its "Expected:"; Black's and Ruff's file row over their
// count; uv's refusal of a stale lock file over a Docker build's failed
// step; the macOS linker's missing symbol over its summary; CocoaPods'
// resolver verdict over its header. And the edges around them: a panic
// whose message runs on to the error that says why, the one-line panic
// of older Rust, a formatter's count alone, CocoaPods' header with no
// verdict under it. The logs are written for the test.
func TestReason_Corpus12Families(t *testing.T) {
	tests := []reasonCase{
		{
			name: "Rust: the panic's header, with the thread's id, joined with its message over a rule",
			lines: []string{
				"---- queue::tests::drains_in_order stdout ----",
				"thread 'queue::tests::drains_in_order' (4127) panicked at src/queue.rs:88:9:",
				"--",
				"assertion `left == right` failed",
				"  left: 3",
				" right: 4",
				"error: test failed, to rerun pass `--lib`",
			},
			wantReason: "thread 'queue::tests::drains_in_order' (4127) panicked at src/queue.rs:88:9: assertion `left == right` failed",
		},
		{
			name: "Rust: a header is not outranked by its own message's assert!",
			lines: []string{
				"thread 'clock::tests::ticks' panicked at crates/clock/src/lib.rs:41:5:",
				"assertion failed: elapsed.as_millis() < 50",
				"test clock::tests::ticks ... FAILED",
			},
			wantReason: "thread 'clock::tests::ticks' panicked at crates/clock/src/lib.rs:41:5: assertion failed: elapsed.as_millis() < 50",
		},
		{
			name: "Rust: a harness's panic whose message runs on to the error that says why",
			lines: []string{
				"thread 'build::reserved_name' (512) panicked at tests\\testsuite\\build.rs:120:10:",
				"",
				"test failed running `C:\\work\\target\\debug\\cargo.exe build`",
				"error: process exited with code 0 (expected 101)",
				"--- stdout",
			},
			wantReason: "error: process exited with code 0 (expected 101)",
		},
		{
			name: "Rust before 1.73: the one-line panic stays as it was",
			lines: []string{
				"thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 7', src/main.rs:14:5",
				"note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
			},
			wantReason: "thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 7', src/main.rs:14:5",
		},
		{
			name: "Hamcrest: the matcher's two sides as one reason",
			lines: []string{
				"[ERROR] Failures: ",
				"[ERROR]   CacheIT.evictsOldest:71 ",
				"Expected: is <12>",
				"     but: was <11>",
				"[ERROR] Tests run: 40, Failures: 1, Errors: 0, Skipped: 2",
			},
			wantReason: "Expected: is <12> but: was <11>",
		},
		{
			name: "Black: the file row over the count",
			lines: []string{
				"Run black --check .",
				"would reformat src/pkg/loader.py",
				"",
				"Oh no! 💥 💔 💥",
				"1 file would be reformatted, 18 files would be left unchanged.",
				"Error: Process completed with exit code 1.",
			},
			wantReason: "would reformat src/pkg/loader.py",
			notReason:  "would be reformatted", // one file: its row alone, so its fingerprint holds
		},
		{
			name: "Black: several rows, the first with the count",
			lines: []string{
				"would reformat /home/runner/work/app/app/api/views.py",
				"would reformat /home/runner/work/app/app/api/models.py",
				"Oh no! 💥 💔 💥",
				"2 files would be reformatted, 51 files would be left unchanged.",
			},
			wantReason: "would reformat /home/runner/work/app/app/api/views.py; 2 files would be reformatted, 51 files would be left unchanged.",
		},
		{
			name: "Ruff format: its row over its count",
			lines: []string{
				"Would reformat: tools/release.py",
				"1 file would be reformatted, 27 files already formatted",
			},
			wantReason: "Would reformat: tools/release.py",
		},
		{
			name: "Black: a count without rows is still the reason",
			lines: []string{
				"Oh no! 💥 💔 💥",
				"3 files would be reformatted, 120 files would be left unchanged.",
				"make: *** [Makefile:12: lint] Error 1",
			},
			wantReason: "3 files would be reformatted",
		},
		{
			name: "uv: the stale lock file over a Docker build's failed step",
			lines: []string{
				"#9 3.112 The lockfile at `uv.lock` needs to be updated, but `--locked` was provided. To update the lockfile, run `uv lock`.",
				"#9 ERROR: process \"/bin/sh -c uv sync --locked\" did not complete successfully: exit code: 1",
				"ERROR: build step 1 \"gcr.io/cloud-builders/docker\" failed: step exited with non-zero status: 1",
			},
			wantReason: "The lockfile at `uv.lock` needs to be updated, but `--locked` was provided.",
		},
		{
			name: "uv: the refusal wrapped, over a script's fallback warning",
			lines: []string{
				"The lockfile at `uv.lock` needs to be updated, but `--locked` was provided. To update",
				" the lockfile, run `uv lock`.",
				"Warning: frozen sync failed. Falling back to a plain sync.",
				"sync failed; aborting.",
			},
			wantReason: "needs to be updated, but `--locked` was provided. To update",
		},
		{
			name: "macOS ld: the missing symbol, with the first object that uses it, over the linker's summary",
			lines: []string{
				"Undefined symbols for architecture arm64:",
				`  "_png_create_read_struct", referenced from:`,
				"      _load_png in image.c.o",
				"      _probe in detect.c.o",
				"ld: symbol(s) not found for architecture arm64",
				"clang: error: linker command failed with exit code 1 (use -v to see invocation)",
				"make[2]: *** [bin/viewer] Error 1",
			},
			wantReason: `"_png_create_read_struct", referenced from: _load_png in image.c.o`,
		},
		{
			name: "CocoaPods: the resolver's verdict over the header and its rows",
			lines: []string{
				"Analyzing dependencies",
				`[!] CocoaPods could not find compatible versions for pod "Alamofire":`,
				"  In snapshot (Podfile.lock):",
				"    Alamofire (= 5.8.1)",
				"",
				"  In Podfile:",
				"    Alamofire (~> 5.9)",
				"",
				"None of your spec sources contain a spec satisfying the dependencies: `Alamofire (~> 5.9), Alamofire (= 5.8.1)`.",
				"",
				"You have either:",
				" * out-of-date source repos which you can update with `pod repo update` or with `pod install --repo-update`.",
			},
			wantReason: "None of your spec sources contain a spec satisfying the dependencies: `Alamofire (~> 5.9), Alamofire (= 5.8.1)`.",
		},
		{
			name: "CocoaPods: the header stays the reason when no verdict follows it",
			lines: []string{
				`[!] CocoaPods could not find compatible versions for pod "Firebase/Core":`,
				"  In Podfile:",
				"    Firebase/Core (~> 10.0)",
				"",
				"Specs satisfying the `Firebase/Core (~> 10.0)` dependency were found, but they required a higher minimum deployment target.",
			},
			wantReason: `[!] CocoaPods could not find compatible versions for pod "Firebase/Core":`,
		},
	}
	runReasonCases(t, tests)
}
