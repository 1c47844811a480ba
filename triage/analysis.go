package triage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
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

// Validate checks the seed's invariants (Properties 7-11) and the closed
// action list. It names every bad field, so one repair request can fix all.
func (a AnalysisResult) Validate() error {
	var bad []string
	if !a.Category.Valid() {
		bad = append(bad, fmt.Sprintf("category %q is not one of %v", a.Category, Categories))
	}
	if a.RiskScore < 0 || a.RiskScore > 10 {
		bad = append(bad, fmt.Sprintf("risk_score %d is outside 0-10", a.RiskScore))
	}
	if a.Confidence < 0 || a.Confidence > 100 {
		bad = append(bad, fmt.Sprintf("confidence %d is outside 0-100", a.Confidence))
	}
	if !a.Effort.Valid() {
		bad = append(bad, fmt.Sprintf("effort %q is not one of %v", a.Effort, Efforts))
	}
	if !hasActionableStep(a.ProposedFix) {
		bad = append(bad, "proposed_fix is empty or has no actionable step")
	}
	if len(a.Actions) == 0 {
		bad = append(bad, "actions is empty (use [{\"type\":\"none\"}] when nothing applies)")
	}
	for i, act := range a.Actions {
		if !act.Type.Valid() {
			bad = append(bad, fmt.Sprintf("actions[%d].type %q is not one of %v", i, act.Type, ActionTypes))
		}
	}
	if len(a.AffectedComponents) == 0 {
		bad = append(bad, "affected_components is empty")
	}
	for i, c := range a.AffectedComponents {
		if !ValidComponent(c) {
			bad = append(bad, fmt.Sprintf("affected_components[%d] %q is not a component identifier", i, c))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidAnalysis, strings.Join(bad, "; "))
	}
	return nil
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
