package sign

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// countingTransport counts registry requests.
type countingTransport struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	reg := newTestRegistry(t, false)
	reg.pushImage("app", "v1", d1)
	ref := reg.host + "/app@" + d1
	if _, err := Sign(ctx, ref, signerFixture(t, "cosign"), SignOptions{Annotations: map[string]string{"env": "ci"}}); err != nil {
		t.Fatal(err)
	}
	tr := &countingTransport{base: http.DefaultTransport}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCache(CacheOptions{Size: 2, TTL: time.Minute, Now: func() time.Time { return clock }})
	opts := VerifyOptions{Registry: Registry{Transport: tr}}
	cosign, other := verifierFixture(t, "cosign"), verifierFixture(t, "other")

	if _, err := c.Verify(ctx, ref, cosign, opts); err != nil {
		t.Fatal(err)
	}
	cold := tr.n.Load()
	if cold == 0 {
		t.Fatal("no requests on a cold verify")
	}
	res, err := c.Verify(ctx, ref, cosign, opts)
	if err != nil || res.Reference != ref || len(res.Signatures) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if tr.n.Load() != cold {
		t.Fatal("warm verify used the network")
	}
	// Another key, other annotations: not the same entry; failures are not
	// cached.
	for range 2 {
		if _, err := c.Verify(ctx, ref, other, opts); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("other key: %v", err)
		}
	}
	if c.Len() != 1 {
		t.Fatalf("%d entries, failures cached", c.Len())
	}
	withAnn := opts
	withAnn.Annotations = map[string]string{"env": "ci"}
	before := tr.n.Load()
	if _, err := c.Verify(ctx, ref, cosign, withAnn); err != nil {
		t.Fatal(err)
	}
	if tr.n.Load() == before {
		t.Fatal("annotation options shared an entry")
	}
	// TTL.
	clock = clock.Add(time.Minute)
	before = tr.n.Load()
	if _, err := c.Verify(ctx, ref, cosign, opts); err != nil {
		t.Fatal(err)
	}
	if tr.n.Load() == before {
		t.Fatal("expired entry answered")
	}
	// Size bound and Purge.
	if c.Len() > 2 {
		t.Fatalf("%d entries over size 2", c.Len())
	}
	c.Purge()
	if c.Len() != 0 {
		t.Fatal("purge left entries")
	}
	// A tag reference is resolved every time.
	tagRef := reg.host + "/app:v1"
	if _, err := c.Verify(ctx, tagRef, cosign, opts); err != nil {
		t.Fatal(err)
	}
	before = tr.n.Load()
	if _, err := c.Verify(ctx, tagRef, cosign, opts); err != nil {
		t.Fatal(err)
	}
	if tr.n.Load() == before {
		t.Fatal("tag reference answered without resolving")
	}
	// ... and the digest it resolved to is warm.
	before = tr.n.Load()
	if _, err := c.Verify(ctx, ref, cosign, opts); err != nil || tr.n.Load() != before {
		t.Fatalf("digest after tag verify: %v, %d requests", err, tr.n.Load()-before)
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	ctx := context.Background()
	reg := newTestRegistry(b, false)
	reg.pushImage("app", "v1", d1)
	ref := reg.host + "/app@" + d1
	if _, err := Sign(ctx, ref, signerFixture(b, "cosign"), SignOptions{}); err != nil {
		b.Fatal(err)
	}
	c := NewCache(CacheOptions{})
	v := verifierFixture(b, "cosign")
	if _, err := c.Verify(ctx, ref, v, VerifyOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Verify(ctx, ref, v, VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
