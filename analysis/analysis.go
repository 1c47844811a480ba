package analysis

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Category is what kind of failure a run had. The seed names five; ccm adds
// CategoryCode for a genuine defect in the project's own code, which is never
// remediated without a person (a re-run cannot fix a compile error).
type Category string

// The closed list of categories. Anything else is rejected by Validate.
const (
	CategoryDependency     Category = "dependency"
	CategoryTimeout        Category = "timeout"
	CategoryConfig         Category = "config"
	CategoryFlakyTest      Category = "flaky_test"
	CategoryInfrastructure Category = "infrastructure"
	CategoryCode           Category = "code"
)

// Categories lists every valid category in a stable order.
var Categories = []Category{
	CategoryDependency, CategoryTimeout, CategoryConfig,
	CategoryFlakyTest, CategoryInfrastructure, CategoryCode,
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// Effort is how much work a fix takes a person.
type Effort string

// The closed list of efforts.
const (
	EffortLow    Effort = "low"
	EffortMedium Effort = "medium"
	EffortHigh   Effort = "high"
)

// Efforts lists every valid effort.
var Efforts = []Effort{EffortLow, EffortMedium, EffortHigh}

// Valid reports whether e is one of Efforts.
func (e Effort) Valid() bool { return slices.Contains(Efforts, e) }

// ActionType is a remediation ccm knows how to perform. The list is closed on
// purpose: the model chooses among these and nothing it writes is executed.
type ActionType string

// The closed list of actions.
const (
	ActionRerunFailedJobs ActionType = "rerun_failed_jobs"
	ActionRerunWorkflow   ActionType = "rerun_workflow"
	ActionDeleteCache     ActionType = "delete_cache"
	ActionCancelRun       ActionType = "cancel_run"
	ActionOpenFixPR       ActionType = "open_fix_pr"
	ActionNone            ActionType = "none"
)

// ActionTypes lists every valid action type.
var ActionTypes = []ActionType{
	ActionRerunFailedJobs, ActionRerunWorkflow, ActionDeleteCache,
	ActionCancelRun, ActionOpenFixPR, ActionNone,
}

// Valid reports whether t is one of ActionTypes.
func (t ActionType) Valid() bool { return slices.Contains(ActionTypes, t) }

// FileChange is one file a fix PR would write. Only used by open_fix_pr.
type FileChange struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// Action is one typed remediation step. Parameters a remediation acts on
// (the cache key to delete) are re-derived from GitHub before use; what the
// model puts here is a suggestion shown to people, never trusted as is.
type Action struct {
	Type  ActionType   `json:"type"`
	Key   string       `json:"key,omitempty"`   // delete_cache
	Title string       `json:"title,omitempty"` // open_fix_pr
	Body  string       `json:"body,omitempty"`  // open_fix_pr
	Files []FileChange `json:"files,omitempty"` // open_fix_pr
}

// Source says where an analysis came from.
type Source string

// The sources of an analysis.
const (
	SourceLLM   Source = "llm"
	SourceRules Source = "rules"
	SourceCache Source = "cache"
)

// NoFailureReasoning starts the reasoning of a rules answer for a log in
// which no failure line was found (see NoFailureFound); the rules engine writes it (rules/nofailure.go).
const NoFailureReasoning = "No failure line was found in the log"

// NoFailureFound reports whether a is the rules' answer for a log with no
// failure line in it, so a report can say so instead of quoting its
// last line as the reason.
func (a AnalysisResult) NoFailureFound() bool {
	return a.Source == SourceRules && strings.HasPrefix(a.Reasoning, NoFailureReasoning)
}

// UnknownReasoning starts the rules' reasoning for a failure no known
// signature explains (see Guessed); the rules engine writes it
// (rules/unknown.go).
const UnknownReasoning = "No known signature matched"

// Guessed reports whether a is the rules' answer for a failure no known
// signature explains: its category is a guess, not a verdict.
func (a AnalysisResult) Guessed() bool {
	return a.Source == SourceRules && strings.HasPrefix(a.Reasoning, UnknownReasoning)
}

// AnalysisResult is the explanation and classification of one failure.
type AnalysisResult struct {
	FailureID               string   `json:"failure_id,omitempty"`
	Category                Category `json:"category"`
	RiskScore               int      `json:"risk_score"`
	Confidence              int      `json:"confidence"`
	Effort                  Effort   `json:"effort"`
	ProposedFix             string   `json:"proposed_fix"`
	Actions                 []Action `json:"actions"`
	AffectedComponents      []string `json:"affected_components"`
	InvolvesApplicationCode bool     `json:"involves_application_code"`
	Evidence                []string `json:"evidence,omitempty"`
	Reasoning               string   `json:"reasoning"`
	Source                  Source   `json:"source"`
	// CachedFrom names the failure whose analysis a cache hit reuses: its
	// evidence quotes that failure's log, which had the same fingerprint.
	CachedFrom       string    `json:"cached_from,omitempty"`
	Model            string    `json:"model,omitempty"`
	PromptTokens     int       `json:"prompt_tokens,omitempty"`
	CompletionTokens int       `json:"completion_tokens,omitempty"`
	CreatedAt        time.Time `json:"created_at,omitzero"`
}

// ErrInvalidAnalysis wraps every problem Validate finds.
var ErrInvalidAnalysis = errors.New("invalid analysis")

// Size limits Validate enforces. They are generous for a person-readable
// analysis and bound what a model (or a corrupted cache entry) can make ccm
// store, render in Slack and act on.
const (
	MaxTextRunes     = 4000    // proposed_fix, reasoning
	MaxEvidence      = 5       // evidence items
	MaxEvidenceRunes = 500     // one evidence item
	MaxComponents    = 20      // affected_components
	MaxActions       = 6       // actions
	MaxTitleRunes    = 200     // an action's title
	MaxBodyRunes     = 10000   // an action's body
	MaxFiles         = 20      // an action's files
	MaxFileBytes     = 100_000 // one file's content
	MaxPathBytes     = 1024    // one file's path
	MaxCacheKeyBytes = 512     // a delete_cache key (GitHub's own limit)
	maxProblems      = 20      // problems listed before "and N more"
	maxQuotedRunes   = 80      // a value quoted in a problem
)

// Validate checks the seed's invariants (Properties 7-11), the closed action
// list, the size limits above and the cross-field rules that keep a
// remediation safe. It names every bad field (up to maxProblems), so one
// repair request can fix all; values are quoted clipped.
func (a AnalysisResult) Validate() error {
	var p problems
	if !a.Category.Valid() {
		p.add("category %s is not one of %v", quote(string(a.Category)), Categories)
	}
	if a.RiskScore < 0 || a.RiskScore > 10 {
		p.add("risk_score %d is outside 0-10", a.RiskScore)
	}
	if a.Confidence < 0 || a.Confidence > 100 {
		p.add("confidence %d is outside 0-100", a.Confidence)
	}
	if !a.Effort.Valid() {
		p.add("effort %s is not one of %v", quote(string(a.Effort)), Efforts)
	}
	if !hasActionableStep(a.ProposedFix) {
		p.add("proposed_fix is empty or has no actionable step")
	}
	p.maxRunes("proposed_fix", a.ProposedFix, MaxTextRunes)
	p.maxRunes("reasoning", a.Reasoning, MaxTextRunes)
	a.validateActions(&p)
	switch n := len(a.AffectedComponents); {
	case n == 0:
		p.add("affected_components is empty")
	case n > MaxComponents:
		p.add("affected_components has %d items, more than %d", n, MaxComponents)
	}
	for i, c := range a.AffectedComponents[:min(len(a.AffectedComponents), MaxComponents)] {
		if !ValidComponent(c) {
			p.add("affected_components[%d] %s is not a component identifier", i, quote(c))
		}
	}
	if n := len(a.Evidence); n > MaxEvidence {
		p.add("evidence has %d items, more than %d", n, MaxEvidence)
	}
	for i, e := range a.Evidence[:min(len(a.Evidence), MaxEvidence)] {
		p.maxRunes(fmt.Sprintf("evidence[%d]", i), e, MaxEvidenceRunes)
	}
	return p.err()
}

func (a AnalysisResult) validateActions(p *problems) {
	switch n := len(a.Actions); {
	case n == 0:
		p.add("actions is empty (use [{\"type\":\"none\"}] when nothing applies)")
		return
	case n > MaxActions:
		p.add("actions has %d items, more than %d", n, MaxActions)
		return
	}
	for i, act := range a.Actions {
		name := fmt.Sprintf("actions[%d]", i)
		if !act.Type.Valid() {
			p.add("%s.type %s is not one of %v", name, quote(string(act.Type)), ActionTypes)
		}
		if act.Type == ActionNone && len(a.Actions) > 1 {
			p.add("%s is none, which must be the only action", name)
		}
		if a.Category == CategoryCode && (act.Type == ActionRerunFailedJobs || act.Type == ActionRerunWorkflow) {
			p.add("%s.type %s cannot fix category code: a re-run does not change the code", name, act.Type)
		}
		if len(act.Key) > MaxCacheKeyBytes {
			p.add("%s.key is %d bytes, more than %d", name, len(act.Key), MaxCacheKeyBytes)
		} else if !validCacheKey(act.Key) {
			p.add("%s.key %s may hold only letters, digits and - _ . / : + =", name, quote(act.Key))
		}
		p.maxRunes(name+".title", act.Title, MaxTitleRunes)
		p.maxRunes(name+".body", act.Body, MaxBodyRunes)
		if len(act.Files) > MaxFiles {
			p.add("%s.files has %d items, more than %d", name, len(act.Files), MaxFiles)
			continue
		}
		for j, f := range act.Files {
			fname := fmt.Sprintf("%s.files[%d]", name, j)
			if why := badFixPath(f.Path); why != "" {
				p.add("%s.path %s %s", fname, quote(f.Path), why)
			}
			if len(f.Content) > MaxFileBytes {
				p.add("%s.content is %d bytes, more than %d", fname, len(f.Content), MaxFileBytes)
			}
		}
	}
}

// ciPaths are where CI definitions live: a fix PR must never change how
// CI runs (a model could otherwise write itself a workflow).
var ciPaths = []string{".github/workflows/", ".github/actions/", ".git/"}

// badFixPath says why a fix PR may not write p, or "" when it may: only a
// clean relative path inside the repository, outside CI definitions.
func badFixPath(p string) string {
	switch {
	case p == "":
		return "is empty"
	case len(p) > MaxPathBytes:
		return fmt.Sprintf("is longer than %d bytes", MaxPathBytes)
	case strings.HasPrefix(p, "/"):
		return "must be relative to the repository root"
	case strings.ContainsRune(p, '\\'):
		return "must use / as separator"
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "holds a control character"
	case slices.Contains(strings.Split(p, "/"), ".."):
		return "must not contain .."
	case path.Clean(p) != p || p == ".":
		return "is not a clean path"
	}
	low := strings.ToLower(p) + "/"
	for _, ci := range ciPaths {
		if strings.HasPrefix(low, ci) {
			return "is under " + ci + ": a fix PR never changes CI definitions"
		}
	}
	return ""
}

// validCacheKey limits a suggested cache key to what cache keys are built
// of in practice. The key is only ever shown to people: a remediation
// deletes the key GitHub lists, never the model's (docs/ARCHITECTURE.md §3.1).
func validCacheKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_./:+=", c) >= 0) {
			return false
		}
	}
	return true
}

