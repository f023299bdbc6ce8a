package web

import (
	"crypto/sha256"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"testing"
)

func TestDiagramCacheBounds(t *testing.T) {
	key := func(i int) diagramKey { return diagramKey{model: sha256.Sum256([]byte(fmt.Sprint(i)))} }
	c := newDiagramCache(3, 100)
	for i := range 3 {
		c.put(key(i), template.HTML(strings.Repeat("x", 10)))
	}
	c.get(key(0)) // 0 is now the most recent: 1 goes first
	c.put(key(3), "y")
	if _, ok := c.get(key(1)); ok || c.len() != 3 {
		t.Fatalf("entry bound: len %d, least recent kept %v", c.len(), ok)
	}
	for _, i := range []int{0, 2, 3} {
		if _, ok := c.get(key(i)); !ok {
			t.Errorf("entry %d dropped", i)
		}
	}
	c.put(key(4), template.HTML(strings.Repeat("z", 95))) // bytes bound: only it and the newest small ones fit
	if c.bytes > 100 || c.len() != 2 {
		t.Errorf("byte bound: %d bytes in %d entries", c.bytes, c.len())
	}
	c.put(key(5), template.HTML(strings.Repeat("w", 101))) // larger than the cache
	if _, ok := c.get(key(5)); ok {
		t.Error("an oversized diagram was kept")
	}
	if svg, ok := c.get(key(4)); !ok || len(svg) != 95 {
		t.Error("the big entry was dropped")
	}
}

// TestReviewDiagramCached views a review twice: the second view is served
// from the cache with the same diagram; a changed colouring is drawn anew.
func TestReviewDiagramCached(t *testing.T) {
	f := reviewFixture(t)
	rv := submitReview(t, f.st, saasModel(t))
	path := fmt.Sprintf("/ui/reviews/%d", rv.ID)
	svgOf := func(body string) string {
		i, j := strings.Index(body, "<svg "), strings.Index(body, "</svg>")
		if i < 0 || j < i {
			t.Fatal("no diagram")
		}
		return body[i:j]
	}
	res, first := f.do(t, "GET", path, "rev-sec", nil)
	if res.StatusCode != http.StatusOK || f.dash.diagrams.len() != 1 {
		t.Fatalf("first view: %d, %d cached", res.StatusCode, f.dash.diagrams.len())
	}
	_, second := f.do(t, "GET", path, "rev-sec", nil)
	if svgOf(second) != svgOf(first) || f.dash.diagrams.len() != 1 {
		t.Fatalf("second view: diagram differs or %d cached", f.dash.diagrams.len())
	}
	cached, err1 := f.dash.reviewDiagram(&rv)
	fresh, err2 := New(Config{Store: f.st, Auth: f.auth, Now: f.dash.cfg.Now}).reviewDiagram(&rv)
	if err1 != nil || err2 != nil || cached != fresh || f.dash.diagrams.len() != 1 {
		t.Fatalf("uncached drawing differs from the cached one (%v, %v)", err1, err2)
	}
	// Without its open risks the same model is coloured differently.
	plain := rv
	plain.Risks.Open = nil
	recoloured, err := f.dash.reviewDiagram(&plain)
	if err != nil || f.dash.diagrams.len() != 2 || recoloured == cached {
		t.Fatalf("recoloured diagram: %d cached, same %v (%v)", f.dash.diagrams.len(), recoloured == cached, err)
	}
}
