package web

import (
	"net/url"
	"testing"
)

// FuzzFindingQuery feeds the explorer's parameter parser arbitrary query
// strings: it never panics, and what it accepts stays within its bounds.
func FuzzFindingQuery(f *testing.F) {
	for _, s := range []string{"", "state=open&state=in_triage&severity=critical&kind=secret&q=log4j", "target=12&cursor=MTAuNQ",
		"target=-1", "severity=urgent", "q=%00%ff", "kind=&kind=rbac", "state=open;state=fixed"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseFindingQuery(v)
		if err != nil {
			return
		}
		if len(q.Text) > 256 || len(q.Product) > 256 || q.TargetID < 0 || len(q.States) > 10 || len(q.Severities) > 10 || len(q.Kinds) > 20 || q.Limit != explorerPageSize {
			t.Fatalf("accepted out-of-bounds query %+v from %q", q, raw)
		}
	})
}
