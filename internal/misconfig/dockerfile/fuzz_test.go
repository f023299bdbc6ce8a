package dockerfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and the checks. Neither may panic;
// a successful parse must give instructions in file order with sane lines,
// and every check result must name a catalogued rule at an instruction line.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/buildkit/*/Dockerfile")
	more, _ := filepath.Glob("testdata/*.Dockerfile")
	seeds = append(seeds, more...)
	more, _ = filepath.Glob("testdata/real/*")
	seeds = append(seeds, more...)
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, tc := range checkCases {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		df, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		starts := map[int]bool{}
		prevEnd := 0
		for _, in := range df.Instructions {
			if !knownInstructions[in.Cmd] {
				t.Fatalf("unknown instruction %q", in.Cmd)
			}
			if in.Line <= prevEnd || in.EndLine < in.Line || in.EndLine > lines {
				t.Fatalf("%s lines %d-%d after %d (file has %d)", in.Cmd, in.Line, in.EndLine, prevEnd, lines)
			}
			if len(in.Args) > MaxInstructionLength {
				t.Fatalf("instruction of %d bytes", len(in.Args))
			}
			prevEnd = in.EndLine
			starts[in.Line] = true
		}
		if len(df.Instructions) > MaxInstructions {
			t.Fatalf("%d instructions", len(df.Instructions))
		}
		for _, r := range check(df) {
			if ruleByID[r.rule] == nil || !starts[r.line] || len(r.evidence) > 210 {
				t.Fatalf("bad result %+v", r)
			}
		}
	})
}
