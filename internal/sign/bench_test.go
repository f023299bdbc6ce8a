package sign

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkVerify is one full `redline verify` against a loopback registry:
// resolve the tag, fetch the .sig manifest and payload, list referrers
// (API probe and fallback tag), fetch the bundle, check both signatures.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	reg := newTestRegistry(b, false)
	reg.pushImage("app", "v1", d1)
	ref := reg.host + "/app:v1"
	s := signerFixture(b, "cosign")
	if _, err := Sign(ctx, ref, s, SignOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := Sign(ctx, ref, s, SignOptions{Bundle: true}); err != nil {
		b.Fatal(err)
	}
	v := verifierFixture(b, "cosign")
	for b.Loop() {
		res, err := Verify(ctx, ref, v, VerifyOptions{})
		if err != nil || len(res.Signatures) != 2 {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkSign is one legacy `redline sign` (resolve, sign, upload, push)
// with a local ECDSA P-256 key against a loopback registry.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	for _, bundle := range []bool{false, true} {
		name := "legacy"
		if bundle {
			name = "bundle"
		}
		b.Run(name, func(b *testing.B) {
			reg := newTestRegistry(b, false)
			reg.pushImage("app", "v1", d1)
			s := signerFixture(b, "cosign")
			i := 0
			for b.Loop() {
				// A new annotation each time (no duplicate), and the .sig
				// manifest would fill up, so reset it every 50.
				i++
				if i%50 == 0 {
					reg.putManifest("app", fallbackTag(d1)+".sig", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`))
				}
				if _, err := Sign(ctx, reg.host+"/app:v1", s, SignOptions{Bundle: bundle, Annotations: map[string]string{"n": strconv.Itoa(i)}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
