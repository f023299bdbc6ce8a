package store

import (
	"errors"
	"testing"

	"github.com/redline-sec/redline/internal/finding"
)

// FuzzDecodeCursor: a cursor from a client either decodes to a position
// that encodes back to the same cursor or is rejected with ErrInvalid.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(finding.SeverityHigh, 42))
	f.Add("")
	f.Add("NC4x")
	f.Add("LTEuMQ")
	f.Add(encodeBackwardCursor(finding.SeverityLow, 7))
	f.Fuzz(func(t *testing.T, c string) {
		pos, err := decodeCursor(c)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if pos.sev < 0 || pos.sev > int(finding.SeverityCritical) || pos.id < 0 {
			t.Fatalf("accepted out-of-range cursor %d.%d", pos.sev, pos.id)
		}
	})
}

// FuzzParseSLA: any text is either a valid SLA (every severity 1–3650
// days) or an ErrInvalid error.
func FuzzParseSLA(f *testing.F) {
	f.Add("critical=7,high=30,medium=90,low=180")
	f.Add("high=-1")
	f.Add("critical=1,critical=2")
	f.Fuzz(func(t *testing.T, s string) {
		sla, err := ParseSLA(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for _, d := range []int{sla.Critical, sla.High, sla.Medium, sla.Low} {
			if d < 1 || d > 3650 {
				t.Fatalf("ParseSLA(%q) = %+v", s, sla)
			}
		}
	})
}
