package rules

// trigramSet is a 64 Ki-bit set of the text's trigram hashes. Checking a
// literal's trigrams against it rejects almost every absent literal without
// scanning the text, which matters with ~400 patterns per log.
type trigramSet [1 << 16 / 64]uint64

func trigramHash(a, b, c byte) uint32 {
	return (uint32(a) | uint32(b)<<8 | uint32(c)<<16) * 2654435761 >> 16
}

func newTrigramSet(b []byte) *trigramSet {
	var t trigramSet
	for i := 0; i+2 < len(b); i++ {
		h := trigramHash(b[i], b[i+1], b[i+2])
		t[h>>6] |= 1 << (h & 63)
	}
	return &t
}

func trigramHashes(lit string) []uint32 {
	var out []uint32
	for i := 0; i+2 < len(lit); i++ {
		out = append(out, trigramHash(lit[i], lit[i+1], lit[i+2]))
	}
	return out
}

// mayContain is false only when some trigram of the literal is absent.
func (t *trigramSet) mayContain(hs []uint32) bool {
	if t == nil {
		return true
	}
	for _, h := range hs {
		if t[h>>6]&(1<<(h&63)) == 0 {
			return false
		}
	}
	return true
}
