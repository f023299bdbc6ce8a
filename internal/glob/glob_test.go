package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"go.mod", "go.mod", true},
		{"go.mod", "a/go.mod", false},
		{"**/go.mod", "go.mod", true},
		{"**/go.mod", "a/b/go.mod", true},
		{"services/**/go.mod", "services/go.mod", true},
		{"services/**/go.mod", "services/api/v2/go.mod", true},
		{"services/**/go.mod", "services/api/go.sum", false},
		{"services/**/go.mod", "other/api/go.mod", false},
		{"services/*/go.mod", "services/api/go.mod", true},
		{"services/*/go.mod", "services/api/v2/go.mod", false},
		{"*.env", "prod.env", true},
		{"*.env", "config/prod.env", false},
		{"config/**", "config/a/b.env", true},
		{"config/**", "config", true},
		{"**", "anything/at/all", true},
		{"**/**/x", "x", true},
		{"a/?/c", "a/b/c", true},
		{"a/[bc]/d", "a/c/d", true},
		{"a/[bc]/d", "a/e/d", false},
		{"a/b", "a/b/c", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []string{"a/**/b", "*.go", "a/[bc]/d", "**"} {
		if err := Validate(p); err != nil {
			t.Errorf("Validate(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"a/[b", strings.Repeat("a/", MaxSegments+1)} {
		if Validate(p) == nil {
			t.Errorf("Validate(%q): want an error", p)
		}
	}
}

// Many "**" must not make matching exponential.
func TestMatchManyDoubleStars(t *testing.T) {
	pattern := strings.Repeat("**/", 40) + "x"
	name := strings.Repeat("a/", 40) + "y"
	if Match(pattern, name) {
		t.Error("matched")
	}
}
