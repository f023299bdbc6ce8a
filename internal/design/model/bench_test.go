package model

import (
	"testing"

	"github.com/redline-sec/redline/internal/design/model/modeltest"
)

// BenchmarkDecode500 decodes and validates a 500-component, 2,000-interface
// model (the size `redline model check` must handle in under a second).
func BenchmarkDecode500(b *testing.B) {
	data := modeltest.Synthetic(500, 2000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode("synthetic.yaml", data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGraph500 builds the graph index and derived facts of the same
// model.
func BenchmarkGraph500(b *testing.B) {
	m, err := Decode("synthetic.yaml", modeltest.Synthetic(500, 2000), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		g := NewGraph(m)
		for i := range m.Interfaces {
			g.ZonesCrossed(&m.Interfaces[i])
		}
	}
}
