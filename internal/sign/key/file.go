package key

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxKeyFile bounds what is read from a key file: real ones are a few KiB.
const maxKeyFile = 64 << 10

// Unencrypted PEM block types accepted for private keys.
const (
	pemPKCS8 = "PRIVATE KEY"
	pemSEC1  = "EC PRIVATE KEY"
	pemPKCS1 = "RSA PRIVATE KEY"
)

// ReadPrivateKeyFile reads a private key file; see ParsePrivateKeyPEM.
func ReadPrivateKeyFile(path string, pass PassFunc) (crypto.Signer, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	priv, err := ParsePrivateKeyPEM(data, pass)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", path, err)
	}
	return priv, nil
}

// ParsePrivateKeyPEM parses the first PEM block of data as a private key:
// cosign's encrypted format (asking pass for the password), or an
// unencrypted PKCS#8, SEC 1 (EC) or PKCS#1 (RSA) key. The key must be of a
// type CheckPublicKey accepts.
func ParsePrivateKeyPEM(data []byte, pass PassFunc) (crypto.Signer, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key of %d bytes is larger than the %d-byte limit", len(data), maxKeyFile)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var (
		priv any
		err  error
	)
	switch block.Type {
	case pemEncryptedSigstore, pemEncryptedCosign:
		if pass == nil {
			return nil, ErrNoPassword
		}
		password, perr := pass(false)
		if perr != nil {
			return nil, fmt.Errorf("read password: %w", perr)
		}
		der, derr := decryptBody(block.Bytes, password)
		clear(password)
		if derr != nil {
			return nil, derr
		}
		priv, err = x509.ParsePKCS8PrivateKey(der)
		clear(der)
	case pemPKCS8:
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case pemSEC1:
		priv, err = x509.ParseECPrivateKey(block.Bytes)
	case pemPKCS1:
		priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New(`PKCS#8 "ENCRYPTED PRIVATE KEY" is not supported: decrypt it first ('openssl pkcs8 -in KEY -out KEY.pem'), or use a cosign-format key`)
	case pemPublicKey:
		return nil, errors.New("this is a public key, a private key is needed")
	default:
		return nil, fmt.Errorf("unknown PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, priv)
	}
	if err := CheckPublicKey(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// ReadPublicKeyFile reads a public key from a PEM file: a "PUBLIC KEY"
// block, or the public half of an unencrypted private key.
func ReadPublicKeyFile(path string) (crypto.PublicKey, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return pub, nil
}

// ParsePublicKeyPEM parses the first PEM block of data as a public key; see
// ReadPublicKeyFile.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key of %d bytes is larger than the %d-byte limit", len(data), maxKeyFile)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case pemPublicKey:
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
		}
		if err := CheckPublicKey(pub); err != nil {
			return nil, err
		}
		return pub, nil
	case pemEncryptedSigstore, pemEncryptedCosign:
		return nil, errors.New("this is an encrypted private key: verify with its public key (the .pub file, or 'redline key public --key REF')")
	case pemPKCS8, pemSEC1, pemPKCS1:
		priv, err := ParsePrivateKeyPEM(data, nil)
		if err != nil {
			return nil, err
		}
		return priv.Public(), nil
	default:
		return nil, fmt.Errorf("unknown PEM block %q (want PUBLIC KEY)", block.Type)
	}
}

// GenerateECDSA makes a new ECDSA P-256 key, the kind cosign generates.
func GenerateECDSA() (*ecdsa.PrivateKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ECDSA P-256 key: %w", err)
	}
	return priv, nil
}

// EncryptPrivateKey returns priv as a cosign encrypted key PEM block.
func EncryptPrivateKey(priv crypto.Signer, password []byte) ([]byte, error) {
	if err := CheckPublicKey(priv.Public()); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	defer clear(der)
	return EncryptPEM(der, password)
}

// KeyPairFiles are the paths WriteKeyPair wrote.
type KeyPairFiles struct {
	PrivateKey string // <prefix>.key, mode 0600, encrypted
	PublicKey  string // <prefix>.pub
}

// WriteKeyPair encrypts priv with password and writes <prefix>.key (mode
// 0600) and <prefix>.pub. Unless force is set it refuses to replace either
// file; with force it replaces both.
func WriteKeyPair(prefix string, priv crypto.Signer, password []byte, force bool) (KeyPairFiles, error) {
	files := KeyPairFiles{PrivateKey: prefix + ".key", PublicKey: prefix + ".pub"}
	if !force {
		for _, p := range []string{files.PrivateKey, files.PublicKey} {
			if _, err := os.Lstat(p); err == nil {
				return files, fmt.Errorf("%s already exists (use --force to replace it)", p)
			} else if !errors.Is(err, os.ErrNotExist) {
				return files, fmt.Errorf("check %s: %w", p, err)
			}
		}
	}
	enc, err := EncryptPrivateKey(priv, password)
	if err != nil {
		return files, err
	}
	pub, err := PublicKeyPEM(priv.Public())
	if err != nil {
		return files, err
	}
	if err := writeFile(files.PrivateKey, enc, 0o600, force); err != nil {
		return files, err
	}
	if err := writeFile(files.PublicKey, pub, 0o644, force); err != nil {
		return files, err
	}
	return files, nil
}

// writeFile writes data to path with mode. Without replace it fails if path
// exists (O_EXCL), so a race cannot clobber a key. With replace, an existing
// file is removed first so the new one gets mode, not the old file's.
func writeFile(path string, data []byte, mode os.FileMode, replace bool) error {
	if replace {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replace %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readLimited reads a key file of at most maxKeyFile bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("key file %s is larger than the %d-byte limit", path, maxKeyFile)
	}
	return data, nil
}
