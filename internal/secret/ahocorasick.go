package secret

// matcher is an Aho–Corasick automaton over ASCII-case-folded bytes,
// compiled to a dense transition table over byte classes: each input byte
// costs one table lookup. Keywords are few hundred and short, so the table
// stays small (states × classes × 4 bytes).
type matcher struct {
	class   [256]uint8 // byte → class; 0 is "not in any keyword"
	nclass  int
	delta   []int32 // state*nclass + class → next state
	out     [][]int32
	lengths []int
}

func newMatcher(keywords []string) *matcher {
	m := &matcher{}
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := foldByte(k[i])
			if m.class[c] == 0 {
				m.nclass++
				m.class[c] = uint8(m.nclass)
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}
	m.nclass++ // class 0

	// Trie.
	type node struct {
		next map[uint8]int32
		fail int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for ki, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := m.class[foldByte(k[i])]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int32(ki))
		m.lengths = append(m.lengths, len(k))
	}

	// Breadth-first failure links and the dense table.
	m.delta = make([]int32, len(nodes)*m.nclass)
	m.out = make([][]int32, len(nodes))
	queue := []int32{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if s != 0 {
			nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		}
		m.out[s] = nodes[s].out
		for c := 0; c < m.nclass; c++ {
			n, ok := nodes[s].next[uint8(c)]
			switch {
			case ok && c != 0:
				if s != 0 {
					nodes[n].fail = m.delta[int(nodes[s].fail)*m.nclass+c]
				}
				m.delta[int(s)*m.nclass+c] = n
				queue = append(queue, n)
			case s != 0:
				m.delta[int(s)*m.nclass+c] = m.delta[int(nodes[s].fail)*m.nclass+c]
			}
		}
	}
	return m
}

func foldByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// scan calls fn with the keyword index and the end offset (exclusive) of
// every occurrence of a keyword in data, in order of end offset.
func (m *matcher) scan(data []byte, fn func(kw int, end int)) {
	s := int32(0)
	nc := m.nclass
	for i, b := range data {
		s = m.delta[int(s)*nc+int(m.class[b])]
		if out := m.out[s]; out != nil {
			for _, k := range out {
				fn(int(k), i+1)
			}
		}
	}
}
