package model

import (
	"reflect"
	"strconv"
	"strings"
)

// field is one YAML key of a schema struct, read from its tags:
// yaml:"name" for the key, model:"required,id,min=N,max=N" for constraints
// and doc:"..." for the JSON Schema description.
type field struct {
	index    int
	key      string
	doc      string
	required bool
	id       bool // the value is an element id (slug)
	min, max *int
}

// structInfo is the key table of a schema struct.
type structInfo struct {
	fields []field
	byKey  map[string]*field
	keys   []string // in declaration order, for messages
	posIdx int      // index of the Pos field, or -1
}

var (
	posType  = reflect.TypeFor[Pos]()
	enumType = reflect.TypeFor[enum]()
)

// fieldTable builds (and caches in cache) the key table of struct type t.
func fieldTable(cache map[reflect.Type]*structInfo, t reflect.Type) *structInfo {
	if si, ok := cache[t]; ok {
		return si
	}
	si := &structInfo{byKey: make(map[string]*field), posIdx: -1}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Type == posType {
			si.posIdx = i
			continue
		}
		key := sf.Tag.Get("yaml")
		if key == "" || key == "-" {
			continue
		}
		f := field{index: i, key: key, doc: sf.Tag.Get("doc")}
		for opt := range strings.SplitSeq(sf.Tag.Get("model"), ",") {
			name, val, _ := strings.Cut(opt, "=")
			switch name {
			case "required":
				f.required = true
			case "id":
				f.id = true
			case "min", "max":
				n, err := strconv.Atoi(val)
				if err != nil {
					panic("model: bad tag on " + t.Name() + "." + sf.Name) // a programming error in this package
				}
				if name == "min" {
					f.min = &n
				} else {
					f.max = &n
				}
			}
		}
		si.fields = append(si.fields, f)
		si.keys = append(si.keys, key)
	}
	for i := range si.fields {
		si.byKey[si.fields[i].key] = &si.fields[i]
	}
	cache[t] = si
	return si
}

// allowedValues returns the allowed values of an enum type, or nil.
func allowedValues(t reflect.Type) []string {
	if t.Kind() == reflect.String && t.Implements(enumType) {
		return reflect.Zero(t).Interface().(enum).allowed()
	}
	return nil
}

// closest returns the candidate nearest to s by edit distance when it is
// near enough to be a likely typo, else "".
func closest(s string, candidates []string) string {
	if len(s) < 3 {
		return ""
	}
	best, bestD := "", 3
	if len(s) <= 4 {
		bestD = 2
	}
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	// Optimal string alignment: insertions, deletions, substitutions and
	// transpositions of neighbours ("grcp" is one step from "grpc").
	pp := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(b)]
}
