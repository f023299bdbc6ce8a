package key

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pkcs8Of returns the DER inside a PEM "PRIVATE KEY" file.
func pkcs8Of(t *testing.T, name string) []byte {
	t.Helper()
	block, _ := pem.Decode(readTestdata(t, name))
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("%s: no PRIVATE KEY block", name)
	}
	return block.Bytes
}

var empty = StaticPass(nil)

// fastEncrypt encrypts with cheap scrypt parameters, for tests about
// anything but the parameters.
func fastEncrypt(t *testing.T, der, password []byte) []byte {
	t.Helper()
	enc, err := encryptPEM(der, password, scryptParams{N: minScryptN, R: 8, P: 1})
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func TestDecryptCosignKeys(t *testing.T) {
	for _, name := range []string{"cosign", "other"} {
		t.Run(name, func(t *testing.T) {
			priv, err := ReadPrivateKeyFile(filepath.Join("testdata", name+".key"), empty)
			if err != nil {
				t.Fatalf("decrypt %s.key with the empty password: %v", name, err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				t.Fatal(err)
			}
			if want := pkcs8Of(t, name+".UNENCRYPTED-pkcs8.pem"); !bytes.Equal(der, want) {
				t.Fatalf("decrypted %s.key differs from %s.UNENCRYPTED-pkcs8.pem", name, name)
			}
			pub, err := ReadPublicKeyFile(filepath.Join("testdata", name+".pub"))
			if err != nil {
				t.Fatal(err)
			}
			if !priv.Public().(*ecdsa.PublicKey).Equal(pub) {
				t.Fatalf("%s.key's public half is not %s.pub", name, name)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	_, err := ReadPrivateKeyFile(filepath.Join("testdata", "cosign.key"), StaticPass([]byte("wrong")))
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("got %v, want %v", err, ErrWrongPassword)
	}
	if !strings.Contains(err.Error(), "wrong password or corrupt key") {
		t.Fatalf("message %q does not say wrong password", err)
	}
}

func TestPasswordNeeded(t *testing.T) {
	_, err := ParsePrivateKeyPEM(readTestdata(t, "cosign.key"), nil)
	if !errors.Is(err, ErrNoPassword) {
		t.Fatalf("nil PassFunc: got %v, want %v", err, ErrNoPassword)
	}
	failing := func(bool) ([]byte, error) { return nil, ErrNoPassword }
	if _, err := ParsePrivateKeyPEM(readTestdata(t, "cosign.key"), failing); !errors.Is(err, ErrNoPassword) {
		t.Fatalf("failing PassFunc: got %v, want %v", err, ErrNoPassword)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		key    func() (crypto.Signer, error)
		cosign bool // with cosign's scrypt parameters (slow), else cheap ones
	}{
		{"p256", func() (crypto.Signer, error) { return GenerateECDSA() }, true},
		{"p384", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) }, false},
		{"p521", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) }, false},
		{"rsa2048", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }, false},
		{"ed25519", func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			priv, err := tc.key()
			if err != nil {
				t.Fatal(err)
			}
			password := []byte("correct horse")
			var enc []byte
			if tc.cosign {
				if enc, err = EncryptPrivateKey(priv, password); err != nil {
					t.Fatal(err)
				}
			} else {
				der, err := x509.MarshalPKCS8PrivateKey(priv)
				if err != nil {
					t.Fatal(err)
				}
				enc = fastEncrypt(t, der, password)
			}
			block, _ := pem.Decode(enc)
			if block.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
				t.Fatalf("PEM type %q", block.Type)
			}
			var ek encryptedKey
			if err := json.Unmarshal(block.Bytes, &ek); err != nil {
				t.Fatal(err)
			}
			if p := ek.KDF.Params; tc.cosign && (p.N != 65536 || p.R != 8 || p.P != 1 || len(ek.KDF.Salt) != 32) {
				t.Fatalf("scrypt params %+v salt %d bytes, want cosign's", p, len(ek.KDF.Salt))
			}
			got, err := ParsePrivateKeyPEM(enc, StaticPass(password))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(priv.Public()) {
				t.Fatal("round trip gave another key")
			}
			if _, err := ParsePrivateKeyPEM(enc, StaticPass([]byte("correct horse "))); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("wrong password: got %v", err)
			}
		})
	}
}

