package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	ccmsandbox "github.com/ccm-ci/ccm/sandbox"
)

const sandboxHelp = `Usage: ccm sandbox [flags]

Runs ccm's whole pipeline (poll, ingest, analysis, the safety gate in shadow
mode, audit) locally on real
failed-run logs from public projects, with an embedded Redis and a GitHub
simulator (and an OpenAI simulator with --llm): no accounts, nothing leaves
the machine. Prints what ccm saw and what it would do.

Example:
  ccm sandbox --llm --logs 20

Flags:
`

// sandbox runs the whole pipeline locally on real failure logs: no
// accounts, nothing leaves the machine.
func sandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), sandboxHelp); fs.PrintDefaults() }
	logs := fs.Int("logs", ccmsandbox.DefaultLogs, "how many real failure logs to replay (capped at how many ccm ships)")
	useLLM := fs.Bool("llm", false, "analyse through the LLM path against a local OpenAI fake (it answers with the rules' verdict)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	timeout := fs.Duration("timeout", ccmsandbox.DefaultTimeout, "how long to wait for every failure to be analyzed")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error (logs go to stderr)")
	if err := fs.Parse(args); err != nil {
		return flagErr("sandbox", err)
	}
	if fs.NArg() > 0 {
		return usageErr("sandbox: unexpected argument %q", fs.Arg(0))
	}
	if *logs < 1 {
		return usageErr("sandbox: --logs %d: want at least 1", *logs)
	}
	if *timeout <= 0 {
		return usageErr("sandbox: --timeout %s: want a positive duration", *timeout)
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	res, err := ccmsandbox.Run(ctx, ccmsandbox.Options{Logs: *logs, LLM: *useLLM, Timeout: *timeout, Logger: logger})
	if err != nil {
		return err
	}
	if *asJSON {
		return ccmsandbox.WriteJSON(stdout, res)
	}
	if err := ccmsandbox.WriteText(stdout, res, actionText); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}
