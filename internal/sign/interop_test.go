package sign

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Setups push one of the fixtures' scenarios into repo and return the
// reference to verify.
func setupLegacy(r *testRegistry, repo string) string {
	r.pushImage(repo, "v1", d1)
	r.pushManifest(repo, fallbackTag(d1)+".sig", readFixture(r.t, "raw/legacy-sig/manifest.json"))
	r.pushManifest(repo, fallbackTag(d1)+".att", readFixture(r.t, "raw/legacy-att/manifest.json"))
	return r.ref(repo, ":v1")
}

func setupBundle(r *testRegistry, repo string) string {
	r.pushImage(repo, "v2-bundle", d2)
	for _, m := range []string{
		"75fd4471421505150409ada74639df7509c56c5ed84ad926878314f2ccf218b6",
		"1bc6caae0fdcea93a388c331659d9f2c6dd74912c6451392f740aaaf385956e1",
		"5c22b66315a6229caf2d172a72323f93acaa2e85535a93922c69b269ac928572",
	} {
		r.pushManifest(repo, "sha256:"+m, r.blob(m))
	}
	// cosign's own fallback index, byte for byte.
	r.putManifest(repo, fallbackTag(d2), readFixture(r.t, "raw/bundle/referrers-fallback-tag-index.json"))
	return r.ref(repo, ":v2-bundle")
}

func setupLegacySig(file string) func(*testRegistry, string) string {
	return func(r *testRegistry, repo string) string {
		r.pushImage(repo, "v1", d1)
		r.pushManifest(repo, fallbackTag(d1)+".sig", readFixture(r.t, file))
		return r.ref(repo, ":v1")
	}
}

func setupLegacyAtt(file string) func(*testRegistry, string) string {
	return func(r *testRegistry, repo string) string {
		r.pushImage(repo, "v1", d1)
		r.pushManifest(repo, fallbackTag(d1)+".att", readFixture(r.t, file))
		return r.ref(repo, ":v1")
	}
}

// setupReferrer pushes image d and a referrer manifest with
// go-containerregistry's writer, which maintains the fallback tag.
func setupReferrer(file, d string) func(*testRegistry, string) string {
	return func(r *testRegistry, repo string) string {
		r.pushImage(repo, "img", d)
		raw := readFixture(r.t, file)
		c, err := newClient(context.Background(), Registry{})
		if err != nil {
			r.t.Fatal(err)
		}
		rp, _ := name.NewRepository(r.host + "/" + repo)
		var m struct {
			Config struct{ Digest string }
			Layers []struct{ Digest string }
		}
		mustJSON(r.t, raw, &m)
		r.pushBlob(repo, r.blob(strings.TrimPrefix(m.Config.Digest, "sha256:")))
		r.pushBlob(repo, r.blob(strings.TrimPrefix(m.Layers[0].Digest, "sha256:")))
		if err := c.pushManifest(context.Background(), rp.Digest(sha256Hash(raw).String()), raw, types.OCIManifestSchema1); err != nil {
			r.t.Fatal(err)
		}
		return r.ref(repo, ":img")
	}
}

type interopCase struct {
	name  string
	setup func(*testRegistry, string) string
	key   string            // public key fixture: cosign or other
	att   string            // predicate type short name: verify-attestation
	ann   map[string]string // required annotations
	// wantErr is "" for a pass, else a substring of the not-verified error.
	wantErr string
}