func TestOldCosignHeader(t *testing.T) {
	data := bytes.ReplaceAll(readTestdata(t, "cosign.key"), []byte("SIGSTORE"), []byte("COSIGN"))
	if _, err := ParsePrivateKeyPEM(data, empty); err != nil {
		t.Fatalf("ENCRYPTED COSIGN PRIVATE KEY: %v", err)
	}
}

// reencode decodes cosign.key's JSON, lets edit change it and returns the
// new PEM.
func reencode(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	block, _ := pem.Decode(readTestdata(t, "cosign.key"))
	var m map[string]any
	if err := json.Unmarshal(block.Bytes, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: body})
}

func flipBase64(t *testing.T, s any) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s.(string))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

func TestBadEncryptedKeys(t *testing.T) {
	kdf := func(m map[string]any) map[string]any { return m["kdf"].(map[string]any) }
	params := func(m map[string]any) map[string]any { return kdf(m)["params"].(map[string]any) }
	cipher := func(m map[string]any) map[string]any { return m["cipher"].(map[string]any) }
	for _, tc := range []struct {
		name string
		data []byte
		is   error  // errors.Is target, or nil
		want string // substring of the message
	}{
		{"tampered ciphertext", reencode(t, func(m map[string]any) { m["ciphertext"] = flipBase64(t, m["ciphertext"]) }), ErrWrongPassword, "wrong password or corrupt key"},
		{"tampered salt", reencode(t, func(m map[string]any) { kdf(m)["salt"] = flipBase64(t, kdf(m)["salt"]) }), ErrWrongPassword, ""},
		{"tampered nonce", reencode(t, func(m map[string]any) { cipher(m)["nonce"] = flipBase64(t, cipher(m)["nonce"]) }), ErrWrongPassword, ""},
		{"weaker N", reencode(t, func(m map[string]any) { params(m)["N"] = 32768 }), ErrWrongPassword, ""},
		{"huge N", reencode(t, func(m map[string]any) { params(m)["N"] = 1 << 30 }), nil, "N must be a power of two"},
		{"N not power of two", reencode(t, func(m map[string]any) { params(m)["N"] = 65535 }), nil, "N must be a power of two"},
		{"tiny N", reencode(t, func(m map[string]any) { params(m)["N"] = 2 }), nil, "N must be a power of two"},
		{"huge r", reencode(t, func(m map[string]any) { params(m)["r"] = 1 << 20 }), nil, "r must be"},
		{"zero r", reencode(t, func(m map[string]any) { params(m)["r"] = 0 }), nil, "r must be"},
		{"huge p", reencode(t, func(m map[string]any) { params(m)["p"] = 1 << 20 }), nil, "p must be"},
		{"memory", reencode(t, func(m map[string]any) { params(m)["N"] = 1 << 20; params(m)["r"] = 16 }), nil, "MiB of memory"},
		{"time", reencode(t, func(m map[string]any) { params(m)["p"] = 16 }), nil, "too long"},
		{"negative N", reencode(t, func(m map[string]any) { params(m)["N"] = -65536 }), nil, "N must be"},
		{"other KDF", reencode(t, func(m map[string]any) { kdf(m)["name"] = "pbkdf2" }), nil, `unsupported KDF "pbkdf2"`},
		{"other cipher", reencode(t, func(m map[string]any) { cipher(m)["name"] = "aes-gcm" }), nil, `unsupported cipher "aes-gcm"`},
		{"short nonce", reencode(t, func(m map[string]any) { cipher(m)["nonce"] = "AAAA" }), nil, "nonce of 3 bytes"},
		{"no salt", reencode(t, func(m map[string]any) { delete(kdf(m), "salt") }), nil, "salt of 0 bytes"},
		{"no ciphertext", reencode(t, func(m map[string]any) { delete(m, "ciphertext") }), nil, "ciphertext of 0 bytes"},
		{"N as string", reencode(t, func(m map[string]any) { params(m)["N"] = "65536" }), nil, "bad JSON"},
		{"not JSON", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte("hello")}), nil, "bad JSON"},
		{"no PEM", []byte("not a key"), nil, "no PEM block"},
		{"PKCS#8 encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), nil, "not supported"},
		{"public key", readTestdata(t, "cosign.pub"), nil, "this is a public key"},
		{"certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), nil, `unknown PEM block "CERTIFICATE"`},
		{"too big", bytes.Repeat([]byte("A"), maxKeyFile+1), nil, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKeyPEM(tc.data, empty)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestUnsupportedKeyTypes(t *testing.T) {
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	encrypted := func(der []byte) []byte { return fastEncrypt(t, der, nil) }
	plain := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}) }
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"RSA-1024 encrypted", encrypted(pkcs8(rsa1024)), "RSA key of 1024 bits"},
		{"RSA-1024 PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa1024)}), "RSA key of 1024 bits"},
		{"P-224 PKCS#8", plain(pkcs8(p224)), "curve P-224"},
		{"P-224 encrypted", encrypted(pkcs8(p224)), "curve P-224"},
		{"DSA PKCS#8", readTestdata(t, "dsa-2048.pem"), "unsupported key type"},
		{"DSA encrypted", encrypted(pkcs8Of(t, "dsa-2048.pem")), "unsupported key type"},
		{"Ed448 PKCS#8", readTestdata(t, "ed448.pem"), "unsupported key type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKeyPEM(tc.data, empty)
			if !errors.Is(err, ErrUnsupportedKey) {
				t.Fatalf("got %v, want %v", err, ErrUnsupportedKey)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q, want it to contain %q", err, tc.want)
			}
		})
	}
	der, err := x509.MarshalPKIXPublicKey(&rsa1024.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("RSA-1024 public key: got %v", err)
	}
}

