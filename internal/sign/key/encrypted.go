package key

import (
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/bits"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

// PEM block types of cosign's encrypted key format. Cosign wrote the second
// before it moved to the sigstore name; both carry the same JSON.
const (
	pemEncryptedSigstore = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemEncryptedCosign   = "ENCRYPTED COSIGN PRIVATE KEY"
	pemPublicKey         = "PUBLIC KEY"
)

// The parameters Redline encrypts with: cosign's.
const (
	scryptN      = 65536
	scryptR      = 8
	scryptP      = 1
	scryptKeyLen = 32
	saltLen      = 32
	nonceLen     = 24
)

// Limits on what an encrypted key may ask of the machine when it is opened.
// Cosign writes N=65536 r=8 p=1 (64 MiB, a fraction of a second); older
// cosign versions wrote N=32768. The limits leave room for stronger settings
// and refuse files that would take minutes or gigabytes.
const (
	minScryptN      = 1 << 10
	maxScryptN      = 1 << 20
	maxScryptR      = 32
	maxScryptP      = 16
	maxScryptMemory = 256 << 20 // 128·N·r bytes
	maxScryptWork   = 1 << 22   // N·r·p, 8× cosign's
	maxSaltLen      = 64
	maxCiphertext   = 16 << 10 // an RSA-8192 PKCS#8 key is under 5 KiB
)

// encryptedKey is the JSON body of cosign's encrypted key PEM block.
type encryptedKey struct {
	KDF        kdfSpec    `json:"kdf"`
	Cipher     cipherSpec `json:"cipher"`
	Ciphertext []byte     `json:"ciphertext"`
}

type kdfSpec struct {
	Name   string       `json:"name"`
	Params scryptParams `json:"params"`
	Salt   []byte       `json:"salt"`
}

type scryptParams struct {
	N int `json:"N"`
	R int `json:"r"`
	P int `json:"p"`
}

type cipherSpec struct {
	Name  string `json:"name"`
	Nonce []byte `json:"nonce"`
}

// EncryptPEM encrypts a PKCS#8 DER private key with password in cosign's
// format and returns the PEM block "ENCRYPTED SIGSTORE PRIVATE KEY".
func EncryptPEM(pkcs8 []byte, password []byte) ([]byte, error) {
	return encryptPEM(pkcs8, password, scryptParams{N: scryptN, R: scryptR, P: scryptP})
}

// encryptPEM is EncryptPEM with the scrypt parameters given.
func encryptPEM(pkcs8 []byte, password []byte, params scryptParams) ([]byte, error) {
	if err := checkScrypt(params); err != nil {
		return nil, err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("read salt: %w", err)
	}
	var nonce [nonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("read nonce: %w", err)
	}
	k, err := scrypt.Key(password, salt, params.N, params.R, params.P, scryptKeyLen)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	var box [scryptKeyLen]byte
	copy(box[:], k)
	clear(k)
	ek := encryptedKey{
		KDF:        kdfSpec{Name: "scrypt", Params: params, Salt: salt},
		Cipher:     cipherSpec{Name: "nacl/secretbox", Nonce: nonce[:]},
		Ciphertext: secretbox.Seal(nil, pkcs8, &nonce, &box),
	}
	clear(box[:])
	body, err := json.Marshal(ek)
	if err != nil {
		return nil, fmt.Errorf("encode encrypted key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemEncryptedSigstore, Bytes: body}), nil
}

// decryptBody opens the JSON body of an encrypted key block and returns the
// PKCS#8 DER inside.
func decryptBody(body []byte, password []byte) ([]byte, error) {
	ek, err := parseEncryptedBody(body)
	if err != nil {
		return nil, err
	}
	k, err := scrypt.Key(password, ek.KDF.Salt, ek.KDF.Params.N, ek.KDF.Params.R, ek.KDF.Params.P, scryptKeyLen)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	var box [scryptKeyLen]byte
	copy(box[:], k)
	clear(k)
	var nonce [nonceLen]byte
	copy(nonce[:], ek.Cipher.Nonce)
	der, ok := secretbox.Open(nil, ek.Ciphertext, &nonce, &box)
	clear(box[:])
	if !ok {
		return nil, ErrWrongPassword
	}
	return der, nil
}

// parseEncryptedBody decodes and checks the JSON body without deriving
// anything, so a hostile file is refused before it costs time or memory.
func parseEncryptedBody(body []byte) (*encryptedKey, error) {
	var ek encryptedKey
	if err := json.Unmarshal(body, &ek); err != nil {
		return nil, fmt.Errorf("encrypted key: bad JSON: %w", err)
	}
	if ek.KDF.Name != "scrypt" {
		return nil, fmt.Errorf("encrypted key: unsupported KDF %q (want scrypt)", ek.KDF.Name)
	}
	if err := checkScrypt(ek.KDF.Params); err != nil {
		return nil, err
	}
	if n := len(ek.KDF.Salt); n == 0 || n > maxSaltLen {
		return nil, fmt.Errorf("encrypted key: salt of %d bytes (want 1 to %d)", n, maxSaltLen)
	}
	if ek.Cipher.Name != "nacl/secretbox" {
		return nil, fmt.Errorf("encrypted key: unsupported cipher %q (want nacl/secretbox)", ek.Cipher.Name)
	}
	if n := len(ek.Cipher.Nonce); n != nonceLen {
		return nil, fmt.Errorf("encrypted key: nonce of %d bytes (want %d)", n, nonceLen)
	}
	if n := len(ek.Ciphertext); n <= secretbox.Overhead || n > maxCiphertext {
		return nil, fmt.Errorf("encrypted key: ciphertext of %d bytes (want %d to %d)", n, secretbox.Overhead+1, maxCiphertext)
	}
	return &ek, nil
}

// checkScrypt refuses scrypt parameters outside the limits above.
func checkScrypt(p scryptParams) error {
	bad := func(why string) error {
		return fmt.Errorf("encrypted key: scrypt parameters N=%d r=%d p=%d refused: %s", p.N, p.R, p.P, why)
	}
	switch {
	case p.N < minScryptN || p.N > maxScryptN || bits.OnesCount(uint(p.N)) != 1:
		return bad(fmt.Sprintf("N must be a power of two from %d to %d", minScryptN, maxScryptN))
	case p.R < 1 || p.R > maxScryptR:
		return bad(fmt.Sprintf("r must be from 1 to %d", maxScryptR))
	case p.P < 1 || p.P > maxScryptP:
		return bad(fmt.Sprintf("p must be from 1 to %d", maxScryptP))
	case int64(128)*int64(p.N)*int64(p.R) > maxScryptMemory:
		return bad(fmt.Sprintf("needs more than %d MiB of memory", maxScryptMemory>>20))
	case int64(p.N)*int64(p.R)*int64(p.P) > maxScryptWork:
		return bad("would take too long")
	}
	return nil
}