// interopCases mirror fixtures.json cosign_results (registry cases) plus
// the tamper and external variants.
var interopCases = []interopCase{
	{name: "legacy cosign.pub", setup: setupLegacy, key: "cosign"},
	{name: "legacy other.pub", setup: setupLegacy, key: "other", wantErr: "invalid signature"},
	{name: "legacy env=test", setup: setupLegacy, key: "cosign", ann: map[string]string{"env": "test"}},
	{name: "legacy env=prod", setup: setupLegacy, key: "cosign", ann: map[string]string{"env": "prod"}, wantErr: `signed annotation env is "test", want "prod"`},
	{name: "legacy att cyclonedx", setup: setupLegacy, key: "cosign", att: "cyclonedx"},
	{name: "legacy att vuln", setup: setupLegacy, key: "cosign", att: "vuln"},
	{name: "legacy att cyclonedx other.pub", setup: setupLegacy, key: "other", att: "cyclonedx", wantErr: "invalid signature"},
	{name: "legacy att vuln other.pub", setup: setupLegacy, key: "other", att: "vuln", wantErr: "invalid signature"},
	{name: "legacy att spdxjson absent", setup: setupLegacy, key: "cosign", att: "spdxjson", wantErr: "among the verified ones (https://cosign.sigstore.dev/attestation/vuln/v1, https://cyclonedx.org/bom)"},
	{name: "bundle cosign.pub", setup: setupBundle, key: "cosign"},
	{name: "bundle other.pub", setup: setupBundle, key: "other", wantErr: "invalid signature"},
	{name: "bundle env=test", setup: setupBundle, key: "cosign", ann: map[string]string{"env": "test"}},
	{name: "bundle env=prod", setup: setupBundle, key: "cosign", ann: map[string]string{"env": "prod"}, wantErr: `signed annotation env is "test"`},
	{name: "bundle att cyclonedx", setup: setupBundle, key: "cosign", att: "cyclonedx"},
	{name: "bundle att vuln", setup: setupBundle, key: "cosign", att: "vuln"},
	{name: "bundle att cyclonedx other.pub", setup: setupBundle, key: "other", att: "cyclonedx", wantErr: "invalid signature"},
	{name: "bundle att vuln other.pub", setup: setupBundle, key: "other", att: "vuln", wantErr: "invalid signature"},
	{name: "tamper legacy control", setup: setupLegacySig("tamper/legacy-control.sig-manifest.json"), key: "cosign"},
	{name: "tamper legacy payload byte251", setup: setupLegacySig("tamper/legacy-payload-byte251.sig-manifest.json"), key: "cosign", wantErr: "invalid signature"},
	{name: "tamper legacy sig DER byte10", setup: setupLegacySig("tamper/legacy-sig-der-byte10.sig-manifest.json"), key: "cosign", wantErr: "invalid signature"},
	{name: "tamper legacy wrong digest claim", setup: setupLegacySig("tamper/wrong-digest.sig-manifest.json"), key: "cosign", wantErr: "signed digest " + d2 + " is not " + d1},
	{name: "tamper legacy other docker-reference", setup: setupLegacySig("tamper/other-dockerref.sig-manifest.json"), key: "cosign"},
	{name: "tamper legacy other docker-reference other.pub", setup: setupLegacySig("tamper/other-dockerref.sig-manifest.json"), key: "other", wantErr: "invalid signature"},
	{name: "tamper legacy re-signed", setup: setupLegacySig("tamper/original-resigned.sig-manifest.json"), key: "cosign"},
	{name: "tamper legacy att control", setup: setupLegacyAtt("tamper/legacy-att-control.att-manifest.json"), key: "cosign", att: "cyclonedx"},
	{name: "tamper legacy att byte255 cyclonedx", setup: setupLegacyAtt("tamper/legacy-att-cyclonedx-payload-byte255.att-manifest.json"), key: "cosign", att: "cyclonedx", wantErr: "invalid signature"},
	{name: "tamper legacy att byte255 vuln", setup: setupLegacyAtt("tamper/legacy-att-cyclonedx-payload-byte255.att-manifest.json"), key: "cosign", att: "vuln"},
	{name: "tamper bundle control", setup: setupReferrer("tamper/bundle-control.referrer-manifest.json", d2), key: "cosign"},
	{name: "tamper bundle payload byte167", setup: setupReferrer("tamper/bundle-dsse-payload-byte167.referrer-manifest.json", d2), key: "cosign", wantErr: "invalid signature"},
	{name: "tamper bundle sig DER byte10", setup: setupReferrer("tamper/bundle-dsse-sig-der-byte10.referrer-manifest.json", d2), key: "cosign", wantErr: "invalid signature"},
	{name: "external openssl legacy", setup: setupLegacySig("external/ext-legacy.sig-manifest.json"), key: "cosign"},
	{name: "external openssl legacy other.pub", setup: setupLegacySig("external/ext-legacy.sig-manifest.json"), key: "other", wantErr: "invalid signature"},
	{name: "external openssl bundle", setup: setupReferrer("external/ext-bundle.referrer-manifest.json", d1), key: "cosign"},
	{name: "external openssl bundle other.pub", setup: setupReferrer("external/ext-bundle.referrer-manifest.json", d1), key: "other", wantErr: "invalid signature"},
	{name: "external openssl bundle wrong subject", setup: setupReferrer("external/ext-wrong-subject.referrer-manifest.json", d1), key: "cosign", wantErr: "statement subject " + d2 + " does not include " + d1},
}

