package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/ccm-ci/ccm/analysis"
)

// schemaName is the json_schema name sent to the server.
const schemaName = "ci_failure_analysis"

// answer is what the model must fill. No field has omitempty: OpenAI's strict
// mode needs every property required, so "not applicable" is "" or [].
// The enums are set from package analysis's lists by answerSchema, never by tags, so
// the schema cannot drift from what Validate accepts.
type answer struct {
	Category                string         `json:"category" description:"exactly one category from the closed list"`
	RiskScore               int            `json:"risk_score" description:"integer 0-10: risk of applying the remediation automatically"`
	Confidence              int            `json:"confidence" description:"integer 0-100: how sure you are of the category and cause"`
	Effort                  string         `json:"effort" description:"a person's work to fix it"`
	ProposedFix             string         `json:"proposed_fix" description:"concrete steps a person can follow"`
	Actions                 []answerAction `json:"actions" description:"typed remediations from the closed list; [{\"type\":\"none\",...}] when nothing applies"`
	AffectedComponents      []string       `json:"affected_components" description:"short single-line identifiers of what is affected"`
	InvolvesApplicationCode bool           `json:"involves_application_code" description:"true when the fix needs a change to the project's own source code"`
	Evidence                []string       `json:"evidence" description:"1-5 log lines copied verbatim from between the log markers"`
	Reasoning               string         `json:"reasoning" description:"how the evidence leads to the category and fix"`
}

type answerAction struct {
	Type  string       `json:"type" description:"one action type from the closed list"`
	Key   string       `json:"key" description:"delete_cache: the cache key named in the log, else empty"`
	Title string       `json:"title" description:"open_fix_pr: pull request title, else empty"`
	Body  string       `json:"body" description:"open_fix_pr: pull request body, else empty"`
	Files []answerFile `json:"files" description:"open_fix_pr: files to write, else empty"`
}

type answerFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// answerSchema generates the strict JSON schema from answer and puts the
// closed lists in as enums.
func answerSchema() (*jsonschema.Definition, error) {
	def, err := jsonschema.GenerateSchemaForType(answer{})
	if err != nil {
		return nil, fmt.Errorf("generate schema: %w", err)
	}
	setEnum(def.Properties, "category", analysis.Categories)
	setEnum(def.Properties, "effort", analysis.Efforts)
	act, ok := def.Defs["answerAction"]
	if !ok {
		return nil, errors.New("generate schema: no $defs entry for answerAction")
	}
	setEnum(act.Properties, "type", analysis.ActionTypes)
	def.Defs["answerAction"] = act
	if err := checkStrict(*def, "$"); err != nil {
		return nil, fmt.Errorf("schema is not strict-mode compatible: %w", err)
	}
	return def, nil
}

func setEnum[T ~string](props map[string]jsonschema.Definition, name string, values []T) {
	p := props[name]
	p.Enum = nil
	for _, v := range values {
		p.Enum = append(p.Enum, string(v))
	}
	props[name] = p
}

// checkStrict enforces what OpenAI's strict mode demands of every object:
// all properties required and no additional properties. It guards against a
// future `omitempty` on answer silently breaking the schema.
func checkStrict(d jsonschema.Definition, path string) error {
	if d.Type == jsonschema.Object {
		if d.AdditionalProperties != false {
			return fmt.Errorf("%s: additionalProperties must be false", path)
		}
		for name := range d.Properties {
			if !slices.Contains(d.Required, name) {
				return fmt.Errorf("%s.%s: property is not required", path, name)
			}
		}
	}
	for name, p := range d.Properties {
		if err := checkStrict(p, path+"."+name); err != nil {
			return err
		}
	}
	for name, p := range d.Defs {
		if err := checkStrict(p, "$defs."+name); err != nil {
			return err
		}
	}
	if d.Items != nil {
		return checkStrict(*d.Items, path+"[]")
	}
	return nil
}

