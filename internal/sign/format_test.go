package sign

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The writers must reproduce cosign's bytes (fixtures README §9.5).
func TestWriterReproducesCosign(t *testing.T) {
	t.Run("legacy signature manifest", func(t *testing.T) {
		payload := readFixture(t, "raw/legacy-sig/payload.simplesigning.json")
		sig := strings.TrimSpace(string(readFixture(t, "raw/legacy-sig/signature.b64")))
		l := descriptorOf(payload, SimpleSigningMediaType)
		l.Annotations = map[string]string{SignatureAnnotation: sig}
		m, cfg, err := legacyManifest([]v1.Descriptor{l})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, readFixture(t, "raw/legacy-sig/manifest.json")) || !bytes.Equal(cfg, readFixture(t, "raw/legacy-sig/config.json")) {
			t.Fatalf("manifest %s\nconfig %s", m, cfg)
		}
		if got := sha256Hash(m).String(); got != "sha256:9e26d89b7edd9b9fc034fc36be1c3a9f8bb2a74bb7c63155cd93729a3cce089d" {
			t.Fatalf("digest %s", got)
		}
	})
	t.Run("legacy payload", func(t *testing.T) {
		p := NewPayload("127.0.0.1:5077/fixtures/hello", d1, map[string]string{"env": "test"})
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if want := readFixture(t, "raw/legacy-sig/payload.simplesigning.json"); !bytes.Equal(b, want) {
			t.Fatalf("got  %s\nwant %s", b, want)
		}
	})
	t.Run("legacy attestation manifest", func(t *testing.T) {
		var layers []v1.Descriptor
		for _, f := range []struct{ file, pt string }{
			{"layer0-cyclonedx.dsse.json", "https://cyclonedx.org/bom"},
			{"layer1-vuln.dsse.json", "https://cosign.sigstore.dev/attestation/vuln/v1"},
		} {
			l := descriptorOf(readFixture(t, "raw/legacy-att/"+f.file), DSSEMediaType)
			l.Annotations = map[string]string{SignatureAnnotation: "", PredicateTypeAnnotation: f.pt}
			layers = append(layers, l)
		}
		m, cfg, err := legacyManifest(layers)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, readFixture(t, "raw/legacy-att/manifest.json")) || !bytes.Equal(cfg, readFixture(t, "raw/legacy-att/config.json")) {
			t.Fatalf("manifest %s\nconfig %s", m, cfg)
		}
	})
	t.Run("bundle referrer manifest", func(t *testing.T) {
		created, _ := time.Parse(time.RFC3339, "2026-11-22T23:07:10Z")
		subject := v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: 401, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.TrimPrefix(d2, "sha256:")}}
		m, err := referrerManifest(readFixture(t, "raw/bundle/sign.bundle.json"), SignPredicateType, created, subject)
		if err != nil {
			t.Fatal(err)
		}
		if want := readFixture(t, "raw/bundle/sign.referrer-manifest.json"); !bytes.Equal(m, want) {
			t.Fatalf("got  %s\nwant %s", m, want)
		}
	})
	t.Run("bundle and envelope encoding", func(t *testing.T) {
		want := readFixture(t, "raw/bundle/sign.bundle.json")
		bu, err := ParseBundle(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(bu)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		hint, err := KeyHint(mustPub(t, verifierFixture(t, "cosign")))
		if err != nil || hint != bu.VerificationMaterial.PublicKey.Hint || hint != "USc8T/0MeF3EWJ+7r8KCd0uPTDKj5kmsAkN2d3NoabE=" {
			t.Fatalf("hint %s, %v", hint, err)
		}
	})
}

func TestPAEMatchesCosign(t *testing.T) {
	for _, f := range []string{"raw/legacy-att/layer0-cyclonedx", "raw/legacy-att/layer1-vuln"} {
		env, err := ParseEnvelope(readFixture(t, f+".dsse.json"))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := env.DecodedPayload()
		if !bytes.Equal(p, readFixture(t, f+".statement.json")) {
			t.Fatalf("%s: payload differs", f)
		}
		if !bytes.Equal(PAE(env.PayloadType, p), readFixture(t, f+".pae.bin")) {
			t.Fatalf("%s: PAE differs", f)
		}
	}
	if got := string(PAE("t", []byte("ab"))); got != "DSSEv1 1 t 2 ab" {
		t.Fatalf("PAE %q", got)
	}
}

// Verification of the fixtures' objects read straight from the OCI layouts
// (no registry), and byte flips of them.
func TestLayoutVerification(t *testing.T) {
	cosign, other := verifierFixture(t, "cosign"), verifierFixture(t, "other")
	pool := blobPool(t)
	var sigManifest v1.Manifest
	mustJSON(t, pool["9e26d89b7edd9b9fc034fc36be1c3a9f8bb2a74bb7c63155cd93729a3cce089d"], &sigManifest)
	l := sigManifest.Layers[0]
	payload := pool[l.Digest.Hex]
	sig := l.Annotations[SignatureAnnotation]
	if _, err := VerifyPayload(payload, sig, cosign, d1, map[string]string{"env": "test"}); err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	for name, err := range map[string]error{
		"other key":    second(VerifyPayload(payload, sig, other, d1, nil)),
		"payload 251":  second(VerifyPayload(flip(payload, 251), sig, cosign, d1, nil)),
		"claims D2":    second(VerifyPayload(payload, sig, cosign, d2, nil)),
		"env=prod":     second(VerifyPayload(payload, sig, cosign, d1, map[string]string{"env": "prod"})),
		"no signature": second(VerifyPayload(payload, "", cosign, d1, nil)),
	} {
		if err == nil {
			t.Errorf("%s: verified", name)
		}
	}

	// Bundles: found by subject in the crane-bundle layout.
	n := 0
	entries, err := os.ReadDir(fixtures + "/layouts/crane-bundle/blobs/sha256")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b := pool[e.Name()]
		var m v1.Manifest
		if json.Unmarshal(b, &m) != nil || m.Subject == nil || m.Subject.Digest.String() != d2 {
			continue
		}
		n++
		bundle := pool[m.Layers[0].Digest.Hex]
		st, err := VerifyBundle(bundle, cosign, d2)
		if err != nil {
			t.Fatal(err)
		}
		if st.PredicateType != m.Annotations[bundlePredicateTypeAnnotation] {
			t.Fatalf("predicate type %s", st.PredicateType)
		}
		if _, err := VerifyBundle(bundle, other, d2); err == nil {
			t.Fatal("verified with other.pub")
		}
		if _, err := VerifyBundle(bundle, cosign, d1); err == nil {
			t.Fatal("verified for D1")
		}
	}
	if n != 3 {
		t.Fatalf("%d referrers of D2, want 3", n)
	}
}

func second[T any](_ T, err error) error { return err }
