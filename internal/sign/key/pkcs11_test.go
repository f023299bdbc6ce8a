//go:build cgo

package key

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
	"github.com/sigstore/sigstore/pkg/signature"
)

// softHSM is a private SoftHSM2 token store with one initialized token.
type softHSM struct {
	module string
	label  string
	pin    string
}

// newSoftHSM makes a token store in a temporary directory, points
// SOFTHSM2_CONF at it and initializes one token. It skips the test when
// SoftHSM2 is not installed.
func newSoftHSM(tb testing.TB) *softHSM {
	tb.Helper()
	module := ""
	for _, m := range defaultModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	if module == "" || err != nil {
		tb.Skip("SoftHSM2 is not installed: apt-get install -y softhsm2")
	}
	dir := tb.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		tb.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	cfg := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("SOFTHSM2_CONF", conf)
	h := &softHSM{module: module, label: "redline-test", pin: "1234"}
	out, err := exec.Command(util, "--init-token", "--free", "--label", h.label, "--pin", h.pin, "--so-pin", "87654321").CombinedOutput()
	if err != nil {
		tb.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return h
}

// generate makes an ECDSA key pair on the token with crypto11.
func (h *softHSM) generate(tb testing.TB, id, label string, curve elliptic.Curve) {
	tb.Helper()
	c, err := crypto11.Configure(&crypto11.Config{Path: h.module, TokenLabel: h.label, Pin: h.pin})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if _, err := c.GenerateECDSAKeyPairWithLabel([]byte(id), []byte(label), curve); err != nil {
		tb.Fatal(err)
	}
}

func (h *softHSM) uri(object string) string {
	return fmt.Sprintf("pkcs11:token=%s;object=%s?pin-value=%s&module-path=%s", h.label, object, h.pin, h.module)
}

func closeIfCloser(tb testing.TB, v any) {
	tb.Helper()
	if c, ok := v.(io.Closer); ok {
		if err := c.Close(); err != nil {
			tb.Error(err)
		}
	}
}

func TestPKCS11SignVerify(t *testing.T) {
	h := newSoftHSM(t)
	h.generate(t, "\x01\x02", "signing", elliptic.P256())
	ctx := context.Background()
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(h.pin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := []byte("payload to sign")
	for _, ref := range []string{
		h.uri("signing"),
		fmt.Sprintf("pkcs11:token=%s;id=%%01%%02?pin-source=file:%s&module-path=%s", h.label, pinFile, h.module),
		fmt.Sprintf("pkcs11:token=%s;object=signing;type=private?pin-source=%s", h.label, pinFile), // default module
	} {
		t.Run(ref, func(t *testing.T) {
			sv, err := LoadSigner(ctx, ref, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer closeIfCloser(t, sv)
			sig, err := sv.SignMessage(bytes.NewReader(msg))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := sv.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			ec, ok := pub.(*ecdsa.PublicKey)
			if !ok || ec.Curve != elliptic.P256() {
				t.Fatalf("public key %T, want ECDSA P-256", pub)
			}
			independent, err := signature.LoadECDSAVerifier(ec, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if err := independent.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
				t.Fatalf("independent verify: %v", err)
			}
			if err := sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("another payload"))); err == nil {
				t.Fatal("signature verified for another message")
			}
			v, err := LoadVerifier(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			defer closeIfCloser(t, v)
			if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
				t.Fatalf("LoadVerifier: %v", err)
			}
			p, err := PublicKeyPEM(pub)
			if err != nil || !bytes.HasPrefix(p, []byte("-----BEGIN PUBLIC KEY-----")) {
				t.Fatalf("PublicKeyPEM: %q %v", p, err)
			}
			viaRef, err := PublicKey(ctx, ref, nil)
			if err != nil || !ec.Equal(viaRef) {
				t.Fatalf("PublicKey(ref) = %v, %v; want the token's key", viaRef, err)
			}
		})
	}
}

func TestPKCS11RSA(t *testing.T) {
	h := newSoftHSM(t)
	c, err := crypto11.Configure(&crypto11.Config{Path: h.module, TokenLabel: h.label, Pin: h.pin})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GenerateRSAKeyPairWithLabel([]byte{9}, []byte("rsa"), 2048)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	sv, err := LoadSigner(context.Background(), h.uri("rsa"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeIfCloser(t, sv)
	msg := []byte("payload")
	sig, err := sv.SignMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256) // RSA PKCS#1 v1.5, as cosign verifies
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
		t.Fatalf("RSA signature from the token does not verify: %v", err)
	}
}

func TestPKCS11Errors(t *testing.T) {
	h := newSoftHSM(t)
	h.generate(t, "\x01", "signing", elliptic.P256())
	h.generate(t, "\x02", "twin", elliptic.P256())
	h.generate(t, "\x03", "twin", elliptic.P256())
	h.generate(t, "\x04", "p224", elliptic.P224())
	dir := t.TempDir()
	notModule := filepath.Join(dir, "not-a-module.so")
	if err := os.WriteFile(notModule, []byte("not a shared library"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyPIN := filepath.Join(dir, "empty-pin")
	if err := os.WriteFile(emptyPIN, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ref  string
		is   error
		want string
	}{
		{"wrong PIN", fmt.Sprintf("pkcs11:token=%s;object=signing?pin-value=9999&module-path=%s", h.label, h.module), ErrPKCS11Login, "wrong PIN"},
		{"missing token", fmt.Sprintf("pkcs11:token=no-such-token;object=signing?pin-value=%s&module-path=%s", h.pin, h.module), ErrPKCS11Token, "no token matches"},
		{"missing slot", fmt.Sprintf("pkcs11:slot-id=987654;object=signing?pin-value=%s&module-path=%s", h.pin, h.module), ErrPKCS11Token, ""},
		{"missing module", fmt.Sprintf("pkcs11:token=%s;object=signing?pin-value=%s&module-path=%s", h.label, h.pin, filepath.Join(dir, "missing.so")), ErrPKCS11Module, "does not exist"},
		{"not a module", fmt.Sprintf("pkcs11:token=%s;object=signing?pin-value=%s&module-path=%s", h.label, h.pin, notModule), ErrPKCS11Module, ""},
		{"missing key", h.uri("no-such-key"), ErrPKCS11Key, "no key pair matches"},
		{"two keys", h.uri("twin"), ErrPKCS11Key, "2 key pairs match"},
		{"P-224 key", h.uri("p224"), ErrUnsupportedKey, "P-224"},
		{"no PIN", fmt.Sprintf("pkcs11:token=%s;object=signing?module-path=%s", h.label, h.module), ErrPKCS11URI, "no pin-value or pin-source"},
		{"empty PIN file", fmt.Sprintf("pkcs11:token=%s;object=signing?pin-source=%s&module-path=%s", h.label, emptyPIN, h.module), nil, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sv, err := LoadSigner(context.Background(), tc.ref, nil)
			if err == nil {
				closeIfCloser(t, sv)
				t.Fatal("no error")
			}
			t.Logf("error: %v", err)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "pin-value="+h.pin) || strings.Contains(err.Error(), "9999") {
				t.Errorf("error shows the PIN: %q", err)
			}
		})
	}
	// The wrong PIN above must not have left the token unusable.
	sv, err := LoadSigner(context.Background(), h.uri("signing"), nil)
	if err != nil {
		t.Fatalf("right PIN after a wrong one: %v", err)
	}
	closeIfCloser(t, sv)
}

// TestPKCS11ConfigureError covers the token answers SoftHSM2 cannot be made
// to give (it never locks a PIN).
func TestPKCS11ConfigureError(t *testing.T) {
	u := &PKCS11URI{Token: "t", Object: "k", PinValue: "secret"}
	for _, tc := range []struct {
		err  error
		is   error
		want string
	}{
		{fmt.Errorf("failed to log into long term session: %w", pkcs11.Error(pkcs11.CKR_PIN_LOCKED)), ErrPKCS11Login, "locked"},
		{fmt.Errorf("failed to log into long term session: %w", pkcs11.Error(pkcs11.CKR_PIN_EXPIRED)), ErrPKCS11Login, "expired"},
		{fmt.Errorf("x: %w", pkcs11.Error(pkcs11.CKR_TOKEN_NOT_PRESENT)), ErrPKCS11Token, ""},
		{errors.New("could not find PKCS#11 token"), ErrPKCS11Token, "no token matches"},
	} {
		got := pkcs11ConfigureError(u, "/m.so", tc.err)
		if !errors.Is(got, tc.is) || !strings.Contains(got.Error(), tc.want) || strings.Contains(got.Error(), "secret") {
			t.Errorf("%v: got %v, want %v containing %q", tc.err, got, tc.is, tc.want)
		}
	}
}

func BenchmarkSignPKCS11(b *testing.B) {
	h := newSoftHSM(b)
	h.generate(b, "\x01", "bench", elliptic.P256())
	sv, err := LoadSigner(context.Background(), h.uri("bench"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer closeIfCloser(b, sv)
	msg := bytes.Repeat([]byte("x"), 512)
	b.ResetTimer()
	for b.Loop() {
		if _, err := sv.SignMessage(bytes.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}
