package image

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redline-sec/redline/internal/artifact"
)

// BenchmarkWalk walks a 4-layer image of 4,000 files of 2 KiB from an OCI
// layout, opening one file in ten.
func BenchmarkWalk(b *testing.B) {
	var layers [][]tent
	for l := range 4 {
		var ents []tent
		for i := range 1000 {
			ents = append(ents, tent{name: fmt.Sprintf("usr/lib/pkg%d/f%d.txt", i%50, i+l*1000), body: strings.Repeat("x", 2048)})
		}
		layers = append(layers, ents)
	}
	im := imageFrom(b, buildImage(b, "amd64", layers...), quiet)
	b.ResetTimer()
	for b.Loop() {
		var n atomic.Int64
		err := im.Walk(context.Background(), func(e artifact.Entry) error {
			if n.Add(1)%10 == 0 {
				c, err := e.Open()
				if err != nil {
					return err
				}
				c.Close()
			}
			return nil
		})
		if err != nil || n.Load() != 4000 {
			b.Fatalf("%d files, %v", n.Load(), err)
		}
	}
}
