package model

import (
	"context"
	"reflect"
	"testing"

	"github.com/redline-sec/redline/internal/design/model/modeltest"
)

// TestEncodeRoundTrip checks that Decode(Encode(m)) gives back m, value for
// value, for the example and a synthetic model.
func TestEncodeRoundTrip(t *testing.T) {
	ex, err := Load(context.Background(), exampleModel, Options{})
	if err != nil {
		t.Fatal(err)
	}
	syn, err := Decode("synthetic.yaml", modeltest.Synthetic(30, 60), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{ex, syn, smallModel()} {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode("back.yaml", b, Limits{})
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if back.Hash() != m.Hash() {
			d := Compare(m, back)
			t.Errorf("%s: round trip changed the model: %+v", m.Metadata.Product, d.Changes)
		}
		again, err := Encode(back)
		if err != nil || !reflect.DeepEqual(again, b) {
			t.Errorf("%s: encoding is not stable", m.Metadata.Product)
		}
	}
}
