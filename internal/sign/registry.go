package sign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Limits on what a verifier reads from a registry. Signature artifacts are
// small: cosign's payloads are a few hundred bytes, bundles a few KiB, and
// an attestation predicate (an SBOM) rarely over a few hundred KiB.
const (
	// MaxPayloadSize is the largest simple-signing payload, and signature
	// bundle, read.
	MaxPayloadSize = 1 << 20
	// MaxAttestationSize is the largest attestation read or written: a
	// DSSE envelope or bundle, whose statement may hold a whole SBOM or
	// scan report.
	MaxAttestationSize = 16 << 20
	// MaxSignatureLayers is the most layers a .sig/.att manifest may have.
	MaxSignatureLayers = 100
	// MaxReferrers is the most bundle referrers read for one image.
	MaxReferrers = 100
	// maxManifestSize is the largest signature or referrer manifest read.
	maxManifestSize = 4 << 20
)

// ErrLimit marks input over one of the limits above.
var ErrLimit = errors.New("over limit")

// Registry says how to reach the registry.
type Registry struct {
	// Insecure allows plain HTTP and unverified TLS (loopback registries
	// use HTTP anyway).
	Insecure bool
	// Keychain gives credentials; nil means the Docker keychain
	// (~/.docker/config.json and credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport; nil means remote.DefaultTransport.
	Transport http.RoundTripper
}

// client is a registry connection reused for every request of one
// operation.
type client struct {
	opts   []remote.Option
	insec  bool
	puller *remote.Puller
}

func newClient(ctx context.Context, r Registry) (*client, error) {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	opts = append(opts, remote.Reuse(p))
	return &client{opts: opts, insec: r.Insecure, puller: p}, nil
}

// parse parses an image reference.
// resolved is a reference found on its registry.
type resolved struct {
	c    *client
	ref  name.Reference // as given, parsed
	d    name.Digest    // the manifest digest ref names now
	desc v1.Descriptor
}

// openRef connects to the registry of ref and resolves ref to the
// manifest digest it names now: the first step of every operation here.
func openRef(ctx context.Context, reg Registry, ref string) (*resolved, error) {
	c, err := newClient(ctx, reg)
	if err != nil {
		return nil, err
	}
	r, err := c.parse(ref)
	if err != nil {
		return nil, err
	}
	d, desc, err := c.resolve(ctx, r)
	if err != nil {
		return nil, err
	}
	return &resolved{c: c, ref: r, d: d, desc: desc}, nil
}

func (c *client) parse(ref string) (name.Reference, error) {
	var o []name.Option
	if c.insec {
		o = append(o, name.Insecure)
	}
	r, err := name.ParseReference(ref, o...)
	if err != nil {
		return nil, fmt.Errorf("parse reference %q: %w", ref, err)
	}
	return r, nil
}

// resolve returns the digest ref names now and its descriptor.
func (c *client) resolve(ctx context.Context, ref name.Reference) (name.Digest, v1.Descriptor, error) {
	desc, err := c.puller.Head(ctx, ref)
	if err != nil {
		// Some registries answer HEAD badly; GET is the fallback.
		d, gerr := c.puller.Get(ctx, ref)
		if gerr != nil {
			return name.Digest{}, v1.Descriptor{}, fmt.Errorf("resolve %s: %w", ref, gerr)
		}
		desc = &d.Descriptor
	}
	if dr, ok := ref.(name.Digest); ok && dr.DigestStr() != desc.Digest.String() {
		return name.Digest{}, v1.Descriptor{}, fmt.Errorf("resolve %s: registry answered digest %s", ref, desc.Digest)
	}
	return ref.Context().Digest(desc.Digest.String()), v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest}, nil
}

// manifest fetches the manifest ref names (nil, nil when there is none),
// at most maxManifestSize bytes.
func (c *client) manifest(ctx context.Context, ref name.Reference) ([]byte, v1.Hash, error) {
	d, err := c.puller.Get(ctx, ref)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return nil, v1.Hash{}, nil
		}
		return nil, v1.Hash{}, fmt.Errorf("fetch manifest %s: %w", ref, err)
	}
	if d.Size > maxManifestSize || len(d.Manifest) > maxManifestSize {
		return nil, v1.Hash{}, fmt.Errorf("manifest %s is %d bytes, more than the limit %d: %w", ref, len(d.Manifest), maxManifestSize, ErrLimit)
	}
	return d.Manifest, d.Digest, nil
}

// blob fetches a blob of at most limit bytes by descriptor, checking size
// and digest.
func (c *client) blob(ctx context.Context, repo name.Repository, desc v1.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("blob %s is %d bytes, more than the limit %d: %w", desc.Digest, desc.Size, limit, ErrLimit)
	}
	if desc.Size < 0 || desc.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("blob %s: bad descriptor (size %d)", desc.Digest, desc.Size)
	}
	l, err := c.puller.Layer(ctx, repo.Digest(desc.Digest.String()))
	if err != nil {
		return nil, fmt.Errorf("fetch blob %s: %w", desc.Digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetch blob %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, desc.Size+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", desc.Digest, err)
	}
	if int64(len(b)) != desc.Size {
		return nil, fmt.Errorf("blob %s: got %d bytes, descriptor says %d", desc.Digest, len(b), desc.Size)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != desc.Digest.Hex {
		return nil, fmt.Errorf("blob %s: content digest mismatch", desc.Digest)
	}
	return b, nil
}

// pushBlob uploads b (a no-op when the registry has it).
func (c *client) pushBlob(ctx context.Context, repo name.Repository, b []byte, mt types.MediaType) error {
	if err := remote.WriteLayer(repo, static.NewLayer(b, mt), c.pushOpts(ctx)...); err != nil {
		return fmt.Errorf("upload blob to %s: %w", repo, err)
	}
	return nil
}

// pushManifest puts raw under ref. A manifest with a subject also updates
// the referrers fallback tag when the registry has no referrers API
// (go-containerregistry does this in remote.Put).
func (c *client) pushManifest(ctx context.Context, ref name.Reference, raw []byte, mt types.MediaType) error {
	if err := remote.Put(ref, rawManifest{raw: raw, mt: mt}, c.pushOpts(ctx)...); err != nil {
		return fmt.Errorf("push manifest %s: %w", ref, err)
	}
	return nil
}

// pushOpts are the options for writes: a Pusher is separate from the
// Puller, so Reuse is dropped.
func (c *client) pushOpts(ctx context.Context) []remote.Option {
	return append(c.opts[:len(c.opts)-1:len(c.opts)-1], remote.WithContext(ctx))
}

// rawManifest is a remote.Taggable of exact bytes.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// tagFor returns the cosign tag "sha256-<hex>.<suffix>" for digest d, or
// the referrers fallback tag "sha256-<hex>" when suffix is "".
func tagFor(d name.Digest, suffix string) name.Tag {
	t := strings.Replace(d.DigestStr(), ":", "-", 1)
	if suffix != "" {
		t += "." + suffix
	}
	return d.Context().Tag(t)
}

// sha256Hash returns the v1.Hash of b.
func sha256Hash(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// descriptorOf describes b as a blob of media type mt.
func descriptorOf(b []byte, mt types.MediaType) v1.Descriptor {
	return v1.Descriptor{MediaType: mt, Size: int64(len(b)), Digest: sha256Hash(b)}
}
