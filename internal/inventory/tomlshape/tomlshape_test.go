package tomlshape

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name     string
		in       string
		wantLine int // 0: accepted
	}{
		{"lock file", "version = 3\n\n[[package]]\nname = \"a\"\nfiles = [{file = \"a-1.0.tar.gz\", hash = \"sha256:00\"}]\n", 0},
		{"deep arrays", "a = " + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), 1},
		{"at the limit", "a = " + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), 0},
		{"deep on line 3", "x = 1\ny = 2\nz = " + strings.Repeat("{a=", MaxDepth+1), 3},
		{"brackets in strings", "a = \"" + strings.Repeat("[", 100) + "\"\nb = '" + strings.Repeat("{", 100) + "'", 0},
		{"brackets in comments", "# " + strings.Repeat("[", 100) + "\n", 0},
		{"brackets in multi-line strings", "a = \"\"\"\n" + strings.Repeat("[", 100) + "\n\"\"\"\nb = '''" + strings.Repeat("{", 100) + "'''", 0},
		{"escaped quote", `a = "\"[[[[" ` + "\n", 0},
		{"many dots", "a" + strings.Repeat(".a", MaxDots+1) + " = 1", 1},
		{"dots in strings", "a = \"" + strings.Repeat(".", 1000) + "\"", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			line, err := Check([]byte(c.in))
			if c.wantLine == 0 {
				if err != nil {
					t.Errorf("Check = line %d, %v; want accepted", line, err)
				}
				return
			}
			if err == nil || line != c.wantLine {
				t.Errorf("Check = line %d, %v; want an error at line %d", line, err, c.wantLine)
			}
		})
	}
}

// FuzzCheck: whatever Check accepts, the decoder must survive (no stack
// overflow, which would kill the fuzzing process itself).
func FuzzCheck(f *testing.F) {
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1.0\"\n"))
	f.Add([]byte("a = [[[[1]]]]\n"))
	f.Add([]byte("a.b.c = {d = [1, {e = 2}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		line, err := Check(data)
		if err != nil {
			if line < 1 {
				t.Fatalf("error %v without a line", err)
			}
			return
		}
		var v map[string]any
		_, _ = toml.Decode(string(data), &v)
	})
}
