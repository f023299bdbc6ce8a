package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature"
)

// ErrNotVerified marks a verification that ran and found no acceptable
// signature or attestation (as opposed to an error reaching the registry).
var ErrNotVerified = errors.New("not verified")

// NotVerifiedError says why nothing verified. errors.Is(err,
// ErrNotVerified) is true for it.
type NotVerifiedError struct {
	// Digest is the digest that was checked.
	Digest string
	// Reasons lists each candidate's rejection, or why there was none.
	Reasons []string
}

func (e *NotVerifiedError) Error() string {
	return fmt.Sprintf("%s: not verified: %s", e.Digest, strings.Join(e.Reasons, "; "))
}

// Is makes errors.Is(err, ErrNotVerified) true.
func (e *NotVerifiedError) Is(target error) bool { return target == ErrNotVerified }

// VerifyOptions configures Verify.
type VerifyOptions struct {
	Registry Registry
	// Annotations must all be present, with these values, in the signed
	// annotations of an accepted signature.
	Annotations map[string]string
}

// Result is what Verify checked.
type Result struct {
	// Reference is the reference as given.
	Reference string `json:"reference"`
	// Digest is what the reference resolved to when verified.
	Digest string `json:"digest"`
	// Signatures are the signatures that verified.
	Signatures []Verified `json:"signatures"`
	// Rejected are signatures found but not accepted, with the reason.
	Rejected []Rejected `json:"rejected,omitempty"`
}

// Verified is one accepted signature.
type Verified struct {
	Format Format `json:"format"`
	// Location is the tag (legacy) or referrer manifest digest (bundle).
	Location string `json:"location"`
	// DockerReference is the repository the legacy payload names
	// (informational: cosign does not check it either).
	DockerReference string `json:"dockerReference,omitempty"`
	// Annotations are the signed annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Rejected is a signature or attestation that was found but not accepted.
type Rejected struct {
	Format   Format `json:"format"`
	Location string `json:"location"`
	Reason   string `json:"reason"`
}

// Verify resolves ref to the digest it names now and checks that a
// signature by v signs exactly that digest, in either format. A
// verification that finds no acceptable signature returns the Result and a
// *NotVerifiedError; other errors are failures to check.
func Verify(ctx context.Context, ref string, v signature.Verifier, opts VerifyOptions) (*Result, error) {
	o, err := openRef(ctx, opts.Registry, ref)
	if err != nil {
		return nil, err
	}
	c, r, d := o.c, o.ref, o.d
	res := &Result{Reference: ref, Digest: d.DigestStr(), Signatures: []Verified{}}
	if err := c.verifyDigest(ctx, d, v, opts.Annotations, res); err != nil {
		return res, err
	}
	if len(res.Signatures) == 0 {
		return res, notVerified(res.Digest, r, res.Rejected, "no signatures found", true)
	}
	return res, nil
}

// verifyDigest collects the signatures of d in both formats into res.
func (c *client) verifyDigest(ctx context.Context, d name.Digest, v signature.Verifier, want map[string]string, res *Result) error {
	tag := tagFor(d, "sig")
	raw, _, err := c.manifest(ctx, tag)
	if err != nil {
		return err
	}
	if raw != nil {
		m, err := parseLegacyManifest(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", tag, err)
		}
		for i, l := range m.Layers {
			loc := fmt.Sprintf("%s (layer %d)", tag, i)
			if l.MediaType != SimpleSigningMediaType {
				res.Rejected = append(res.Rejected, Rejected{FormatLegacy, loc, fmt.Sprintf("layer media type %s is not %s", l.MediaType, SimpleSigningMediaType)})
				continue
			}
			payload, err := c.blob(ctx, d.Context(), l, MaxPayloadSize)
			if err != nil {
				if errors.Is(err, ErrLimit) {
					res.Rejected = append(res.Rejected, Rejected{FormatLegacy, loc, err.Error()})
					continue
				}
				return fmt.Errorf("%s: %w", loc, err)
			}
			p, err := VerifyPayload(payload, l.Annotations[SignatureAnnotation], v, d.DigestStr(), want)
			if err != nil {
				res.Rejected = append(res.Rejected, Rejected{FormatLegacy, loc, err.Error()})
				continue
			}
			res.Signatures = append(res.Signatures, Verified{Format: FormatLegacy, Location: loc, DockerReference: p.Critical.Identity.DockerReference, Annotations: p.Optional})
		}
	}
	// Referrers annotated with another predicate type are attestations,
	// not signatures: not read here.
	refs, err := c.bundleReferrers(ctx, d, func(pt string) int64 {
		if pt != "" && pt != SignPredicateType {
			return 0
		}
		return MaxPayloadSize
	})
	if err != nil {
		return err
	}
	for _, rf := range refs {
		if rf.err != nil {
			res.Rejected = append(res.Rejected, Rejected{FormatBundle, rf.manifest.String(), rf.err.Error()})
			continue
		}
		st, err := VerifyBundle(rf.bundle, v, d.DigestStr())
		if err == nil && st.PredicateType != SignPredicateType {
			continue
		}
		if err == nil {
			err = checkAnnotations(st.Subject[0].Annotations, want)
		}
		if err != nil {
			res.Rejected = append(res.Rejected, Rejected{FormatBundle, rf.manifest.String(), err.Error()})
			continue
		}
		res.Signatures = append(res.Signatures, Verified{Format: FormatBundle, Location: rf.manifest.String(), Annotations: st.Subject[0].Annotations})
	}
	return nil
}

// notVerified builds the error for a digest with no accepted signature.
// With nothing rejected, it says what was missing and, for a tag reference
// when moved is set, that the tag may have moved since it was signed.
func notVerified(digest string, ref name.Reference, rejected []Rejected, what string, moved bool) error {
	e := &NotVerifiedError{Digest: digest}
	for _, r := range rejected {
		e.Reasons = append(e.Reasons, fmt.Sprintf("%s %s: %s", r.Format, r.Location, r.Reason))
	}
	if len(rejected) == 0 {
		msg := fmt.Sprintf("%s for %s", what, digest)
		if _, isTag := ref.(name.Tag); isTag && moved {
			msg += fmt.Sprintf(", the digest %s resolves to now (if the tag was signed before, it has moved since)", ref)
		}
		e.Reasons = append(e.Reasons, msg)
	}
	return e
}

// VerifyPayload checks a legacy signature: sigB64 (the layer's signature
// annotation) must be v's signature over payload, the payload must claim
// digest, and carry the wanted annotations.
func VerifyPayload(payload []byte, sigB64 string, v signature.Verifier, digest string, want map[string]string) (Payload, error) {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return Payload{}, errors.New("signature annotation is missing or not base64")
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)); err != nil {
		return Payload{}, fmt.Errorf("invalid signature: %w", err)
	}
	p, err := ParsePayload(payload)
	if err != nil {
		return Payload{}, err
	}
	if got := p.Critical.Image.DockerManifestDigest; got != digest {
		return Payload{}, digestMismatch(got, digest)
	}
	if err := checkAnnotations(p.Optional, want); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// VerifyEnvelope checks that one of env's signatures is v's over the PAE of
