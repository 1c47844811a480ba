// Package llm owns ccm's conversation with an OpenAI-compatible model: it
// builds the prompt (redacted, delimited, kept within a token budget), asks
// for a JSON-schema answer through go-openai, validates what comes back
// (closed lists, ranges, evidence quoted from the log), asks once for a
// repair, and hands back a analysis.AnalysisResult. Chain puts the rule-based
// analyzer behind it so a failure is always analysed, and a Breaker in
// front of the model when it keeps failing.
//
// The model's output and the server's answer are untrusted input: answers
// are read within a size cap and a deadline, the model can pick only from
// closed lists, every evidence line must be found in the log it was shown
// (not in the lines ccm wrote around it), and its text is redacted and
// stripped of control characters before it leaves this package.
package llm
