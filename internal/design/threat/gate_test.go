package threat

import (
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/design/model"
	"github.com/redline-sec/redline/internal/finding"
	"github.com/redline-sec/redline/internal/policy"
)

func TestDecide(t *testing.T) {
	m := cleanModel()
	comp(m, "web").Controls.Application.RASP = false // RL-APP-002, medium
	comp(m, "db").Logging.Central = false            // RL-HOST-005, low
	m.Exceptions = []model.Exception{{Rule: "RL-HOST-005", Element: "db", Owner: "o", Reason: "r", Expires: future}}

	res := check(t, m, Options{})
	d := res.Decide(&policy.Gate{FailOn: policy.FailAt(finding.SeverityHigh)})
	if d.Blocked || len(d.Suppressed) != 1 || len(d.Findings) != 1 {
		t.Errorf("no red lines, high threshold: blocked=%v findings=%d suppressed=%d", d.Blocked, len(d.Findings), len(d.Suppressed))
	}
	d = res.Decide(&policy.Gate{FailOn: policy.FailAt(finding.SeverityMedium)})
	if !d.Blocked || len(d.Blockers) != 1 || d.Blockers[0].RedLine {
		t.Errorf("medium threshold: blocked=%v blockers=%+v", d.Blocked, d.Blockers)
	}

	res = check(t, m, Options{Rules: redLineAPP002(), Standard: "corp@1"})
	d = res.Decide(nil)
	if !d.Blocked || len(d.Blockers) != 1 || !d.Blockers[0].RedLine || !strings.Contains(d.Reasons[0], "RL-APP-002") {
		t.Errorf("red line with threshold none: blocked=%v blockers=%+v reasons=%q", d.Blocked, d.Blockers, d.Reasons)
	}
	if d.Policy != "standard corp@1" {
		t.Errorf("policy %q", d.Policy)
	}
}
