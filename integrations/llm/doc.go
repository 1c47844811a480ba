// Package llm owns ccm's conversation with an OpenAI-compatible model: it
// builds the prompt (redacted, delimited, kept within a token budget), asks
// for a JSON-schema answer through go-openai, validates what comes back
// (closed lists, ranges, evidence quoted from the log), asks once for a
// repair, and hands back a triage.AnalysisResult. Chain puts the rule-based
// analyzer behind it so a failure is always analysed.
//
// The model's output is untrusted input: it can pick only from closed lists,
// every evidence line must be found in the log it was shown, and its text is
// redacted again before it leaves this package.
package llm