func TestUnencryptedFormats(t *testing.T) {
	p256, err := GenerateECDSA()
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"PKCS#8", readTestdata(t, "cosign.UNENCRYPTED-pkcs8.pem")},
		{"SEC 1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})},
		{"PKCS#1 RSA-2048", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa2048)})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			priv, err := ParsePrivateKeyPEM(tc.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKeyPEM(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if !priv.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
				t.Fatal("public half differs")
			}
		})
	}
	if _, err := ParsePublicKeyPEM(readTestdata(t, "cosign.key")); err == nil || !strings.Contains(err.Error(), "encrypted private key") {
		t.Fatalf("public key from an encrypted key: got %v", err)
	}
}

func TestLoadSignerFileSignsForCosignPub(t *testing.T) {
	ctx := context.Background()
	sv, err := LoadSigner(ctx, filepath.Join("testdata", "cosign.key"), empty)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"critical":{"identity":{"docker-reference":"x"}}}`)
	sig, err := sv.SignMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref    string
		verify bool
	}{
		{filepath.Join("testdata", "cosign.pub"), true},
		{filepath.Join("testdata", "cosign.UNENCRYPTED-pkcs8.pem"), true},
		{filepath.Join("testdata", "other.pub"), false},
	} {
		v, err := LoadVerifier(ctx, tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		err = v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg))
		if (err == nil) != tc.verify {
			t.Errorf("verify with %s: err=%v, want verified=%v", tc.ref, err, tc.verify)
		}
	}
	// An independent check: the signature is plain ECDSA-SHA256 ASN.1.
	pub, err := ReadPublicKeyFile(filepath.Join("testdata", "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	iv, err := signature.LoadECDSAVerifier(pub.(*ecdsa.PublicKey), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := iv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
		t.Fatalf("sigstore ECDSA verifier: %v", err)
	}
	if err := iv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(append(msg, ' '))); err == nil {
		t.Fatal("a changed message verified")
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := LoadSigner(ctx, "", nil); err == nil {
		t.Fatal("empty ref loaded")
	}
	if _, err := LoadSigner(ctx, filepath.Join(t.TempDir(), "missing.key"), empty); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: got %v", err)
	}
	if _, err := LoadVerifier(ctx, filepath.Join("testdata", "cosign.key")); err == nil {
		t.Fatal("verifier from an encrypted key without a password")
	}
}

func TestWriteKeyPair(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "redline")
	priv, err := GenerateECDSA()
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteKeyPair(prefix, priv, []byte("pw"), false)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(files.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s mode %v, want 0600", files.PrivateKey, fi.Mode().Perm())
	}
	got, err := ReadPrivateKeyFile(files.PrivateKey, StaticPass([]byte("pw")))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKeyFile(files.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(got.Public()) || !priv.PublicKey.Equal(pub) {
		t.Fatal("written key pair does not read back")
	}
	before, _ := os.ReadFile(files.PrivateKey)
	if _, err := WriteKeyPair(prefix, priv, []byte("pw"), false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrite without force: got %v", err)
	}
	if after, _ := os.ReadFile(files.PrivateKey); !bytes.Equal(before, after) {
		t.Fatal("refused overwrite still changed the key")
	}
	// Only the .pub exists: still refused, nothing written.
	if err := os.Remove(files.PrivateKey); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteKeyPair(prefix, priv, []byte("pw"), false); err == nil {
		t.Fatal("overwrite of the .pub without force")
	}
	if _, err := os.Stat(files.PrivateKey); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("refused write created the .key")
	}
	if err := os.WriteFile(files.PrivateKey, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteKeyPair(prefix, priv, []byte("pw2"), true); err != nil {
		t.Fatalf("force: %v", err)
	}
	if fi, _ := os.Stat(files.PrivateKey); fi.Mode().Perm() != 0o600 {
		t.Fatalf("replaced key mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := ReadPrivateKeyFile(files.PrivateKey, StaticPass([]byte("pw2"))); err != nil {
		t.Fatal(err)
	}
}

func TestPassFrom(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	answers := func(list ...string) prompter {
		return func(string) ([]byte, error) {
			if len(list) == 0 {
				return nil, ErrNoPassword
			}
			a := list[0]
			list = list[1:]
			return []byte(a), nil
		}
	}
	for _, tc := range []struct {
		name    string
		env     func(string) (string, bool)
		prompt  prompter
		confirm bool
		want    string
		err     string
	}{
		{"redline first", env("REDLINE_PASSWORD", "a", "COSIGN_PASSWORD", "b"), answers(), false, "a", ""},
		{"cosign", env("COSIGN_PASSWORD", "b"), answers(), true, "b", ""},
		{"set but empty", env("REDLINE_PASSWORD", "", "COSIGN_PASSWORD", "b"), answers(), false, "", ""},
		{"prompt", env(), answers("x"), false, "x", ""},
		{"prompt twice", env(), answers("x", "x"), true, "x", ""},
		{"mismatch", env(), answers("x", "y"), true, "", "do not match"},
		{"no terminal", env(), answers(), false, "", "no password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := passFrom(tc.env, tc.prompt)(tc.confirm)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	for ref, want := range map[string]Kind{
		"cosign.key":                 KindFile,
		"./pkcs11.key":               KindFile,
		"pkcs11:token=a;object=b":    KindPKCS11,
		"awskms:///alias/x":          KindKMS,
		"gcpkms://projects/p":        KindKMS,
		"azurekms://vault.azure.net": KindKMS,
		"hashivault://key":           KindKMS,
		"openbao://key":              KindKMS,
		"k8s://ns/secret":            KindFile,
	} {
		if got := KindOf(ref); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", ref, got, want)
		}
	}
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	for _, name := range []string{"cosign.key", "other.key", "cosign.UNENCRYPTED-pkcs8.pem", "cosign.pub", "dsa-2048.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// A cheap key (N=1024) so the fuzzer reaches the decryption path fast.
	f.Add([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" +
		base64.StdEncoding.EncodeToString([]byte(`{"kdf":{"name":"scrypt","params":{"N":1024,"r":8,"p":1},"salt":"AAAA"},"cipher":{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"ciphertext":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)) +
		"\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		priv, err := ParsePrivateKeyPEM(data, empty)
		if err == nil {
			if err := CheckPublicKey(priv.Public()); err != nil {
				t.Fatalf("accepted a key CheckPublicKey refuses: %v", err)
			}
		}
		if pub, err := ParsePublicKeyPEM(data); err == nil {
			if err := CheckPublicKey(pub); err != nil {
				t.Fatalf("accepted a public key CheckPublicKey refuses: %v", err)
			}
		}
	})
}

// TestInteropSigstoreCryptoutils checks the format against sigstore's
// cryptoutils, which decrypts with go-securesystemslib as cosign does.
func TestInteropSigstoreCryptoutils(t *testing.T) {
	password := []byte("interop")
	pf := func(bool) ([]byte, error) { return password, nil }

	priv, err := GenerateECDSA()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := EncryptPrivateKey(priv, password)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := cryptoutils.UnmarshalPEMToPrivateKey(ours, pf)
	if err != nil {
		t.Fatalf("sigstore cannot decrypt a Redline key: %v", err)
	}
	if !priv.Equal(theirs) {
		t.Fatal("sigstore decrypted another key")
	}

	privPEM, pubPEM, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), pf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePrivateKeyPEM(privPEM, StaticPass(password))
	if err != nil {
		t.Fatalf("Redline cannot decrypt a sigstore key: %v", err)
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public().(*ecdsa.PublicKey).Equal(pub) {
		t.Fatal("decrypted key does not match its public key")
	}
}