func TestInteropCosign(t *testing.T) {
	reg := newTestRegistry(t, false)
	for i, tc := range interopCases {
		t.Run(tc.name, func(t *testing.T) {
			reg.t = t
			ref := tc.setup(reg, "fixtures/case"+string(rune('a'+i/26))+string(rune('a'+i%26)))
			runInteropCase(t, ref, tc)
		})
	}
}

func runInteropCase(t *testing.T, ref string, tc interopCase) {
	t.Helper()
	ctx := context.Background()
	v := verifierFixture(t, tc.key)
	var err error
	if tc.att == "" {
		var res *Result
		res, err = Verify(ctx, ref, v, VerifyOptions{Annotations: tc.ann})
		if err == nil && len(res.Signatures) == 0 {
			t.Fatal("passed without signatures")
		}
	} else {
		pt, perr := PredicateType(tc.att)
		if perr != nil {
			t.Fatal(perr)
		}
		var res *AttestationResult
		res, err = VerifyAttestation(ctx, ref, v, AttestationOptions{PredicateType: pt})
		if err == nil {
			for _, a := range res.Attestations {
				st, perr := ParseStatement(a.Statement)
				if perr != nil || st.PredicateType != pt {
					t.Fatalf("accepted attestation %s: %v", a.Statement, perr)
				}
			}
		}
	}
	if tc.wantErr == "" {
		if err != nil {
			t.Fatalf("want pass, got %v", err)
		}
		return
	}
	if !errors.Is(err, ErrNotVerified) {
		t.Fatalf("want not verified, got %v", err)
	}
	if !strings.Contains(err.Error(), tc.wantErr) {
		t.Fatalf("error %q does not say %q", err, tc.wantErr)
	}
}

// TestInteropReferrersAPI runs the bundle cases against a registry with the
// OCI referrers API (no fallback tag), as in the fixtures' raw/referrers-api.
func TestInteropReferrersAPI(t *testing.T) {
	reg := newTestRegistry(t, true)
	setup := func(r *testRegistry, repo string) string {
		r.pushImage(repo, "v2-bundle", d2)
		for _, f := range []string{"raw/referrers-api/sign.referrer-manifest.json", "raw/referrers-api/cyclonedx.referrer-manifest.json"} {
			raw := readFixture(r.t, f)
			r.pushManifest(repo, sha256Hash(raw).String(), raw)
		}
		return r.ref(repo, ":v2-bundle")
	}
	for i, tc := range []interopCase{
		{name: "sign cosign.pub", key: "cosign"},
		{name: "sign other.pub", key: "other", wantErr: "invalid signature"},
		{name: "att cyclonedx", key: "cosign", att: "cyclonedx"},
		{name: "att vuln absent", key: "cosign", att: "vuln", wantErr: "no attestation of type https://cosign.sigstore.dev/attestation/vuln/v1 among the verified ones"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg.t = t
			runInteropCase(t, setup(reg, "refapi/r"+string(rune('a'+i))), tc)
		})
	}
}
