package redact

import "strings"

// spanRedactor rebuilds s with chosen spans replaced by redaction markers,
// copying nothing when no span was replaced. Spans come in order.
type spanRedactor struct {
	s    string
	b    strings.Builder
	last int
}

func (r *spanRedactor) replace(start, end int, kind string) {
	r.b.WriteString(r.s[r.last:start])
	r.b.WriteString(marker(kind))
	r.last = end
}

func (r *spanRedactor) String() string {
	if r.last == 0 {
		return r.s
	}
	r.b.WriteString(r.s[r.last:])
	return r.b.String()
}
