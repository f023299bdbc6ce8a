package review

import (
	"context"
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/design/model/modeltest"
	"github.com/redline-sec/redline/internal/design/standard"
	"github.com/redline-sec/redline/internal/design/threat"
)

// BenchmarkResubmit measures what the server does past the threat check
// when a changed 500-component, 2,000-interface model supersedes a review:
// the checklist, the previous model decoded again, the architecture diff
// and the risk diff.
func BenchmarkResubmit(b *testing.B) {
	std, err := standard.Resolve(standard.DefaultRef)
	if err != nil {
		b.Fatal(err)
	}
	sub := func(data []byte) Submission {
		m, err := model.Decode("synthetic.yaml", data, model.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := threat.Check(context.Background(), m, threat.Options{Rules: std.ThreatRules(), Params: std.Params, Standard: std.Ref()})
		if err != nil {
			b.Fatal(err)
		}
		y, err := model.Encode(m)
		if err != nil {
			b.Fatal(err)
		}
		return Submission{Model: m, ModelYAML: y, Standard: std.Ref(), StandardHash: std.Hash(), RedLineRules: std.RedLines, Result: res, By: "dev", At: t0}
	}
	old := sub(modeltest.Synthetic(500, 2000))
	changed := sub(modeltest.Synthetic(501, 2000))
	b.ResetTimer()
	for b.Loop() {
		prev, err := Submit(nil, old)
		if err != nil {
			b.Fatal(err)
		}
		next, err := Submit(prev, changed)
		if err != nil || next == nil || next.Diff == nil {
			b.Fatalf("resubmit: %v", err)
		}
	}
}
