// Package sign signs container images and attaches attestations in
// cosign's formats, and verifies them, with a key the caller provides.
// Signatures are written either as cosign's legacy "sha256-<hex>.sig" tag
// (simple-signing payload) or as an OCI 1.1 referrer holding a sigstore
// bundle v0.3; no transparency log, certificate authority or timestamp
// authority is contacted, only the registry.
package sign

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Format is how a signature or attestation is stored.
type Format string

// The storage formats.
const (
	// FormatLegacy is cosign's tag scheme: sha256-<hex>.sig / .att.
	FormatLegacy Format = "legacy"
	// FormatBundle is an OCI 1.1 referrer holding a sigstore bundle v0.3.
	FormatBundle Format = "bundle"
)

// SignOptions configures Sign.
type SignOptions struct {
	Registry Registry
	// Bundle writes a sigstore bundle referrer instead of the legacy tag.
	Bundle bool
	// Annotations are signed with the image: the payload's "optional"
	// section (legacy) or the statement subject's annotations (bundle).
	Annotations map[string]string
	// Now is the clock for the referrer's creation time (default
	// time.Now).
	Now func() time.Time
}

// SignResult says what Sign wrote.
type SignResult struct {
	// Digest is the signed manifest digest.
	Digest string `json:"digest"`
	// Repository is the repository name the digest was resolved in.
	Repository string `json:"repository"`
	Format     Format `json:"format"`
	// Location is the tag (legacy) or the referrer manifest digest
	// (bundle) that holds the signature.
	Location string `json:"location"`
	// Unchanged is true when an identical signature by the same key was
	// already there, so nothing was written.
	Unchanged bool `json:"unchanged,omitempty"`
}

// Sign resolves ref to its manifest digest and signs that digest (never the
// tag) with s, storing the signature in the same repository.
func Sign(ctx context.Context, ref string, s signature.Signer, opts SignOptions) (*SignResult, error) {
	o, err := openRef(ctx, opts.Registry, ref)
	if err != nil {
		return nil, err
	}
	c, d, desc := o.c, o.d, o.desc
	res := &SignResult{Digest: d.DigestStr(), Repository: d.Context().Name()}
	if opts.Bundle {
		res.Format = FormatBundle
		st := Statement{
			Type:          StatementV1,
			Subject:       []Subject{{Digest: map[string]string{"sha256": desc.Digest.Hex}, Annotations: maps.Clone(opts.Annotations)}},
			PredicateType: SignPredicateType,
			Predicate:     json.RawMessage("{}"),
		}
		if len(st.Subject[0].Annotations) == 0 {
			st.Subject[0].Annotations = nil
		}
		loc, err := c.writeBundle(ctx, d, desc, &st, s, now(opts.Now))
		if err != nil {
			return nil, err
		}
		res.Location = loc
		return res, nil
	}
	res.Format = FormatLegacy
	payload, err := NewPayload(d.Context().Name(), d.DigestStr(), maps.Clone(opts.Annotations)).Marshal()
	if err != nil {
		return nil, err
	}
	sig, err := s.SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("sign payload: %w", err)
	}
	layer := descriptorOf(payload, SimpleSigningMediaType)
	layer.Annotations = map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}
	ver, err := verifierOf(s)
	if err != nil {
		return nil, err
	}
	dupe := func(l v1.Descriptor) bool {
		if l.Digest != layer.Digest || l.MediaType != SimpleSigningMediaType {
			return false
		}
		old, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		return err == nil && ver.VerifySignature(bytes.NewReader(old), bytes.NewReader(payload)) == nil
	}
	tag, unchanged, err := c.appendLegacy(ctx, d, "sig", layer, payload, dupe)
	if err != nil {
		return nil, err
	}
	res.Location, res.Unchanged = tag, unchanged
	return res, nil
}

// appendLegacy adds layer (blob b) to the manifest under the .sig/.att tag
// of d, as cosign does: existing layers are kept, and nothing is written
// when a layer dupe accepts is already there.
func (c *client) appendLegacy(ctx context.Context, d name.Digest, suffix string, layer v1.Descriptor, b []byte, dupe func(v1.Descriptor) bool) (string, bool, error) {
	tag := tagFor(d, suffix)
	raw, _, err := c.manifest(ctx, tag)
	if err != nil {
		return "", false, err
	}
	var layers []v1.Descriptor
	if raw != nil {
		m, err := parseLegacyManifest(raw)
		if err != nil {
			return "", false, fmt.Errorf("existing %s: %w", tag, err)
		}
		for _, l := range m.Layers {
			if dupe(l) {
				return tag.String(), true, nil
			}
		}
		if len(m.Layers) >= MaxSignatureLayers {
			return "", false, fmt.Errorf("existing %s already has %d layers, the limit: %w", tag, len(m.Layers), ErrLimit)
		}
		layers = m.Layers
	}
	layers = append(layers, layer)
	manifest, config, err := legacyManifest(layers)
	if err != nil {
		return "", false, err
	}
	if err := c.pushBlob(ctx, d.Context(), b, layer.MediaType); err != nil {
		return "", false, err
	}
	if err := c.pushBlob(ctx, d.Context(), config, types.OCIConfigJSON); err != nil {
		return "", false, err
	}
	if err := c.pushManifest(ctx, tag, manifest, types.OCIManifestSchema1); err != nil {
		return "", false, err
	}
	return tag.String(), false, nil
}

// writeBundle signs st in a DSSE envelope, wraps it in a bundle and pushes
// it as a referrer of d. It returns the referrer manifest digest.
func (c *client) writeBundle(ctx context.Context, d name.Digest, subject v1.Descriptor, st *Statement, s signature.Signer, created time.Time) (string, error) {
	env, err := signStatement(st, s)
	if err != nil {
		return "", err
	}
	pub, err := s.PublicKey()
	if err != nil {
		return "", fmt.Errorf("signer public key: %w", err)
	}
	hint, err := KeyHint(pub)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(Bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: VerificationMaterial{PublicKey: &PublicKeyHint{Hint: hint}},
		DSSEEnvelope:         env,
	})
	if err != nil {
		return "", fmt.Errorf("encode bundle: %w", err)
	}
	m, err := referrerManifest(b, st.PredicateType, created, subject)
	if err != nil {
		return "", err
	}
	if err := c.pushBlob(ctx, d.Context(), b, BundleMediaType); err != nil {
		return "", err
	}
	if err := c.pushBlob(ctx, d.Context(), emptyConfig, emptyMediaType); err != nil {
		return "", err
	}
	md := sha256Hash(m)
	if err := c.pushManifest(ctx, d.Context().Digest(md.String()), m, types.OCIManifestSchema1); err != nil {
		return "", err
	}
	return md.String(), nil
}

// signStatement encodes st and signs it in a DSSE envelope (PAE signing).
func signStatement(st *Statement, s signature.Signer) (*Envelope, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode in-toto statement: %w", err)
	}
	sig, err := s.SignMessage(bytes.NewReader(PAE(InTotoPayloadType, payload)))
	if err != nil {
		return nil, fmt.Errorf("sign statement: %w", err)
	}
	return &Envelope{
		Payload:     base64.StdEncoding.EncodeToString(payload),
		PayloadType: InTotoPayloadType,
		Signatures:  []EnvelopeSig{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}, nil
}

// verifierOf returns a verifier for the signer's public key.
func verifierOf(s signature.Signer) (signature.Verifier, error) {
	if v, ok := s.(signature.Verifier); ok {
		return v, nil
	}
	pub, err := s.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("signer public key: %w", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load verifier: %w", err)
	}
	return v, nil
}

func now(f func() time.Time) time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}
