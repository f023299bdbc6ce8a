package scan

import (
	"context"
	"reflect"
	"testing"

	"github.com/redline-sec/redline/internal/artifact"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/inventory"
)

// layeredStub says which (path, layer) pairs are in the squashed tree.
type layeredStub struct{ visible map[string]bool }

func (layeredStub) Target() finding.Target                                 { return finding.Target{Kind: "image"} }
func (layeredStub) Walk(context.Context, func(artifact.Entry) error) error { return nil }
func (l layeredStub) Visible(path, layer string) bool                      { return l.visible[layer+":"+path] }

func TestVisiblePackages(t *testing.T) {
	loc := func(layer, path string) finding.Location { return finding.Location{Path: path, Layer: layer} }
	pkgs := []inventory.Package{
		{Name: "kept", Locations: []finding.Location{loc("sha256:1", "app/go.mod"), loc("sha256:2", "app/go.mod")}},
		{Name: "deleted", Locations: []finding.Location{loc("sha256:1", "old/requirements.txt")}},
	}
	a := layeredStub{visible: map[string]bool{"sha256:2:app/go.mod": true}}
	got := visiblePackages(a, append([]inventory.Package(nil), pkgs...))
	want := []inventory.Package{{Name: "kept", Locations: []finding.Location{loc("sha256:2", "app/go.mod")}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("visiblePackages = %+v, want %+v", got, want)
	}
}
