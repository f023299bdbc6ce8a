//go:build !cgo

package key

import (
	"context"
	"fmt"

	"github.com/sigstore/sigstore/pkg/signature"
)

// loadPKCS11 checks the URI, then reports that this build cannot load a
// PKCS#11 module.
func loadPKCS11(_ context.Context, ref string) (signature.SignerVerifier, error) {
	u, err := ParsePKCS11URI(ref)
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %s (this redline was built with CGO_ENABLED=0)", ErrPKCS11NoCgo, u)
}
