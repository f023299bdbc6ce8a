package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// fetchManifest reads a manifest with go-containerregistry.
func fetchManifest(t *testing.T, ref string) (*v1.Manifest, []byte) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	mustJSON(t, d.Manifest, &m)
	return &m, d.Manifest
}

func fetchBlob(t *testing.T, repo string, h v1.Hash) []byte {
	t.Helper()
	l, err := remote.Layer(mustDigest(t, repo+"@"+h.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustDigest(t *testing.T, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// independentLegacyCheck decodes a .sig layer without this package's parser
// and checks the signature with sigstore's verifier.
func independentLegacyCheck(t *testing.T, v signature.Verifier, repo, digest string, l v1.Descriptor) map[string]any {
	t.Helper()
	payload := fetchBlob(t, repo, l.Digest)
	sig, err := base64.StdEncoding.DecodeString(l.Annotations["dev.cosignproject.cosign/signature"])
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)); err != nil {
		t.Fatalf("sigstore verifier: %v", err)
	}
	var doc map[string]any
	mustJSON(t, payload, &doc)
	crit := doc["critical"].(map[string]any)
	if crit["type"] != "cosign container image signature" ||
		crit["image"].(map[string]any)["docker-manifest-digest"] != digest ||
		crit["identity"].(map[string]any)["docker-reference"] != repo {
		t.Fatalf("payload %s", payload)
	}
	if l.MediaType != "application/vnd.dev.cosign.simplesigning.v1+json" {
		t.Fatalf("media type %s", l.MediaType)
	}
	opt, _ := doc["optional"].(map[string]any)
	return opt
}

// sigstoreGoCheck verifies a bundle with sigstore-go: public-key trusted
// material, no transparency log, SCT or timestamp requirements (as cosign's
// offline key verification), artifact = the image digest.
func sigstoreGoCheck(t *testing.T, v signature.Verifier, raw []byte, digest string) *sgverify.VerificationResult {
	t.Helper()
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		t.Fatalf("sigstore-go bundle: %v", err)
	}
	tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
	})
	ver, err := sgverify.NewVerifier(tm, sgverify.WithNoObserverTimestamps())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := hex.DecodeString(strings.TrimPrefix(digest, "sha256:"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ver.Verify(&b, sgverify.NewPolicy(sgverify.WithArtifactDigest("sha256", sum), sgverify.WithKey()))
	if err != nil {
		t.Fatalf("sigstore-go verify: %v", err)
	}
	return res
}

func TestSignRoundTrip(t *testing.T) {
	ctx := context.Background()
	signer := signerFixture(t, "cosign")
	cosign, other := verifierFixture(t, "cosign"), verifierFixture(t, "other")
	for _, api := range []bool{false, true} {
		reg := newTestRegistry(t, api)
		repo := reg.host + "/app"
		reg.pushImage("app", "v1", d1)
		ref := repo + ":v1"

		// Legacy: sign, sign again (no duplicate), sign with another key.
		res, err := Sign(ctx, ref, signer, SignOptions{Annotations: map[string]string{"env": "ci"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Digest != d1 || res.Format != FormatLegacy || res.Location != repo+":"+fallbackTag(d1)+".sig" {
			t.Fatalf("%+v", res)
		}
		if res, err = Sign(ctx, ref, signer, SignOptions{Annotations: map[string]string{"env": "ci"}}); err != nil || !res.Unchanged {
			t.Fatalf("second sign: %+v %v", res, err)
		}
		if _, err = Sign(ctx, ref, signerFixture(t, "other"), SignOptions{}); err != nil {
			t.Fatal(err)
		}
		m, _ := fetchManifest(t, res.Location)
		if len(m.Layers) != 2 {
			t.Fatalf("%d layers, want 2", len(m.Layers))
		}
		if opt := independentLegacyCheck(t, cosign, repo, d1, m.Layers[0]); opt["env"] != "ci" {
			t.Fatalf("optional %v", opt)
		}
		independentLegacyCheck(t, other, repo, d1, m.Layers[1])

		// Bundle signature.
		created := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		bres, err := Sign(ctx, ref, signer, SignOptions{Bundle: true, Annotations: map[string]string{"env": "ci"}, Now: func() time.Time { return created }})
		if err != nil {
			t.Fatal(err)
		}
		bm, _ := fetchManifest(t, repo+"@"+bres.Location)
		if bm.ArtifactType != BundleMediaType || bm.Subject == nil || bm.Subject.Digest.String() != d1 || bm.Subject.Size != 401 ||
			bm.Annotations[createdAnnotation] != "2026-11-28T12:00:00Z" || bm.Config.ArtifactType != BundleMediaType {
			t.Fatalf("referrer manifest %+v", bm)
		}
		braw := fetchBlob(t, repo, bm.Layers[0].Digest)
		sres := sigstoreGoCheck(t, cosign, braw, d1)
		if sres.Statement.GetPredicateType() != SignPredicateType || sres.Statement.GetSubject()[0].GetAnnotations().AsMap()["env"] != "ci" {
			t.Fatalf("statement %v", sres.Statement)
		}
		checkFallbackTag(t, repo, d1, bres.Location, !api)

		// Redline's own verifier: all three signatures, other key one each.
		vres, err := Verify(ctx, ref, cosign, VerifyOptions{Annotations: map[string]string{"env": "ci"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(vres.Signatures) != 2 || vres.Signatures[0].Format != FormatLegacy || vres.Signatures[1].Format != FormatBundle {
			t.Fatalf("%+v", vres)
		}
		if _, err := Verify(ctx, ref, verifierFixture(t, "other"), VerifyOptions{Annotations: map[string]string{"env": "ci"}}); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("other key with env=ci: %v", err)
		}

		// Attestations, both formats.
		pred := readFixture(t, "raw/legacy-att/layer1-vuln.statement.json")
		var st Statement
		mustJSON(t, pred, &st)
		for _, bundleFormat := range []bool{false, true} {
			ares, err := Attest(ctx, ref, st.Predicate, signer, AttestOptions{PredicateType: predicateTypes["vuln"], Bundle: bundleFormat})
			if err != nil {
				t.Fatal(err)
			}
			if bundleFormat {
				am, _ := fetchManifest(t, repo+"@"+ares.Location)
				sres := sigstoreGoCheck(t, cosign, fetchBlob(t, repo, am.Layers[0].Digest), d1)
				if sres.Statement.GetPredicateType() != predicateTypes["vuln"] {
					t.Fatalf("statement %v", sres.Statement)
				}
				continue
			}
			am, _ := fetchManifest(t, ares.Location)
			l := am.Layers[0]
			if l.MediaType != DSSEMediaType || l.Annotations["predicateType"] != predicateTypes["vuln"] || l.Annotations["dev.cosignproject.cosign/signature"] != "" {
				t.Fatalf("layer %+v", l)
			}
			independentDSSECheck(t, cosign, fetchBlob(t, repo, l.Digest), repo, d1)
		}
		ar, err := VerifyAttestation(ctx, ref, cosign, AttestationOptions{PredicateType: predicateTypes["vuln"]})
		if err != nil || len(ar.Attestations) != 2 {
			t.Fatalf("%+v %v", ar, err)
		}
		if _, err := VerifyAttestation(ctx, ref, other, AttestationOptions{PredicateType: predicateTypes["vuln"]}); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("other key: %v", err)
		}
	}
}

// independentDSSECheck checks a DSSE envelope with sigstore's verifier over
// a PAE built here, and the statement with plain JSON decoding.
func independentDSSECheck(t *testing.T, v signature.Verifier, env []byte, repo, digest string) {
	t.Helper()
	var e struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	mustJSON(t, env, &e)
	payload, _ := base64.StdEncoding.DecodeString(e.Payload)
	sig, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
	pae := []byte("DSSEv1 28 application/vnd.in-toto+json " + itoa(len(payload)) + " " + string(payload))
	if e.PayloadType != "application/vnd.in-toto+json" {
		t.Fatalf("payloadType %s", e.PayloadType)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(pae)); err != nil {
		t.Fatalf("DSSE: %v", err)
	}
	var st map[string]any
	mustJSON(t, payload, &st)
	sub := st["subject"].([]any)[0].(map[string]any)
	if st["_type"] != "https://in-toto.io/Statement/v0.1" || sub["name"] != repo || sub["digest"].(map[string]any)["sha256"] != strings.TrimPrefix(digest, "sha256:") {
		t.Fatalf("statement %s", payload)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// checkFallbackTag checks the referrers fallback tag lists referrer when
// the registry has no referrers API, and does not exist when it has.
func checkFallbackTag(t *testing.T, repo, subject, referrer string, want bool) {
	t.Helper()
	r, _ := name.ParseReference(repo + ":" + fallbackTag(subject))
	d, err := remote.Get(r)
	if !want {
		if err == nil {
			t.Fatal("fallback tag written on a registry with the referrers API")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var idx v1.IndexManifest
	mustJSON(t, d.Manifest, &idx)
	for _, m := range idx.Manifests {
		if m.Digest.String() == referrer && m.ArtifactType == BundleMediaType {
			return
		}
	}
	t.Fatalf("fallback index %s lacks %s", d.Manifest, referrer)
}

func TestVerifyRejects(t *testing.T) {
	ctx := context.Background()
	signer, cosign := signerFixture(t, "cosign"), verifierFixture(t, "cosign")
	reg := newTestRegistry(t, false)
	repo := reg.host + "/moved"
	reg.pushImage("moved", "v1", d1)
	if _, err := Sign(ctx, repo+":v1", signer, SignOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(ctx, repo+":v1", signer, SignOptions{Bundle: true}); err != nil {
		t.Fatal(err)
	}
	// The tag moves to an unsigned image.
	reg.pushImage("moved", "v1", d2)
	_, err := Verify(ctx, repo+":v1", cosign, VerifyOptions{})
	if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "it has moved since") {
		t.Fatalf("moved tag: %v", err)
	}
	// ... and someone copies the old signature next to the new digest.
	_, sigRaw := fetchManifest(t, repo+":"+fallbackTag(d1)+".sig")
	reg.putManifest("moved", fallbackTag(d2)+".sig", sigRaw)
	_, err = Verify(ctx, repo+":v1", cosign, VerifyOptions{})
	if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "signed digest "+d1+" is not "+d2) {
		t.Fatalf("copied signature: %v", err)
	}
	// The old digest still verifies by digest.
	if _, err := Verify(ctx, repo+"@"+d1, cosign, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}

	// A signature manifest with too many layers is an error, not a pass.
	reg.pushImage("big", "v1", d1)
	var layers []v1.Descriptor
	payload, _ := NewPayload(reg.host+"/big", d1, nil).Marshal()
	reg.pushBlob("big", payload)
	for range MaxSignatureLayers + 1 {
		l := descriptorOf(payload, SimpleSigningMediaType)
		l.Annotations = map[string]string{SignatureAnnotation: "AAAA"}
		layers = append(layers, l)
	}
	m, cfg, _ := legacyManifest(layers)
	reg.pushBlob("big", cfg)
	reg.putManifest("big", fallbackTag(d1)+".sig", m)
	if _, err := Verify(ctx, reg.host+"/big:v1", cosign, VerifyOptions{}); !errors.Is(err, ErrLimit) || errors.Is(err, ErrNotVerified) {
		t.Fatalf("many layers: %v", err)
	}
	if _, err := Sign(ctx, reg.host+"/big:v1", signer, SignOptions{}); !errors.Is(err, ErrLimit) {
		t.Fatalf("append to a full manifest: %v", err)
	}

	// A huge payload is rejected without reading it.
	reg.pushImage("huge", "v1", d1)
	huge := bytes.Repeat([]byte(" "), MaxPayloadSize+1)
	reg.pushBlob("huge", huge)
	l := descriptorOf(huge, SimpleSigningMediaType)
	l.Annotations = map[string]string{SignatureAnnotation: "AAAA"}
	m, cfg, _ = legacyManifest([]v1.Descriptor{l})
	reg.pushBlob("huge", cfg)
	reg.putManifest("huge", fallbackTag(d1)+".sig", m)
	if _, err := Verify(ctx, reg.host+"/huge:v1", cosign, VerifyOptions{}); !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "more than the limit") {
		t.Fatalf("huge payload: %v", err)
	}

	// Nothing at all.
	reg.pushImage("none", "v1", d1)
	if _, err := Verify(ctx, reg.host+"/none:v1", cosign, VerifyOptions{}); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("unsigned: %v", err)
	}
	// A missing image is an error, not "not verified".
	if _, err := Verify(ctx, reg.host+"/absent:v1", cosign, VerifyOptions{}); err == nil || errors.Is(err, ErrNotVerified) {
		t.Fatalf("absent image: %v", err)
	}
}