// problems collects what Validate finds, keeping the first maxProblems so a
// pathological analysis cannot make a megabyte error.
type problems struct {
	list  []string
	extra int
}

func (p *problems) add(format string, args ...any) {
	if len(p.list) == maxProblems {
		p.extra++
		return
	}
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

func (p *problems) maxRunes(field, s string, limit int) {
	if n := utf8.RuneCountInString(s); n > limit {
		p.add("%s is %d characters, more than %d", field, n, limit)
	}
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	msg := strings.Join(p.list, "; ")
	switch {
	case p.extra == 1:
		msg += "; and 1 more problem"
	case p.extra > 1:
		msg += fmt.Sprintf("; and %d more problems", p.extra)
	}
	return fmt.Errorf("%w: %s", ErrInvalidAnalysis, msg)
}

// quote renders a value for a problem: Go-quoted (control characters
// escaped) and clipped, so a megabyte value makes a short message.
func quote(s string) string {
	if n := utf8.RuneCountInString(s); n > maxQuotedRunes {
		r := []rune(s)
		return fmt.Sprintf("%q... (%d characters)", string(r[:maxQuotedRunes]), n)
	}
	return fmt.Sprintf("%q", s)
}

// hasActionableStep is true when the fix holds at least one word a person
// can act on, not just punctuation or whitespace.
func hasActionableStep(fix string) bool {
	letters := 0
	for _, r := range fix {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			letters++
		}
	}
	return letters >= 3
}

// ValidComponent accepts short, printable, single-line identifiers such as
// "ci/test", "npm registry" or "Cargo.lock".
func ValidComponent(c string) bool {
	c = strings.TrimSpace(c)
	if c == "" || len(c) > 100 {
		return false
	}
	for _, r := range c {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
