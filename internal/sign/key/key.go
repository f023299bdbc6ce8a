// Package key loads and creates the keys Redline signs and verifies with:
// password-encrypted key files in cosign's format, PKCS#11 tokens addressed
// by RFC 7512 URIs, and keys held in a cloud KMS or HashiCorp Vault. Every
// kind of reference resolves to a sigstore signature.SignerVerifier, so the
// code that signs never cares where the key lives.
package key

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// Sentinel errors callers can test with errors.Is.
var (
	// ErrWrongPassword means an encrypted key did not open: the password is
	// wrong or the ciphertext was changed.
	ErrWrongPassword = errors.New("wrong password or corrupt key")
	// ErrUnsupportedKey means the key's algorithm or size is not one Redline
	// signs or verifies with.
	ErrUnsupportedKey = errors.New("unsupported key type")
	// ErrNoPassword means an encrypted key needs a password and none can be had.
	ErrNoPassword = errors.New("no password: set REDLINE_PASSWORD (or COSIGN_PASSWORD) or run on a terminal")
)

// Kind says where a key reference points.
type Kind int

// Kinds of key reference.
const (
	KindFile   Kind = iota // a key file on disk
	KindPKCS11             // a pkcs11: URI (RFC 7512)
	KindKMS                // a KMS reference such as awskms://…
)

// String names the kind for messages.
func (k Kind) String() string {
	switch k {
	case KindPKCS11:
		return "pkcs11"
	case KindKMS:
		return "kms"
	default:
		return "file"
	}
}

// KindOf says which kind of reference ref is, from its prefix alone.
func KindOf(ref string) Kind {
	switch {
	case strings.HasPrefix(ref, "pkcs11:"):
		return KindPKCS11
	case kmsScheme(ref) != "":
		return KindKMS
	default:
		return KindFile
	}
}

// LoadSigner resolves ref to a signer: a path to a private key file (cosign's
// encrypted format, or an unencrypted PKCS#8, SEC 1 or PKCS#1 PEM), a pkcs11:
// URI (RFC 7512), or a KMS reference (awskms://, gcpkms://, azurekms://,
// hashivault://). pass is asked for the password of an encrypted key file and
// may be nil when none is expected. Signatures are over SHA-256 digests, as
// cosign makes them. The result may hold a session open (PKCS#11); when it
// implements io.Closer, close it after use.
func LoadSigner(ctx context.Context, ref string, pass PassFunc) (signature.SignerVerifier, error) {
	if ref == "" {
		return nil, errors.New("empty key reference")
	}
	switch KindOf(ref) {
	case KindPKCS11:
		return loadPKCS11(ctx, ref)
	case KindKMS:
		return loadKMS(ctx, ref)
	default:
		priv, err := ReadPrivateKeyFile(ref, pass)
		if err != nil {
			return nil, err
		}
		return signerFor(priv)
	}
}

// LoadVerifier resolves ref to a verifier: a PEM public key file, an
// unencrypted private key file (its public half), a pkcs11: URI or a KMS
// reference. An encrypted private key file is refused with a hint to use its
// public key, so that verifying never asks for a password.
func LoadVerifier(ctx context.Context, ref string) (signature.Verifier, error) {
	if ref == "" {
		return nil, errors.New("empty key reference")
	}
	switch KindOf(ref) {
	case KindPKCS11, KindKMS:
		return LoadSigner(ctx, ref, nil)
	default:
		pub, err := ReadPublicKeyFile(ref)
		if err != nil {
			return nil, err
		}
		return VerifierFor(pub)
	}
}

// PublicKey returns the public key of any reference LoadSigner or
// LoadVerifier takes. For an encrypted key file pass is asked for the
// password; PKCS#11 sessions it opens are closed before it returns.
func PublicKey(ctx context.Context, ref string, pass PassFunc) (crypto.PublicKey, error) {
	if KindOf(ref) == KindFile {
		data, err := readLimited(ref)
		if err != nil {
			return nil, err
		}
		if block, _ := pem.Decode(data); block != nil && (block.Type == pemEncryptedSigstore || block.Type == pemEncryptedCosign) {
			priv, err := ParsePrivateKeyPEM(data, pass)
			if err != nil {
				return nil, fmt.Errorf("private key %s: %w", ref, err)
			}
			return priv.Public(), nil
		}
		pub, err := ParsePublicKeyPEM(data)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", ref, err)
		}
		return pub, nil
	}
	sv, err := LoadSigner(ctx, ref, pass)
	if err != nil {
		return nil, err
	}
	if c, ok := sv.(io.Closer); ok {
		defer c.Close()
	}
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("public key of %s: %w", ref, err)
	}
	return pub, nil
}

// PublicKeyPEM returns the PEM "PUBLIC KEY" block (PKIX) of a key.
func PublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

// CheckPublicKey returns an error wrapping ErrUnsupportedKey unless pub is an
// ECDSA key on P-256, P-384 or P-521, an RSA key of at least 2048 bits, or an
// Ed25519 key.
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return fmt.Errorf("%w: ECDSA key without a curve", ErrUnsupportedKey)
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: ECDSA on curve %s (want P-256, P-384 or P-521)", ErrUnsupportedKey, k.Curve.Params().Name)
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return fmt.Errorf("%w: empty RSA key", ErrUnsupportedKey)
		}
		if n := k.N.BitLen(); n < minRSABits {
			return fmt.Errorf("%w: RSA key of %d bits (want at least %d)", ErrUnsupportedKey, n, minRSABits)
		}
		return nil
	case ed25519.PublicKey:
		return nil
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
}

// VerifierFor returns a verifier for a public key after checking its type.
// Digests are SHA-256, as cosign uses for key-based signatures.
func VerifierFor(pub crypto.PublicKey) (signature.Verifier, error) {
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load verifier: %w", err)
	}
	return v, nil
}

// signerFor returns a signer for a private key after checking its type.
func signerFor(priv crypto.Signer) (signature.SignerVerifier, error) {
	if err := CheckPublicKey(priv.Public()); err != nil {
		return nil, err
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load signer: %w", err)
	}
	return sv, nil
}

const minRSABits = 2048
