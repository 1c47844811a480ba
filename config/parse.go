package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// MaxFileBytes caps the configuration file: a path pointing at the wrong
// (huge) file must fail fast, not eat memory.
const MaxFileBytes = 1 << 20

// ErrInvalid is matched (errors.Is) by every error about the file's content,
// as opposed to errors reading it.
var ErrInvalid = errors.New("invalid config")

// ParseError is one problem found while reading the file, with its
// position. Parse returns it alone for a file that is not well-formed YAML
// (only the first syntax error can be known); unknown keys and values of
// the wrong type are each a ParseError inside the *ValidationError, so
// errors.As finds the first of them. Path is the key path
// (repositories[1].mode) when it could be worked out.
type ParseError struct {
	Line, Column int
	Path         string
	Msg          string
}

func (e *ParseError) Error() string {
	where := "config"
	if e.Line > 0 {
		where = fmt.Sprintf("config line %d column %d", e.Line, e.Column)
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", where, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", where, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ParseError) Unwrap() error { return ErrInvalid }

// problem is e as one entry of ValidationError.Problems: path first, like
// the others.
func (e *ParseError) problem() string {
	s := e.Msg
	if e.Line > 0 {
		s = fmt.Sprintf("line %d: %s", e.Line, s)
	}
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	return s
}

// Load reads, parses, completes with defaults and validates the file.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	return c, nil
}

// readFile reads at most MaxFileBytes; its errors name the path.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: file is larger than %d bytes", path, ErrInvalid, MaxFileBytes)
	}
	return data, nil
}

// Parse is Load for bytes already read. An empty file gives the defaults.
// It returns a *ParseError for malformed YAML (the first problem, with its
// line) and otherwise one *ValidationError naming every unknown key, every
// value of the wrong type and every bad value, so one edit can fix them all.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%w: file is larger than %d bytes", ErrInvalid, MaxFileBytes)
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, toParseError(err, nil)
	}
	body, err := singleBody(file)
	if err != nil {
		return nil, err
	}
	p := newProblems()
	raw, err := decode(body, p)
	if err != nil {
		return nil, err
	}
	c := raw.resolve(p)
	p.check(c)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// singleBody refuses a second YAML document: silently ignoring half of a
// file is how a setting "does nothing" in production.
func singleBody(f *ast.File) (ast.Node, error) {
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		switch d.Body.(type) {
		case *ast.CommentGroupNode, *ast.NullNode:
			continue
		}
		if body != nil {
			pe := &ParseError{Msg: "a second YAML document (---) is not allowed; put everything in one"}
			if tk := d.Body.GetToken(); tk != nil {
				pe.Line, pe.Column = tk.Position.Line, tk.Position.Column
			}
			return nil, pe
		}
		body = d.Body
	}
	return body, nil
}

// toParseError turns go-yaml's errors (which name Go types and struct
// fields) into one that names the YAML key path and the line.
func toParseError(err error, body ast.Node) *ParseError {
	if pe, ok := errors.AsType[*ParseError](err); ok {
		if body != nil && pe.Path == "" && pe.Line > 0 {
			pe.Path, _ = pathAt(body, "", pe.Line, pe.Column)
		}
		return pe
	}
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &ParseError{Msg: err.Error()}
	}
	pe := &ParseError{Msg: ye.GetMessage()}
	var te *yaml.TypeError
	var ke *kindError
	switch {
	case errors.As(err, &te):
		pe.Msg = fmt.Sprintf("expected %s, got %s", describeType(te.DstType), describeType(te.SrcType))
		if tk := te.Token; tk != nil && isScalar(te.SrcType) {
			pe.Msg += fmt.Sprintf(" (%q)", tk.Value)
		}
	case errors.As(err, &ke):
		pe.Msg = ke.GetMessage()
	}
	tk := ye.GetToken()
	if tk == nil || tk.Position == nil {
		return pe
	}
	pe.Line, pe.Column = tk.Position.Line, tk.Position.Column
	if body != nil {
		pe.Path, _ = pathAt(body, "", tk.Position.Line, tk.Position.Column)
	}
	return pe
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "null"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number with a fraction"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func isScalar(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct, reflect.Pointer, reflect.Interface:
		return false
	}
	return true
}

// pathAt finds the key path of the node at line:col. Children are searched
// before their parent so the innermost key wins.
func pathAt(n ast.Node, path string, line, col int) (string, bool) {
	at := func(n ast.Node) bool {
		if n == nil {
			return false
		}
		tk := n.GetToken()
		return tk != nil && tk.Position != nil && tk.Position.Line == line && tk.Position.Column == col
	}
	switch v := n.(type) {
	case *ast.MappingNode:
		for _, mv := range v.Values {
			if p, ok := pathAt(mv, path, line, col); ok {
				return p, true
			}
		}
	case *ast.MappingValueNode:
		key := join(path, v.Key.String())
		if at(v.Key) {
			return key, true
		}
		if p, ok := pathAt(v.Value, key, line, col); ok {
			return p, true
		}
		if at(v.Value) {
			return key, true
		}
	case *ast.SequenceNode:
		for i, e := range v.Values {
			elem := path + "[" + strconv.Itoa(i) + "]"
			if p, ok := pathAt(e, elem, line, col); ok {
				return p, true
			}
			if at(e) {
				return elem, true
			}
		}
	case *ast.AnchorNode:
		return pathAt(v.Value, path, line, col)
	case *ast.TagNode:
		return pathAt(v.Value, path, line, col)
	}
	if at(n) {
		return path, true
	}
	return "", false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlInt accepts only YAML integers: go-yaml would otherwise truncate
// risk_threshold: 5.5 to 5 without a word.
type yamlInt int

func (y *yamlInt) UnmarshalYAML(node ast.Node) error {
	n, ok := node.(*ast.IntegerNode)
	if !ok {
		return &kindError{want: "an integer", node: node}
	}
	switch v := n.Value.(type) {
	case int64:
		*y = yamlInt(v)
		return nil
	case uint64:
		if v <= uint64(int(^uint(0)>>1)) {
			*y = yamlInt(v)
			return nil
		}
	}
	return &kindError{want: "an integer that fits in 64 bits", node: node}
}

// kindError is a scalar of the wrong YAML kind. It satisfies yaml.Error so
// it is reported with its position like go-yaml's own errors.
type kindError struct {
	want string
	node ast.Node
}

func (e *kindError) GetMessage() string {
	if s, ok := e.node.(*ast.StringNode); ok {
		return fmt.Sprintf("expected %s, got the string %q", e.want, s.Value)
	}
	return fmt.Sprintf("expected %s, got %s", e.want, e.node.String())
}
func (e *kindError) GetToken() *token.Token { return e.node.GetToken() }
func (e *kindError) Error() string          { return e.GetMessage() }
func (e *kindError) FormatError(bool, bool) string {
	return e.GetMessage()
}
