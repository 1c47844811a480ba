// Package analysis is the contract every analyzer of a failed CI run
// answers in, and everything else reads: AnalysisResult, its closed lists
// (Category, Effort, ActionType, Source), the actions it proposes, the size
// limits and Validate, which checks an answer from any source (the rules,
// a model, the cache) before ccm stores or acts on it.
//
// It holds types and validation only: no regular expressions, no log
// handling. config and state import it for the types, and must not pull
// in the rules engine (rules), redaction (redact) or excerpting (excerpt)
// to get them.
package analysis
