package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

const (
	// maxNesting bounds how far the field-by-field pass follows mappings,
	// merges and aliases; the file's shape is only four levels deep, so
	// more means an alias that refers to itself.
	maxNesting = 16
	// maxExpandedNodes bounds the file once every alias is replaced by its
	// anchor: nested aliases (a "billion laughs") would otherwise pin a
	// core in the decoder. A 1 MiB file without aliases stays well below.
	maxExpandedNodes = 1 << 20
)

// decode reads body into a fileConfig. go-yaml stops at the first unknown
// key or value of the wrong type, which would cost one restart per typo, so
// when it refuses the file is read again field by field: every such problem
// is recorded in p with its line and path, and every field that did read is
// kept for validation. Only a file that is not a mapping at all is returned
// as an error.
func decode(body ast.Node, p *problems) (*fileConfig, error) {
	var raw fileConfig
	if body == nil {
		return &raw, nil
	}
	d := &fieldDecoder{p: p, anchors: anchors(body), fields: map[reflect.Type]fieldSet{}}
	if n := d.expandedSize(body, map[ast.Node]int{}); n > maxExpandedNodes {
		return nil, positioned(body, "", fmt.Sprintf("aliases expand the file to more than %d values; write it out or use fewer nested aliases", maxExpandedNodes))
	}
	err := nodeToValue(body, &raw)
	if err == nil {
		return &raw, nil
	}
	first := toParseError(err, body)
	root, ok := d.resolve(body).(*ast.MappingNode)
	if !ok {
		return nil, first
	}
	raw = fileConfig{}
	d.mapping(root, reflect.ValueOf(&raw).Elem(), "")
	// go-yaml may refuse something this pass does not model (a merged key
	// the mapping sets again is a duplicate to it); never accept or hide
	// what it refused. An error without a position is only kept when
	// nothing else explains the refusal.
	seen := slices.ContainsFunc(p.located, func(pe *ParseError) bool {
		return pe.Line == first.Line && pe.Column == first.Column
	})
	if len(p.located) == 0 || first.Line > 0 && !seen {
		p.decodeFailed(first)
	}
	p.sortLocated()
	return &raw, nil
}

// fieldDecoder walks the AST alongside the fileConfig type. Mappings and
// sequences are walked so that one bad entry does not hide its siblings;
// everything else is a leaf decoded by go-yaml on its own.
type fieldDecoder struct {
	p       *problems
	anchors map[string]ast.Node
	fields  map[reflect.Type]fieldSet
	depth   int
}

// expandedSize counts n's nodes with every alias replaced by its anchor's
// value, in time linear in the file: each anchor's size is computed once
// (memo; -1 while in progress, so an alias of itself counts once). The sum
// saturates just above the limit.
func (d *fieldDecoder) expandedSize(n ast.Node, memo map[ast.Node]int) int {
	add := func(a, b int) int { return min(a+b, maxExpandedNodes+1) }
	switch v := n.(type) {
	case nil:
		return 0
	case *ast.AliasNode:
		target, ok := d.anchors[aliasName(v)]
		if !ok {
			return 1
		}
		if size, done := memo[target]; done {
			return max(size, 1)
		}
		memo[target] = -1
		size := d.expandedSize(target, memo)
		memo[target] = size
		return add(size, 1)
	case *ast.AnchorNode:
		return add(d.expandedSize(v.Value, memo), 1)
	case *ast.TagNode:
		return add(d.expandedSize(v.Value, memo), 1)
	case *ast.MappingNode:
		size := 1
		for _, mv := range v.Values {
			size = add(size, d.expandedSize(mv, memo))
		}
		return size
	case *ast.MappingValueNode:
		return add(d.expandedSize(v.Key, memo), d.expandedSize(v.Value, memo))
	case *ast.SequenceNode:
		size := 1
		for _, e := range v.Values {
			size = add(size, d.expandedSize(e, memo))
		}
		return size
	}
	return 1
}

func anchors(body ast.Node) map[string]ast.Node {
	m := map[string]ast.Node{}
	for _, n := range ast.Filter(ast.AnchorType, body) {
		a := n.(*ast.AnchorNode)
		if name := a.Name.GetToken(); name != nil {
			if _, dup := m[name.Value]; !dup {
				m[name.Value] = a.Value
			}
		}
	}
	return m
}

func aliasName(a *ast.AliasNode) string {
	if a.Value == nil || a.Value.GetToken() == nil {
		return ""
	}
	return a.Value.GetToken().Value
}

// resolve looks through anchors and aliases to the node that holds the value.
func (d *fieldDecoder) resolve(n ast.Node) ast.Node {
	for range maxNesting {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := d.anchors[aliasName(v)]
			if !ok {
				return n
			}
			n = target
		default:
			return n
		}
	}
	return n
}

