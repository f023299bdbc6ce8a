//go:build !cgo

package key

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPKCS11NeedsCgo(t *testing.T) {
	_, err := LoadSigner(context.Background(), "pkcs11:token=t;object=k?pin-value=1234", nil)
	if !errors.Is(err, ErrPKCS11NoCgo) || !strings.Contains(err.Error(), "PKCS#11 needs a build with cgo") || strings.Contains(err.Error(), "1234") {
		t.Fatalf("got %v, want %v without the PIN", err, ErrPKCS11NoCgo)
	}
	if _, err := LoadSigner(context.Background(), "pkcs11:object=k", nil); !errors.Is(err, ErrPKCS11URI) {
		t.Fatalf("a bad URI without cgo: got %v, want %v", err, ErrPKCS11URI)
	}
}
