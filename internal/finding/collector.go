package finding

import (
	"slices"
	"sync"
)

// Collector gathers the findings of analyzers that run concurrently inside
// the walk. The zero value is ready to use.
type Collector struct {
	mu       sync.Mutex
	findings []Finding
}

// Add records findings.
func (c *Collector) Add(fs ...Finding) {
	c.mu.Lock()
	c.findings = append(c.findings, fs...)
	c.mu.Unlock()
}

// Findings returns a sorted copy of everything added so far.
func (c *Collector) Findings() []Finding {
	c.mu.Lock()
	out := slices.Clone(c.findings)
	c.mu.Unlock()
	slices.SortStableFunc(out, func(a, b Finding) int { return Compare(&a, &b) })
	return out
}