// its payload and returns the decoded in-toto statement.
func VerifyEnvelope(env *Envelope, v signature.Verifier) (*Statement, error) {
	if env.PayloadType != InTotoPayloadType {
		return nil, fmt.Errorf("DSSE payloadType %q is not %s", env.PayloadType, InTotoPayloadType)
	}
	payload, err := env.DecodedPayload()
	if err != nil {
		return nil, err
	}
	pae := PAE(env.PayloadType, payload)
	var last error
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			last = errors.New("DSSE signature is not base64")
			continue
		}
		if last = v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(pae)); last == nil {
			return ParseStatement(payload)
		}
	}
	return nil, fmt.Errorf("invalid signature: %w", last)
}

// VerifyBundle checks a sigstore bundle's DSSE envelope with v and that its
// statement names digest as a subject.
func VerifyBundle(b []byte, v signature.Verifier, digest string) (*Statement, error) {
	bu, err := ParseBundle(b)
	if err != nil {
		return nil, err
	}
	if bu.DSSEEnvelope == nil {
		return nil, errors.New("sigstore bundle holds a message signature; only DSSE bundles are verified for images")
	}
	st, err := VerifyEnvelope(bu.DSSEEnvelope, v)
	if err != nil {
		return nil, err
	}
	if !st.HasSubjectDigest(digest) {
		return nil, fmt.Errorf("statement subject %s does not include %s", subjectDigests(st), digest)
	}
	return st, nil
}

func subjectDigests(st *Statement) string {
	var ds []string
	for _, s := range st.Subject {
		ds = append(ds, "sha256:"+s.Digest["sha256"])
	}
	return strings.Join(ds, ",")
}

func digestMismatch(signed, now string) error {
	return fmt.Errorf("signed digest %s is not %s, the digest the reference resolves to now (the tag was moved after signing, or the signature was copied from another image)", signed, now)
}

// checkAnnotations requires every wanted key=value among the signed ones.
func checkAnnotations(got, want map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		if !ok {
			return fmt.Errorf("missing signed annotation %s=%s", k, want[k])
		}
		if g != want[k] {
			return fmt.Errorf("signed annotation %s is %q, want %q", k, g, want[k])
		}
	}
	return nil
}