// value reads n into dst and reports whether it read without a problem.
func (d *fieldDecoder) value(n ast.Node, dst reflect.Value, path string) bool {
	n = d.resolve(n)
	switch dst.Kind() {
	case reflect.Pointer:
		// A pointer field is "not set" unless its value reads cleanly;
		// go-yaml cannot decode into **T, so the pointer is handled here.
		if _, null := n.(*ast.NullNode); null {
			return true
		}
		v := reflect.New(dst.Type().Elem())
		if !d.value(n, v.Elem(), path) {
			return false
		}
		dst.Set(v)
		return true
	case reflect.Struct:
		if m, ok := n.(*ast.MappingNode); ok {
			return d.mapping(m, dst, path)
		}
	case reflect.Slice:
		if s, ok := n.(*ast.SequenceNode); ok {
			return d.sequence(s, dst, path)
		}
	}
	return d.leaf(n, dst, path)
}

func (d *fieldDecoder) mapping(m *ast.MappingNode, dst reflect.Value, path string) bool {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxNesting {
		d.p.decodeFailed(positioned(m, path, "is nested too deeply (does an alias refer to itself?)"))
		return false
	}
	clean := true
	fields, ok := d.fields[dst.Type()]
	if !ok {
		fields = yamlFields(dst.Type())
		d.fields[dst.Type()] = fields
	}
	// Merged entries first, so the mapping's own keys win as YAML says.
	for _, mv := range m.Values {
		if mv.Key.IsMergeKey() {
			clean = d.merge(mv.Value, dst, path) && clean
		}
	}
	for _, mv := range m.Values {
		if mv.Key.IsMergeKey() {
			continue
		}
		key := keyText(mv.Key)
		i, ok := fields.index[key]
		if !ok {
			msg := fmt.Sprintf("unknown field %q", key)
			if s := suggest(key, fields.names); s != "" {
				msg += fmt.Sprintf(", did you mean %s?", s)
			}
			d.p.decodeFailed(positioned(mv.Key, join(path, key), msg))
			clean = false
			continue
		}
		clean = d.value(mv.Value, dst.Field(i), join(path, key)) && clean
	}
	return clean
}

// merge applies a << entry: one mapping, or a list of them where the
// earlier ones win.
func (d *fieldDecoder) merge(n ast.Node, dst reflect.Value, path string) bool {
	n = d.resolve(n)
	if s, ok := n.(*ast.SequenceNode); ok {
		clean := true
		for i := len(s.Values) - 1; i >= 0; i-- {
			clean = d.merge(s.Values[i], dst, path) && clean
		}
		return clean
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.p.decodeFailed(positioned(n, path, "<< must merge a mapping or a list of mappings"))
		return false
	}
	return d.mapping(m, dst, path)
}

func (d *fieldDecoder) sequence(s *ast.SequenceNode, dst reflect.Value, path string) bool {
	out := reflect.MakeSlice(dst.Type(), len(s.Values), len(s.Values))
	clean := true
	for i, e := range s.Values {
		clean = d.value(e, out.Index(i), fmt.Sprintf("%s[%d]", path, i)) && clean
	}
	dst.Set(out)
	return clean
}

// leaf decodes n with go-yaml's own rules; on failure dst keeps its zero
// value, which stands for "not set".
func (d *fieldDecoder) leaf(n ast.Node, dst reflect.Value, path string) bool {
	v := reflect.New(dst.Type())
	if err := nodeToValue(n, v.Interface()); err != nil {
		pe := toParseError(err, nil)
		pe.Path = path
		if pe.Line == 0 {
			at := positioned(n, "", "")
			pe.Line, pe.Column = at.Line, at.Column
		} else if inner, ok := pathAt(n, path, pe.Line, pe.Column); ok {
			pe.Path = inner
		}
		d.p.decodeFailed(pe)
		return false
	}
	dst.Set(v.Elem())
	return true
}

// nodeToValue is go-yaml's strict decode, with its panics (seen on odd
// tags in malformed files) turned into an error: a bad edit must be
// rejected, not take the watcher down.
func nodeToValue(n ast.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ParseError{Msg: fmt.Sprintf("cannot be read; check its tag (!...) and indentation (the YAML decoder failed: %v)", r)}
		}
	}()
	return yaml.NodeToValue(n, v, yaml.Strict())
}

func positioned(n ast.Node, path, msg string) *ParseError {
	pe := &ParseError{Path: path, Msg: msg}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		pe.Line, pe.Column = tk.Position.Line, tk.Position.Column
	}
	return pe
}

// keyText is the key as written, without the quotes of a quoted key.
func keyText(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.String()
}

type fieldSet struct {
	index map[string]int
	names []string // in declaration order, for stable suggestions
}

// yamlFields lists the keys a struct accepts, from its yaml tags: the one
// source of truth, so the unknown-key check cannot drift from the decoder.
func yamlFields(t reflect.Type) fieldSet {
	fs := fieldSet{index: map[string]int{}}
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" || name == "-" {
			continue
		}
		fs.index[name] = i
		fs.names = append(fs.names, name)
	}
	return fs
}

// suggest returns the known key closest to key, if it is within two edits
// (a typo, not a different word).
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	key = strings.ToLower(key)
	for _, k := range known {
		// The length difference is a lower bound: skip the quadratic work
		// for a pasted paragraph.
		if abs(utf8.RuneCountInString(key)-len(k)) >= bestDist {
			continue
		}
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

func abs(n int) int { return max(n, -n) }

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
