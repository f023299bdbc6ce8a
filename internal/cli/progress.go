package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress draws one self-overwriting status line on a terminal, at most a
// few times a second. On anything but a terminal it draws nothing.
type progress struct {
	w       io.Writer
	enabled bool

	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgress(g *globals) *progress {
	return &progress{w: g.stderr, enabled: g.interactive()}
}

// Update redraws the line if enough time has passed since the last draw.
func (p *progress) Update(format string, args ...any) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.drawn = true
	fmt.Fprintf(p.w, "\r\033[K"+format, args...)
}

// Done clears the line.
func (p *progress) Done() {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
