package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// TestCorpus10Families: the families found on corpus10's misses decide
// their own lines, and the look-alikes stay with the signature they had:
// a name an installed package no longer exports is the dependency's
// change, a circular import or a name missing from the project's own
// module is the project's; Ivy's table rows name a missing module;
// Netlify's time limit and cmd.exe's French "not recognized" are the
// families they say. The logs are written for the test.
func TestCorpus10Families(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "a name gone from an installed package", wantSig: "python-dependency-name-removed", wantCat: analysis.CategoryDependency,
			log: "Traceback (most recent call last):\n  File \"/home/runner/work/app/app/docs/conf.py\", line 3, in <module>\n    from sphinx.application import Sphinx\nImportError: cannot import name 'environmentfilter' from 'jinja2' (/opt/hostedtoolcache/Python/3.9.18/x64/lib/python3.9/site-packages/jinja2/__init__.py)"},
		{name: "a name gone from an installed package, Windows paths", wantSig: "python-dependency-name-removed", wantCat: analysis.CategoryDependency,
			log: "ImportError: cannot import name 'soft_unicode' from 'markupsafe' (C:\\hostedtoolcache\\windows\\Python\\3.8.10\\x64\\lib\\site-packages\\markupsafe\\__init__.py)"},
		{name: "a name missing from the project's own module", notSig: "python-dependency-name-removed", wantCat: analysis.CategoryCode,
			log: "ImportError: cannot import name 'parse_config' from 'myapp.settings' (/home/runner/work/myapp/myapp/src/myapp/settings.py)"},
		{name: "a circular import, even when installed", wantSig: "python-syntax-error", wantCat: analysis.CategoryCode,
			log: "ImportError: cannot import name 'Client' from partially initialized module 'myapp.client' (most likely due to a circular import) (/home/runner/.venv/lib/python3.11/site-packages/myapp/client.py)"},
		{name: "Ivy's unresolved row", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency,
			log: "[warn] \t::::::::::::::::::::::::::::::::::::::::::::::\n[warn] \t::          UNRESOLVED DEPENDENCIES         ::\n[warn] \t::::::::::::::::::::::::::::::::::::::::::::::\n[warn] \t:: com.example#widgets_2.11;1.4.0: not found\n[warn] \t::::::::::::::::::::::::::::::::::::::::::::::"},
		{name: "Ivy's found row is no failure", notSig: "dependency-version-missing",
			log: "[info] \tfound com.example#widgets_2.11;1.4.0 in central"},
		{name: "Netlify's time limit", wantSig: "ci-step-timeout", wantCat: analysis.CategoryTimeout,
			log: "10:02:11 AM: success Building development bundle - 12.882s\n10:30:11 AM: Build exceeded maximum allowed runtime\n10:30:15 AM:   Error: ENOENT: no such file or directory, open '/opt/build/repo/src/pages/index.tsx'"},
		{name: "cmd.exe in French", wantSig: "command-not-found", wantCat: analysis.CategoryConfig,
			log: "> webpack --mode production\n'webpack' n'est pas reconnu en tant que commande interne\nou externe, un programme exécutable ou un fichier de commandes.\nnpm ERR! code ELIFECYCLE"},
	})
}

// TestPerTestTimeoutsAreFlaky: Dart's and ExUnit's per-test timeouts read
// as the JavaScript runners' do (flaky_test, a re-run first), while Go's
// binary timeout and JUnit's per-test one keep timeout: the visible labels
// gave them that.
func TestPerTestTimeoutsAreFlaky(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "Dart's test package", wantSig: "per-test-timeout", wantCat: analysis.CategoryFlakyTest,
			log: "00:42 +118 -1: test/widget_test.dart: renders the list [E]\n  TimeoutException after 0:00:30.000000: Test timed out after 30 seconds.\n  package:test_api  Invoker._handleError.<fn>"},
		{name: "Dart's test package, in minutes", wantSig: "per-test-timeout", wantCat: analysis.CategoryFlakyTest,
			log: "12:01 +3 -1: integration_test/app_test.dart: logs in [E]\n  TimeoutException after 0:12:00.000000: Test timed out after 12 minutes.\n  package:test_api  Invoker._handleError.<fn>"},
		{name: "ExUnit", wantSig: "per-test-timeout", wantCat: analysis.CategoryFlakyTest,
			log: "  1) test syncs the contacts (App.SyncTest)\n     test/app/sync_test.exs:41\n     ** (ExUnit.TimeoutError) test timed out after 60000ms. You can change the timeout:"},
		{name: "Go's binary timeout stays timeout", wantSig: "go-test-timeout", wantCat: analysis.CategoryTimeout,
			log: "panic: test timed out after 10m0s\nrunning tests:\n\tTestSync (9m59s)"},
		{name: "JUnit's timeout stays timeout", notSig: "per-test-timeout", wantCat: analysis.CategoryTimeout,
			log: "org.junit.runners.model.TestTimedOutException: test timed out after 20000 milliseconds\n\tat java.base/java.lang.Thread.sleep(Native Method)"},
	})
}

// TestJestWorkerOutOfMemory: Jest's verdict on a worker the memory limit
// killed outranks the "Test suite failed to run" header it prints over it.
func TestJestWorkerOutOfMemory(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "the worker's memory", wantSig: "oom-killed", wantCat: analysis.CategoryInfrastructure,
			log: " FAIL  test/unit/app.test.ts\n  ● Test suite failed to run\n\n    Jest worker ran out of memory and crashed"},
		{name: "a suite that failed to run for a syntax error", notSig: "oom-killed",
			log: " FAIL  test/unit/app.test.ts\n  ● Test suite failed to run\n\n    SyntaxError: Unexpected token (12:4)"},
	})
}

