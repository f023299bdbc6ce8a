package vulndb

import (
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		st    Status
		age   time.Duration
		stale bool
	}{
		{"empty database: build time", Status{Built: now.Add(-time.Hour)}, time.Hour, false},
		{"oldest ecosystem counts", Status{Built: now, Ecosystems: []EcosystemStatus{
			{Name: "Go", Updated: now.Add(-2 * time.Hour)},
			{Name: "PyPI", Updated: now.Add(-8 * 24 * time.Hour)},
			{Name: "npm", Updated: now.Add(-time.Minute)},
		}}, 8 * 24 * time.Hour, true},
		{"exactly StaleAfter is not stale", Status{Ecosystems: []EcosystemStatus{{Updated: now.Add(-StaleAfter)}}}, StaleAfter, false},
		{"no times", Status{}, 0, false},
	}
	for _, tt := range tests {
		if got := Age(&tt.st, now); got != tt.age {
			t.Errorf("%s: Age = %v, want %v", tt.name, got, tt.age)
		}
		if got := Stale(&tt.st, now); got != tt.stale {
			t.Errorf("%s: Stale = %v, want %v", tt.name, got, tt.stale)
		}
	}
}
