package sign

import (
	"testing"
)

func FuzzParsePayload(f *testing.F) {
	f.Add(readFixture(f, "raw/legacy-sig/payload.simplesigning.json"))
	f.Add(readFixture(f, "tamper/wrong-digest.payload"))
	f.Add([]byte(`{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":"sha256:x"}},"optional":{"a":[1,{"b":null}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePayload(b)
		if err != nil {
			return
		}
		if p.Critical.Type != SimpleSigningType || checkDigest(p.Critical.Image.DockerManifestDigest) != nil {
			t.Fatalf("accepted %q", b)
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePayload(out); err != nil {
			t.Fatalf("re-encoded payload does not parse: %v", err)
		}
	})
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add(readFixture(f, "raw/legacy-att/layer0-cyclonedx.dsse.json"))
	f.Add(readFixture(f, "tamper/legacy-att-cyclonedx-payload-byte255.layer0.dsse.json"))
	f.Add([]byte(`{"payload":"e30=","payloadType":"x","signatures":[{"sig":"AA=="}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(b)
		if err != nil {
			return
		}
		p, err := e.DecodedPayload()
		if err != nil || len(e.Signatures) == 0 || len(e.Signatures) > maxEnvelopeSignatures {
			t.Fatalf("accepted a bad envelope: %v", err)
		}
		_ = PAE(e.PayloadType, p)
		if st, err := ParseStatement(p); err == nil && len(st.Subject) == 0 {
			t.Fatal("statement without subject")
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	f.Add(readFixture(f, "raw/bundle/sign.bundle.json"))
	f.Add(readFixture(f, "external/ext-wrong-subject.bundle.json"))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}`))
	v := verifierFixture(f, "cosign")
	f.Fuzz(func(t *testing.T, b []byte) {
		bu, err := ParseBundle(b)
		if err != nil {
			return
		}
		if (bu.DSSEEnvelope == nil) == (bu.MessageSignature == nil) {
			t.Fatal("accepted a bundle without exactly one content")
		}
		_, _ = VerifyBundle(b, v, d2)
	})
}
