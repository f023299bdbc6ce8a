package image

import "strings"

// visibility answers Visible after a walk. For every path it keeps the
// highest layer with an entry there (top) and the highest layer that hides
// everything below the path (cut): a whiteout of it, an opaque marker in
// it, or a non-directory in its place. A file of layer i at p is visible iff
// top[p] <= i and cut[a] <= i for every ancestor directory a of p.
type visibility struct {
	layers map[string]int32 // diff ID -> index of its highest occurrence
	paths  map[string]pathState
}

type pathState struct {
	top, cut int32 // -1 when none
}

func newVisibility(layers []walkLayer, recs [][]record) *visibility {
	v := &visibility{layers: make(map[string]int32, len(layers)), paths: map[string]pathState{}}
	for li, l := range layers {
		i := int32(l.index)
		v.layers[l.diffID] = i
		for _, r := range recs[li] {
			s, ok := v.paths[r.path]
			if !ok {
				s = pathState{top: -1, cut: -1}
			}
			if r.kind != kindOpaque {
				s.top = max(s.top, i)
			}
			if r.kind != kindDir {
				s.cut = max(s.cut, i)
			}
			v.paths[r.path] = s
		}
	}
	return v
}

func (v *visibility) visible(p, layer string) bool {
	i, ok := v.layers[layer]
	if !ok {
		return false
	}
	if s, ok := v.paths[p]; ok && s.top > i {
		return false
	}
	for p != "" {
		if j := strings.LastIndexByte(p, '/'); j >= 0 {
			p = p[:j]
		} else {
			p = ""
		}
		if s, ok := v.paths[p]; ok && s.cut > i {
			return false
		}
	}
	return true
}