// requiredFields are the top-level keys an answer must carry. In json_object
// mode nothing on the server enforces them, and a missing risk_score would
// otherwise decode as a plausible 0.
var requiredFields = func() []string {
	def, err := jsonschema.GenerateSchemaForType(answer{})
	if err != nil {
		panic(err) // answer is a fixed type; covered by TestSchema
	}
	return def.Required
}()

// parseAnswer decodes the model's content strictly: one JSON object, every
// field present, no unknown field, integers as integers.
func parseAnswer(content string) (answer, error) {
	var a answer
	body := strings.TrimSpace(stripFence(content))
	if body == "" {
		return a, errors.New("the answer is empty; reply with one JSON object")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &keys); err != nil {
		return a, fmt.Errorf("the answer is not a JSON object: %v", err)
	}
	var missing []string
	for _, f := range requiredFields {
		if _, ok := keys[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return a, fmt.Errorf("the answer lacks required fields: %s", strings.Join(missing, ", "))
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("the answer does not match the schema: %v", err)
	}
	return a, nil
}

// stripFence removes a ```json fence: servers in json_object mode without
// real constrained decoding sometimes wrap the object in markdown.
func stripFence(s string) string {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "```") {
		return s
	}
	t = strings.TrimPrefix(t, "```")
	if i := strings.IndexByte(t, '\n'); i >= 0 {
		t = t[i+1:]
	}
	return strings.TrimSuffix(strings.TrimSpace(t), "```")
}

// result converts an answer into ccm's type. Every text field is redacted
// (the model may echo a secret it inferred or reconstructed) and then
// stripped of control characters (it reaches terminals and Slack). Closed
// list values are redacted too but not cleaned: Validate rejects them, and
// a problem quoting one may be clipped, which must not cut a secret short
// of its pattern.
func (a answer) result(redact func(string) string) analysis.AnalysisResult {
	text := func(s string) string { return stripControls(redact(s)) }
	r := analysis.AnalysisResult{
		Category:                analysis.Category(redact(a.Category)),
		RiskScore:               a.RiskScore,
		Confidence:              a.Confidence,
		Effort:                  analysis.Effort(redact(a.Effort)),
		ProposedFix:             text(a.ProposedFix),
		InvolvesApplicationCode: a.InvolvesApplicationCode,
		Reasoning:               text(a.Reasoning),
		Source:                  analysis.SourceLLM,
	}
	for _, act := range a.Actions {
		out := analysis.Action{
			Type:  analysis.ActionType(redact(act.Type)),
			Key:   text(act.Key),
			Title: text(act.Title),
			Body:  text(act.Body),
		}
		for _, f := range act.Files {
			out.Files = append(out.Files, analysis.FileChange{Path: text(f.Path), Content: text(f.Content)})
		}
		r.Actions = append(r.Actions, out)
	}
	for _, c := range a.AffectedComponents {
		r.AffectedComponents = append(r.AffectedComponents, text(c))
	}
	for _, e := range a.Evidence {
		r.Evidence = append(r.Evidence, text(e))
	}
	return r
}

// AnswerJSON renders r the way the model must answer (the schema above), so
// a fake model (openaisim's Default in `ccm sandbox`, tests) can answer with
// the rule-based analyzer's verdict through the real validation path.
func AnswerJSON(r analysis.AnalysisResult) (string, error) {
	a := answer{
		Category:                string(r.Category),
		RiskScore:               r.RiskScore,
		Confidence:              r.Confidence,
		Effort:                  string(r.Effort),
		ProposedFix:             r.ProposedFix,
		Actions:                 []answerAction{},
		AffectedComponents:      append([]string{}, r.AffectedComponents...),
		InvolvesApplicationCode: r.InvolvesApplicationCode,
		Evidence:                append([]string{}, r.Evidence...),
		Reasoning:               r.Reasoning,
	}
	for _, act := range r.Actions {
		out := answerAction{Type: string(act.Type), Key: act.Key, Title: act.Title, Body: act.Body, Files: []answerFile{}}
		for _, f := range act.Files {
			out.Files = append(out.Files, answerFile(f))
		}
		a.Actions = append(a.Actions, out)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("answer json: %w", err)
	}
	return string(b), nil
}
