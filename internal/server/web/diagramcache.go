package web

import (
	"container/list"
	"crypto/sha256"
	"html/template"
	"sync"
)

// Bounds of the review diagram cache: entries, and bytes of SVG in all.
const (
	diagramCacheEntries = 64
	diagramCacheBytes   = 32 << 20
)

// diagramKey names one rendering of a review diagram: the digest of the
// stored model's bytes and of the colouring (each element's worst open
// risk). Both are content hashes, so a cached diagram is never stale.
type diagramKey struct {
	model, colours [sha256.Size]byte
}

// diagramCache is a bounded LRU of rendered review diagrams, so that
// repeat views of a review do not decode its model again. It is safe for
// concurrent use.
type diagramCache struct {
	mu      sync.Mutex
	entries map[diagramKey]*list.Element
	lru     *list.List // of *diagramEntry, most recent first
	bytes   int
	// maxEntries and maxBytes bound the cache.
	maxEntries, maxBytes int
}

type diagramEntry struct {
	key diagramKey
	svg template.HTML
}

func newDiagramCache(maxEntries, maxBytes int) *diagramCache {
	return &diagramCache{entries: map[diagramKey]*list.Element{}, lru: list.New(), maxEntries: maxEntries, maxBytes: maxBytes}
}

// get returns the cached diagram of k.
func (c *diagramCache) get(k diagramKey) (template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return "", false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*diagramEntry).svg, true
}

// put caches the diagram of k, dropping the least recently used ones
// beyond the bounds. A diagram larger than the whole cache is not kept.
func (c *diagramCache) put(k diagramKey, svg template.HTML) {
	if len(svg) > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.lru.MoveToFront(el)
		return
	}
	c.entries[k] = c.lru.PushFront(&diagramEntry{key: k, svg: svg})
	c.bytes += len(svg)
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		old := c.lru.Back()
		e := old.Value.(*diagramEntry)
		c.lru.Remove(old)
		delete(c.entries, e.key)
		c.bytes -= len(e.svg)
	}
}

// len is how many diagrams the cache holds.
func (c *diagramCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
