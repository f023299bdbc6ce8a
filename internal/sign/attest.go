package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore/pkg/signature"
)

// predicateTypes maps cosign's short --type names to predicate type URIs,
// as cosign v3 does.
var predicateTypes = map[string]string{
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
	"cyclonedx":        "https://cyclonedx.org/bom",
	"link":             "https://in-toto.io/Link/v1",
	"openvex":          "https://openvex.dev/ns",
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1":  "https://slsa.dev/provenance/v1",
	"spdx":             "https://spdx.dev/Document",
	"spdxjson":         "https://spdx.dev/Document",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
}

// PredicateTypes returns the short predicate type names, sorted.
func PredicateTypes() []string {
	var out []string
	for k := range predicateTypes {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// PredicateType turns a short name (vuln, cyclonedx, spdx, slsaprovenance,
// openvex, ...) or an absolute URI into the predicate type URI.
func PredicateType(t string) (string, error) {
	if u, ok := predicateTypes[t]; ok {
		return u, nil
	}
	if strings.Contains(t, "://") {
		return t, nil
	}
	return "", fmt.Errorf("unknown predicate type %q (want one of %s, or a URI)", t, strings.Join(PredicateTypes(), ", "))
}

// AttestOptions configures Attest.
type AttestOptions struct {
	Registry Registry
	// PredicateType is the predicate type URI (see PredicateType).
	PredicateType string
	// Bundle writes a sigstore bundle referrer instead of the legacy .att
	// tag.
	Bundle bool
	// Now is the clock for the referrer's creation time.
	Now func() time.Time
}

// Attest resolves ref to its digest, builds an in-toto Statement (v0.1,
// subject = repository and digest, as cosign writes) around predicate,
// signs it in a DSSE envelope and stores it as cosign does. predicate must
// be a JSON value of at most MaxAttestationSize/2 bytes (the envelope holds
// it in base64); its object keys are written sorted.
func Attest(ctx context.Context, ref string, predicate []byte, s signature.Signer, opts AttestOptions) (*SignResult, error) {
	if opts.PredicateType == "" {
		return nil, errors.New("no predicate type")
	}
	pred, err := normalizePredicate(predicate)
	if err != nil {
		return nil, err
	}
	o, err := openRef(ctx, opts.Registry, ref)
	if err != nil {
		return nil, err
	}
	c, d, desc := o.c, o.d, o.desc
	st := Statement{
		Type:          StatementV01,
		Subject:       []Subject{{Name: d.Context().Name(), Digest: map[string]string{"sha256": desc.Digest.Hex}}},
		PredicateType: opts.PredicateType,
		Predicate:     pred,
	}
	res := &SignResult{Digest: d.DigestStr(), Repository: d.Context().Name()}
	if opts.Bundle {
		res.Format = FormatBundle
		if res.Location, err = c.writeBundle(ctx, d, desc, &st, s, now(opts.Now)); err != nil {
			return nil, err
		}
		return res, nil
	}
	res.Format = FormatLegacy
	env, err := signStatement(&st, s)
	if err != nil {
		return nil, err
	}
	blob, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode DSSE envelope: %w", err)
	}
	layer := descriptorOf(blob, DSSEMediaType)
	layer.Annotations = map[string]string{SignatureAnnotation: "", PredicateTypeAnnotation: opts.PredicateType}
	// A new envelope has a fresh random signature, so only a byte-identical
	// layer is a duplicate.
	dupe := func(l v1.Descriptor) bool { return l.Digest == layer.Digest }
	if res.Location, res.Unchanged, err = c.appendLegacy(ctx, d, "att", layer, blob, dupe); err != nil {
		return nil, err
	}
	return res, nil
}

// normalizePredicate checks predicate is one JSON value and re-encodes it
// with sorted object keys (numbers kept exact), as cosign does.
func normalizePredicate(b []byte) (json.RawMessage, error) {
	if len(b) > MaxAttestationSize/2 {
		return nil, fmt.Errorf("predicate is %d bytes, more than the limit %d: %w", len(b), MaxAttestationSize/2, ErrLimit)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("predicate is not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("predicate is not JSON: data after the first value")
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	return out, nil
}

// AttestationOptions configures VerifyAttestation.
type AttestationOptions struct {
	Registry Registry
	// PredicateType is the predicate type URI an attestation must have.
	PredicateType string
	// Policy, when set, must hold for an accepted attestation.
	Policy *Policy
	// Now is the time the policy sees as now (default time.Now).
	Now func() time.Time
}

// AttestationResult is what VerifyAttestation checked.
type AttestationResult struct {
	Reference     string `json:"reference"`
	Digest        string `json:"digest"`
	PredicateType string `json:"predicateType"`
	// Attestations are the accepted attestations.
	Attestations []VerifiedAttestation `json:"attestations"`
	// Rejected are attestations found but not accepted.
	Rejected []Rejected `json:"rejected,omitempty"`
}

// VerifiedAttestation is one accepted attestation.
type VerifiedAttestation struct {
	Format   Format `json:"format"`
	Location string `json:"location"`
	// Statement is the signed in-toto statement.
	Statement json.RawMessage `json:"statement"`
}

// VerifyAttestation resolves ref and accepts the attestations of its
// digest, in either format, whose DSSE signature verifies with v, whose
// statement names the digest, has the wanted predicate type and satisfies
// the policy. No accepted attestation returns a *NotVerifiedError.
func VerifyAttestation(ctx context.Context, ref string, v signature.Verifier, opts AttestationOptions) (*AttestationResult, error) {
	if opts.PredicateType == "" {
		return nil, errors.New("no predicate type")
	}
	o, err := openRef(ctx, opts.Registry, ref)
	if err != nil {
		return nil, err
	}
	c, r, d := o.c, o.ref, o.d
	res := &AttestationResult{Reference: ref, Digest: d.DigestStr(), PredicateType: opts.PredicateType, Attestations: []VerifiedAttestation{}}
	var found []string // predicate types of valid attestations
	check := func(format Format, loc string, st *Statement, payloadErr error) {
		if payloadErr != nil {
			res.Rejected = append(res.Rejected, Rejected{format, loc, payloadErr.Error()})
			return
		}
		if !slices.Contains(found, st.PredicateType) {
			found = append(found, st.PredicateType)
		}
		if st.PredicateType != opts.PredicateType {
			return
		}
		if !st.HasSubjectDigest(d.DigestStr()) {
			res.Rejected = append(res.Rejected, Rejected{format, loc, fmt.Sprintf("statement subject %s does not include %s", subjectDigests(st), d.DigestStr())})
			return
		}
		raw, err := json.Marshal(st)
		if err != nil {
			res.Rejected = append(res.Rejected, Rejected{format, loc, err.Error()})
			return
		}
		if opts.Policy != nil {
			if err := opts.Policy.Eval(raw, now(opts.Now)); err != nil {
				res.Rejected = append(res.Rejected, Rejected{format, loc, err.Error()})
				return
			}
		}
		res.Attestations = append(res.Attestations, VerifiedAttestation{Format: format, Location: loc, Statement: raw})
	}
	if err := c.legacyAttestations(ctx, d, v, check); err != nil {
		return res, err
	}
	refs, err := c.bundleReferrers(ctx, d, func(pt string) int64 {
		if pt == SignPredicateType {
			return 0
		}
		return MaxAttestationSize
	})
	if err != nil {
		return res, err
	}
	for _, rf := range refs {
		if rf.err != nil {
			check(FormatBundle, rf.manifest.String(), nil, rf.err)
			continue
		}
		bu, err := ParseBundle(rf.bundle)
		if err == nil && bu.DSSEEnvelope == nil {
			err = errors.New("sigstore bundle holds no DSSE envelope")
		}
		var st *Statement
		if err == nil {
			st, err = VerifyEnvelope(bu.DSSEEnvelope, v)
		}
		if err == nil && st.PredicateType == SignPredicateType {
			continue
		}
		check(FormatBundle, rf.manifest.String(), st, err)
	}
	if len(res.Attestations) == 0 {
		what := "no attestations of type " + opts.PredicateType + " found"
		if len(found) > 0 {
			slices.Sort(found)
			what = "no attestation of type " + opts.PredicateType + " among the verified ones (" + strings.Join(found, ", ") + ")"
		}
		return res, notVerified(res.Digest, r, res.Rejected, what, len(found) == 0)
	}
	return res, nil
}

// legacyAttestations verifies each layer of the .att manifest of d and
// hands the outcome to check.
func (c *client) legacyAttestations(ctx context.Context, d name.Digest, v signature.Verifier, check func(Format, string, *Statement, error)) error {
	tag := tagFor(d, "att")
	raw, _, err := c.manifest(ctx, tag)
	if err != nil || raw == nil {
		return err
	}
	m, err := parseLegacyManifest(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", tag, err)
	}
	for i, l := range m.Layers {
		loc := fmt.Sprintf("%s (layer %d)", tag, i)
		if l.MediaType != DSSEMediaType {
			check(FormatLegacy, loc, nil, fmt.Errorf("layer media type %s is not %s", l.MediaType, DSSEMediaType))
			continue
		}
		b, err := c.blob(ctx, d.Context(), l, MaxAttestationSize)
		if err != nil {
			if errors.Is(err, ErrLimit) {
				check(FormatLegacy, loc, nil, err)
				continue
			}
			return fmt.Errorf("%s: %w", loc, err)
		}
		env, err := ParseEnvelope(b)
		var st *Statement
		if err == nil {
			st, err = VerifyEnvelope(env, v)
		}
		check(FormatLegacy, loc, st, err)
	}
	return nil
}