// TestCorpus11Families: CPython's regrtest timeout answers timeout, and a
// Jenkins node that is offline while the job waits for it answers
// infrastructure over the step timeout that then stops the build; a
// node's name that only mentions "offline" is no such verdict.
func TestCorpus11Families(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "regrtest's faulthandler timeout", wantSig: "jvm-python-test-timeout", wantCat: analysis.CategoryTimeout,
			log: "0:21:04 load avg: 2.10 [412/433/1] test_ssl worker non-zero exit code (Exit code 1)\ntest_connect (test.test_net.NetTests.test_connect) ...\n\nTimeout (0:20:00)!\nThread 0x0000000206e4ec40 (most recent call first):\n  File \"/build/Lib/socket.py\", line 840 in create_connection"},
		{name: "a Jenkins node offline, then the timeout", wantSig: "jenkins-agent-offline", wantCat: analysis.CategoryInfrastructure,
			log: "00:00:02.422  Timeout set to expire after 10 min without activity\n00:00:02.434  [Pipeline] node\n00:00:18.196  Still waiting to schedule task\n00:00:18.196  ‘build-agent-7’ is offline\n00:11:18.199  Cancelling nested steps due to timeout\n00:11:19.075  Timeout has been exceeded"},
		{name: "the same, quotes read as Latin-1", wantSig: "jenkins-agent-offline", wantCat: analysis.CategoryInfrastructure,
			log: "00:00:18.196  Still waiting to schedule task\n00:00:18.196  â€˜build-agent-7â€™ is offline\n00:11:18.199  Cancelling nested steps due to timeout"},
		{name: "a test that says offline", notSig: "jenkins-agent-offline",
			log: "--- FAIL: TestSyncWhenOffline (0.01s)\n    sync_test.go:40: cache is offline"},
	})
}

// TestReviewedFamilyEdges: the edges review found in corpus10's and
// corpus11's families. A Jenkins node offline while it is provisioned,
// then running the build, is no cause; nor is a test's message that a
// device "is offline". A project's own package installed in site-packages
// (tox) fails its import as the project's code. pytest's faulthandler dump
// is no job timeout. Helm's wait that ran out is a timeout, not a
// Kubernetes test's flake. Ant's Ivy rows name the missing module. The
// logs are written for the test.
func TestReviewedFamilyEdges(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "a Kubernetes agent offline while provisioned, then the build's failure", notSig: "jenkins-agent-offline", wantCat: analysis.CategoryFlakyTest,
			log: "00:00:02.434  [Pipeline] node\n00:00:05.101  Still waiting to schedule task\n00:00:05.101  ‘build-pod-x7k2q’ is offline\n00:00:41.876  Running on build-pod-x7k2q in /home/jenkins/agent/workspace/app\n00:03:12.004  --- FAIL: TestParseConfig (0.00s)\n00:03:12.004      config_test.go:31: got \"a\", want \"b\"\n00:03:12.010  FAIL"},
		{name: "a test's message that a device is offline", notSig: "jenkins-agent-offline",
			log: "E   AssertionError: expected 'online' got status message: device 'cam-1' is offline\nFAILED tests/test_devices.py::test_status - AssertionError"},
		{name: "the project's own package, installed by tox", notSig: "python-dependency-name-removed", wantCat: analysis.CategoryCode,
			log: "E   ImportError: cannot import name 'parse_config' from 'myapp.settings' (/home/runner/work/myapp/myapp/.tox/py311/lib/python3.11/site-packages/myapp/settings.py)"},
		{name: "the project's own package, known by its source directory", notSig: "python-dependency-name-removed", wantCat: analysis.CategoryCode,
			log: "  File \"/builds/acme/tools/src/widgets/__init__.py\", line 3, in <module>\nImportError: cannot import name 'Gauge' from 'widgets.core' (/builds/acme/tools/.venv/lib/python3.12/site-packages/widgets/core.py)"},
		{name: "a dependency's removed name beside a project of another name", wantSig: "python-dependency-name-removed", wantCat: analysis.CategoryDependency,
			log: "  File \"/home/runner/work/docs-site/docs-site/conf.py\", line 2, in <module>\nImportError: cannot import name 'contextfunction' from 'jinja2' (/opt/hostedtoolcache/Python/3.9.18/x64/lib/python3.9/site-packages/jinja2/__init__.py)"},
		{name: "pytest's faulthandler dump, then the real failure", notSig: "jvm-python-test-timeout",
			log: "============================= test session starts ==============================\ntests/test_io.py .\nTimeout (0:05:00)!\nThread 0x00007f1e2b7fe700 (most recent call first):\n  File \"/usr/lib/python3.11/socket.py\", line 705 in readinto\nF\n=================================== FAILURES ===================================\nE       AssertionError: assert 3 == 4\nFAILED tests/test_io.py::test_read - AssertionError: assert 3 == 4"},
		{name: "Helm's wait that ran out", wantCat: analysis.CategoryTimeout,
			log: "+ helm upgrade --install web ./chart --wait --timeout 5m\nError: UPGRADE FAILED: timed out waiting for the condition"},
		{name: "Ant's Ivy row", wantSig: "dependency-version-missing", wantCat: analysis.CategoryDependency,
			log: "[ivy:retrieve] \t\t::::::::::::::::::::::::::::::::::::::::::::::\n[ivy:retrieve] \t\t::          UNRESOLVED DEPENDENCIES         ::\n[ivy:retrieve] \t\t:: org.example#widgets;2.1.0: not found\nBUILD FAILED"},
	})
}
