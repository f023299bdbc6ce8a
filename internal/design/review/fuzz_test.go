package review

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
)

// FuzzSubmit feeds submitted models (as the server decodes them) through a
// review: open it, supersede a review of the seed model with it, list the
// blockers and ask the gate. None of it may panic.
func FuzzSubmit(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "v1.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("apiVersion: redline.dev/v1alpha1\nkind: ArchitectureModel\nmetadata: {product: p, release: r, owner: o, standard: redline-baseline@2026H2}\n"))
	std, err := standard.Resolve(standard.DefaultRef)
	if err != nil {
		f.Fatal(err)
	}
	limits := model.Limits{MaxFileSize: 1 << 20, MaxTotalSize: 1 << 20, MaxNodes: 100_000, MaxAliasNodes: 10_000}
	submit := func(data []byte) (Submission, bool) {
		m, err := model.Decode("fuzz.yaml", data, limits)
		if err != nil || model.Validate(m) != nil {
			return Submission{}, false
		}
		res, err := threat.Check(context.Background(), m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref(),
			Now: func() time.Time { return t0 }})
		if err != nil {
			return Submission{}, false
		}
		y, err := model.Encode(m)
		if err != nil {
			return Submission{}, false
		}
		return Submission{Model: m, ModelYAML: y, Standard: std.Ref(), StandardHash: std.Hash(), RedLineRules: std.RedLines,
			Result: res, By: "dev", At: t0}, true
	}
	base, ok := submit(seed)
	if !ok {
		f.Fatal("the seed model does not load")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sub, ok := submit(data)
		if !ok {
			return
		}
		r, err := Submit(nil, sub)
		if err != nil {
			return
		}
		_ = r.Blockers("sec", t0)
		_ = Gate(r.Product, r.Release, "", nil, r, t0)
		prev, err := Submit(nil, base)
		if err != nil {
			t.Fatal(err)
		}
		prev.ID = 1
		if next, err := Submit(prev, sub); err == nil && next != nil && next.Diff == nil {
			t.Fatal("a superseding review carries no diff")
		}
	})
}
