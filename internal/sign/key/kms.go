package key

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/kms/aws"
	"github.com/sigstore/sigstore/pkg/signature/kms/azure"
	"github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	"github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// KMSLoadTimeout bounds loading a KMS key (client set-up and fetching the
// public key) when the caller's context has no earlier deadline.
const KMSLoadTimeout = 30 * time.Second

// ErrKMSTimeout means a KMS did not answer in time: it is unreachable, or
// credentials are being looked for somewhere that does not answer.
var ErrKMSTimeout = errors.New("KMS did not answer in time")

// kmsProvider is one KMS reference scheme and the check of its syntax that
// the sigstore provider exports.
type kmsProvider struct {
	scheme string
	valid  func(string) error
}

// kmsProviders are the schemes Redline hands to sigstore's KMS providers.
// Only these: sigstore's fallback of running a "sigstore-kms-<name>" plugin
// program found on PATH for any other scheme is never reached.
var kmsProviders = []kmsProvider{
	{aws.ReferenceScheme, aws.ValidReference},
	{azure.ReferenceScheme, azure.ValidReference},
	{gcp.ReferenceScheme, gcp.ValidReference},
	{hashivault.ReferenceScheme, hashivault.ValidReference},
	{hashivault.AlternativeScheme, hashivault.ValidReference},
}

// kmsScheme returns the KMS scheme ref starts with, or "".
func kmsScheme(ref string) string {
	for _, p := range kmsProviders {
		if strings.HasPrefix(ref, p.scheme) {
			return p.scheme
		}
	}
	return ""
}

// KMSSchemes lists the KMS reference schemes LoadSigner accepts.
func KMSSchemes() []string {
	s := make([]string, len(kmsProviders))
	for i, p := range kmsProviders {
		s[i] = p.scheme
	}
	return s
}

// loadKMS loads a KMS key and fetches its public key, so an unreachable KMS,
// missing credentials or a key of the wrong type fail here rather than at the
// first signature. Providers that ignore the context (Vault's client) are
// abandoned when it expires; their call ends in the background.
func loadKMS(ctx context.Context, ref string) (signature.SignerVerifier, error) {
	var p kmsProvider
	for _, c := range kmsProviders {
		if strings.HasPrefix(ref, c.scheme) {
			p = c
			break
		}
	}
	if p.valid == nil {
		return nil, fmt.Errorf("kms key %s: unknown scheme", ref)
	}
	if err := p.valid(ref); err != nil {
		return nil, fmt.Errorf("kms key %s: bad reference: %w", ref, err)
	}
	ctx, cancel := context.WithTimeout(ctx, KMSLoadTimeout)
	defer cancel()

	type result struct {
		sv  signature.SignerVerifier
		err error
	}
	done := make(chan result, 1)
	go func() {
		sv, err := kms.Get(ctx, ref, crypto.SHA256)
		if err != nil {
			done <- result{err: fmt.Errorf("kms key %s: %w", ref, err)}
			return
		}
		pub, err := sv.PublicKey(options.WithContext(ctx))
		if err != nil {
			done <- result{err: fmt.Errorf("kms key %s: fetch public key: %w", ref, err)}
			return
		}
		if err := CheckPublicKey(pub); err != nil {
			done <- result{err: fmt.Errorf("kms key %s: %w", ref, err)}
			return
		}
		done <- result{sv: sv}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrKMSTimeout, r.err)
		}
		return r.sv, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("kms key %s: %w: %w", ref, ErrKMSTimeout, ctx.Err())
	}
}
