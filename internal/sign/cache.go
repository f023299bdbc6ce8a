package sign

import (
	"container/list"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature"
	"golang.org/x/sync/singleflight"
)

// Cache defaults.
const (
	DefaultCacheSize = 10_000
	DefaultCacheTTL  = 5 * time.Minute
)

// Cache remembers successful signature verifications so that checking an
// already-verified image again needs no network: the warm path of an
// admission webhook.
//
// Invalidation rules:
//   - An entry is keyed by repository, manifest digest, public key (its
//     SHA-256 SPKI hint) and the required annotations. A digest names
//     immutable content, so the image cannot change under an entry; a
//     different key or different required annotations never share one.
//   - Only successes are cached. A failure is checked again on the next
//     call, so an image signed a moment ago is accepted at once.
//   - An entry lives at most TTL. That bounds how long a revoked signature
//     (its .sig tag or referrer deleted) is still accepted; call Purge when
//     trust changes (a key rotated out) to stop at once.
//   - A reference by tag is resolved on every call (network), since a tag
//     can move; only the verification of the digest it names is cached.
//   - At most Size entries; the least recently used goes first.
//
// Concurrent misses for the same entry share one verification.
type Cache struct {
	size int
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List // front: most recently used
	group   singleflight.Group
}

type cacheEntry struct {
	key     string
	result  Result
	expires time.Time
}

// CacheOptions configures NewCache; zero values take the defaults.
type CacheOptions struct {
	Size int
	TTL  time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NewCache returns an empty cache.
func NewCache(o CacheOptions) *Cache {
	c := &Cache{size: o.Size, ttl: o.TTL, now: o.Now, entries: make(map[string]*list.Element), lru: list.New()}
	if c.size <= 0 {
		c.size = DefaultCacheSize
	}
	if c.ttl <= 0 {
		c.ttl = DefaultCacheTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Verify is Verify with the cache: a digest reference already verified
// with the same key and annotations within TTL is answered from memory.
func (c *Cache) Verify(ctx context.Context, ref string, v signature.Verifier, opts VerifyOptions) (*Result, error) {
	var nopts []name.Option
	if opts.Registry.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("parse reference %q: %w", ref, err)
	}
	pub, err := v.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("verifier public key: %w", err)
	}
	hint, err := KeyHint(pub)
	if err != nil {
		return nil, err
	}
	if d, ok := r.(name.Digest); ok {
		key := cacheKey(d, hint, opts.Annotations)
		if res, ok := c.get(key); ok {
			res.Reference = ref
			return res, nil
		}
		out, err, _ := c.group.Do(key, func() (any, error) {
			res, err := Verify(ctx, ref, v, opts)
			if err == nil {
				c.put(key, res)
			}
			return res, err
		})
		res, _ := out.(*Result)
		return copyResult(res, ref), err
	}
	res, err := Verify(ctx, ref, v, opts)
	if err == nil {
		c.put(cacheKey(r.Context().Digest(res.Digest), hint, opts.Annotations), res)
	}
	return res, err
}

// Len returns the number of live and expired entries held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Purge drops every entry.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.lru.Init()
}

func (c *Cache) get(key string) (*Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.entries, key)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return copyResult(&e.result, ""), true
}

func (c *Cache) put(key string, res *Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry{key: key, result: *copyResult(res, ""), expires: c.now().Add(c.ttl)}
	if el, ok := c.entries[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.size {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
}

// cacheKey is "repo@digest|hint|k=v,k=v" (annotations sorted).
func cacheKey(d name.Digest, hint string, ann map[string]string) string {
	var b strings.Builder
	b.WriteString(d.Context().Name())
	b.WriteByte('@')
	b.WriteString(d.DigestStr())
	b.WriteByte('|')
	b.WriteString(hint)
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		fmt.Fprintf(&b, "|%q=%q", k, ann[k])
	}
	return b.String()
}

// copyResult returns a copy callers may modify, with Reference set when
// ref is not "".
func copyResult(r *Result, ref string) *Result {
	if r == nil {
		return nil
	}
	out := *r
	out.Signatures = slices.Clone(r.Signatures)
	out.Rejected = slices.Clone(r.Rejected)
	if ref != "" {
		out.Reference = ref
	}
	return &out
}
