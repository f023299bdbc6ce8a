package sign

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
)

// BundleMediaType is the media type of a sigstore bundle v0.3, also the
// artifactType of the referrer manifest that carries one.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Bundle is the subset of a sigstore bundle v0.3 that key-based, offline
// signing writes and reads: a public-key hint and a DSSE envelope (or, read
// only, a message signature). Transparency-log entries, timestamps and
// certificates are decoded loosely and not trusted: verification here is
// by key alone.
type Bundle struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial VerificationMaterial `json:"verificationMaterial"`
	MessageSignature     *MessageSignature    `json:"messageSignature,omitempty"`
	DSSEEnvelope         *Envelope            `json:"dsseEnvelope,omitempty"`
}

// VerificationMaterial says which key signed the bundle.
type VerificationMaterial struct {
	PublicKey *PublicKeyHint `json:"publicKey,omitempty"`
}

// PublicKeyHint identifies the key: base64(SHA-256(SPKI DER)) in cosign.
type PublicKeyHint struct {
	Hint string `json:"hint"`
}

// MessageSignature is a bundle's signature over a message digest.
type MessageSignature struct {
	MessageDigest struct {
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	} `json:"messageDigest"`
	Signature string `json:"signature"`
}

// ParseBundle decodes a sigstore bundle of at most MaxAttestationSize bytes. It
// must be v0.3 (media type) and hold exactly one of a DSSE envelope or a
// message signature.
func ParseBundle(b []byte) (*Bundle, error) {
	if len(b) > MaxAttestationSize {
		return nil, fmt.Errorf("sigstore bundle is %d bytes, more than the limit %d: %w", len(b), MaxAttestationSize, ErrLimit)
	}
	var bu Bundle
	if err := decodeStrict(b, &bu); err != nil {
		return nil, fmt.Errorf("decode sigstore bundle: %w", err)
	}
	if bu.MediaType != BundleMediaType {
		return nil, fmt.Errorf("sigstore bundle media type %q is not %s", bu.MediaType, BundleMediaType)
	}
	switch {
	case bu.DSSEEnvelope != nil && bu.MessageSignature != nil:
		return nil, errors.New("sigstore bundle holds both a DSSE envelope and a message signature")
	case bu.DSSEEnvelope != nil:
		if err := bu.DSSEEnvelope.check(); err != nil {
			return nil, fmt.Errorf("sigstore bundle: %w", err)
		}
	case bu.MessageSignature != nil:
		if _, err := base64.StdEncoding.DecodeString(bu.MessageSignature.Signature); err != nil {
			return nil, fmt.Errorf("sigstore bundle: message signature is not base64: %w", err)
		}
	default:
		return nil, errors.New("sigstore bundle holds neither a DSSE envelope nor a message signature")
	}
	return &bu, nil
}

// KeyHint returns base64(SHA-256(SPKI DER of pub)), the public-key hint
// cosign writes in bundles and the key identity used by Cache.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
