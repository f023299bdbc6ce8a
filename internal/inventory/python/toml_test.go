package python

import (
	"errors"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/inventory"
)

// A few megabytes of nested arrays overflow BurntSushi/toml's stack and kill
// the process; the shape check must refuse them first, with a line.
func TestDecodeTOMLHostileNesting(t *testing.T) {
	data := []byte("[[package]]\nname = \"a\"\nversion = \"1.0\"\nx = " + strings.Repeat("[", 4<<20))
	var v map[string]any
	err := decodeTOML("poetry.lock", data, &v)
	var perr *inventory.ParseError
	if !errors.As(err, &perr) || perr.Line != 4 || perr.Path != "poetry.lock" {
		t.Fatalf("decodeTOML = %v, want a ParseError at poetry.lock:4", err)
	}
}
