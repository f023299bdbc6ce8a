//go:build cgo

package key

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
	"github.com/sigstore/sigstore/pkg/signature"
)

// pkcs11PoolWait bounds the wait for a free session on the token.
const pkcs11PoolWait = 30 * time.Second

// pkcs11Signer signs with a key pair that stays on a PKCS#11 token. It holds
// a logged-in session pool until Close.
type pkcs11Signer struct {
	ctx      *crypto11.Context
	key      crypto11.Signer
	verifier signature.Verifier
}

// loadPKCS11 opens the token a pkcs11: URI names, logs in and finds the key
// pair. Every failure names what was wrong and never shows the PIN.
func loadPKCS11(ctx context.Context, ref string) (signature.SignerVerifier, error) {
	u, err := ParsePKCS11URI(ref)
	if err != nil {
		return nil, err
	}
	module, err := u.Module()
	if err != nil {
		return nil, err
	}
	pin, err := u.PIN()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg := &crypto11.Config{Path: module, Pin: pin, PoolWaitTimeout: pkcs11PoolWait}
	switch {
	case u.Serial != "":
		cfg.TokenSerial = u.Serial
	case u.Token != "":
		cfg.TokenLabel = u.Token
	default:
		cfg.SlotNumber = u.SlotID
	}
	c11, err := crypto11.Configure(cfg)
	if err != nil {
		return nil, pkcs11ConfigureError(u, module, err)
	}
	s, err := findKeyPair(c11, u)
	if err != nil {
		_ = c11.Close()
		return nil, err
	}
	return s, nil
}

// findKeyPair finds exactly one key pair matching the URI's id and label.
func findKeyPair(c11 *crypto11.Context, u *PKCS11URI) (*pkcs11Signer, error) {
	var label []byte
	if u.Object != "" {
		label = []byte(u.Object)
	}
	keys, err := c11.FindKeyPairs(u.ID, label)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPKCS11Key, u, err)
	}
	switch len(keys) {
	case 0:
		return nil, fmt.Errorf("%w: no key pair matches %s", ErrPKCS11Key, u)
	case 1:
	default:
		return nil, fmt.Errorf("%w: %d key pairs match %s; add id= to pick one", ErrPKCS11Key, len(keys), u)
	}
	pub := keys[0].Public()
	if err := CheckPublicKey(pub); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	v, err := VerifierFor(pub)
	if err != nil {
		return nil, err
	}
	return &pkcs11Signer{ctx: c11, key: keys[0], verifier: v}, nil
}

// pkcs11ConfigureError turns crypto11's set-up errors into Redline's.
func pkcs11ConfigureError(u *PKCS11URI, module string, err error) error {
	var code pkcs11.Error
	if errors.As(err, &code) {
		switch code {
		case pkcs11.CKR_PIN_INCORRECT:
			return fmt.Errorf("%w: wrong PIN for %s", ErrPKCS11Login, u)
		case pkcs11.CKR_PIN_LOCKED:
			return fmt.Errorf("%w: the PIN of %s is locked (too many wrong PINs); the security officer must unlock it", ErrPKCS11Login, u)
		case pkcs11.CKR_PIN_EXPIRED:
			return fmt.Errorf("%w: the PIN of %s has expired", ErrPKCS11Login, u)
		case pkcs11.CKR_PIN_LEN_RANGE, pkcs11.CKR_PIN_INVALID:
			return fmt.Errorf("%w: the PIN for %s is not a valid PIN for this token", ErrPKCS11Login, u)
		case pkcs11.CKR_USER_PIN_NOT_INITIALIZED:
			return fmt.Errorf("%w: the user PIN of %s is not initialized", ErrPKCS11Login, u)
		case pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_TOKEN_NOT_RECOGNIZED, pkcs11.CKR_SLOT_ID_INVALID:
			return fmt.Errorf("%w: %s: %w", ErrPKCS11Token, u, err)
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "could not find PKCS#11 token"):
		return fmt.Errorf("%w: no token matches %s in module %s", ErrPKCS11Token, u, module)
	case strings.Contains(msg, "failed to create module context"):
		return fmt.Errorf("%w: %s: %w", ErrPKCS11Module, module, err)
	}
	return fmt.Errorf("open PKCS#11 token for %s: %w", u, err)
}

// SignMessage hashes message (SHA-256 unless an option says otherwise) and
// has the token sign the digest. ECDSA signatures are ASN.1 DER, RSA ones
// PKCS#1 v1.5, as cosign writes them.
func (s *pkcs11Signer) SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error) {
	digest, hf, err := signature.ComputeDigestForSigning(message, crypto.SHA256, []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}, opts...)
	if err != nil {
		return nil, err
	}
	sig, err := s.key.Sign(rand.Reader, digest, hf)
	if err != nil {
		return nil, fmt.Errorf("PKCS#11 sign: %w", err)
	}
	return sig, nil
}

// VerifySignature verifies with the key pair's public half, in memory.
func (s *pkcs11Signer) VerifySignature(sig, message io.Reader, opts ...signature.VerifyOption) error {
	return s.verifier.VerifySignature(sig, message, opts...)
}

// PublicKey returns the key pair's public half.
func (s *pkcs11Signer) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return s.key.Public(), nil
}

// Close logs out and releases the token's sessions.
func (s *pkcs11Signer) Close() error {
	return s.ctx.Close()
}
