package dockerfile

import (
	"strings"
	"testing"
	"time"
)

// TestHostileInputs guards against quadratic behaviour: each input is near
// the limits and must parse and check in well under a second (the bound is
// loose for -race on a busy machine).
func TestHostileInputs(t *testing.T) {
	inputs := map[string]string{
		"pipes":     "FROM a\nRUN " + strings.Repeat("curl x|", 36000) + "\n",
		"cont":      "FROM a\nRUN x \\\n" + strings.Repeat("a\\\n", 60000),
		"onbuild":   "FROM a\n" + strings.Repeat("ONBUILD ", 30000) + "RUN x\n",
		"stages":    strings.Repeat("FROM a AS b\nFROM b AS c\nFROM c AS d\nFROM d AS e\n", 2400),
		"heredocs":  "FROM a\n" + strings.Repeat("RUN <<A <<B <<C\nx\nA\ny\nB\nz\nC\n", 9000),
		"shc":       "FROM a\nRUN " + strings.Repeat("sh -c 'sh -c \"sh -c x\"';", 10000) + "\n",
		"quotes":    "FROM a\nRUN " + strings.Repeat("'", 200000) + "\n",
		"env":       "FROM a\nENV " + strings.Repeat("A_TOKEN=x ", 25000) + "\n",
		"comments":  strings.Repeat("#\n", 1<<20),
		"lt":        "FROM a\nRUN " + strings.Repeat("1<<", 80000) + "\n",
		"copy":      "FROM a\nCOPY " + strings.Repeat("a.key ", 40000) + "/\n",
		"directive": strings.Repeat("# syntax=x\n", 300000),
	}
	for name, in := range inputs {
		start := time.Now()
		df, err := Parse([]byte(in))
		if err == nil {
			check(df)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: %d bytes took %v", name, len(in), d)
		}
	}
}
