package sign

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

const (
	fixtures = "testdata/cosign"
	d1       = "sha256:73ffdd9032ece6278ae6bb0f8e2cb0d196c3bfaa936a1ae724f8a8f1e90b7222"
	d2       = "sha256:703f0d6f59edad569eb8518266b769e8abacde0d8edcdf57afe5f32e51be38d7"
)

func readFixture(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signerFixture loads keys/<name>.UNENCRYPTED-pkcs8.pem.
func signerFixture(t testing.TB, name string) signature.SignerVerifier {
	t.Helper()
	blk, _ := pem.Decode(readFixture(t, "keys/"+name+".UNENCRYPTED-pkcs8.pem"))
	if blk == nil {
		t.Fatal("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadSignerVerifier(k, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// verifierFixture loads keys/<name>.pub.
func verifierFixture(t testing.TB, name string) signature.Verifier {
	t.Helper()
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(readFixture(t, "keys/"+name+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// blobPool maps sha256 hex to the content of every fixture file.
func blobPool(t testing.TB) map[string][]byte {
	t.Helper()
	pool := map[string][]byte{}
	err := filepath.WalkDir(fixtures, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		pool[hex.EncodeToString(sum[:])] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// testRegistry is an in-process registry on loopback.
type testRegistry struct {
	t    testing.TB
	host string
	pool map[string][]byte
}

func newTestRegistry(t testing.TB, referrersAPI bool) *testRegistry {
	t.Helper()
	var opts []registry.Option
	if referrersAPI {
		opts = append(opts, registry.WithReferrersSupport(true))
	}
	opts = append(opts, registry.Logger(discardLogger()))
	srv := httptest.NewServer(registry.New(opts...))
	t.Cleanup(srv.Close)
	return &testRegistry{t: t, host: strings.TrimPrefix(srv.URL, "http://"), pool: blobPool(t)}
}

func (r *testRegistry) ref(repo, rest string) string { return r.host + "/" + repo + rest }

func (r *testRegistry) blob(hexd string) []byte {
	b, ok := r.pool[hexd]
	if !ok {
		r.t.Fatalf("blob %s not in fixtures", hexd)
	}
	return b
}

func (r *testRegistry) pushBlob(repo string, b []byte) {
	r.t.Helper()
	rp, err := name.NewRepository(r.host + "/" + repo)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := remote.WriteLayer(rp, static.NewLayer(b, types.OCILayer)); err != nil {
		r.t.Fatal(err)
	}
}

// putManifest PUTs raw bytes with plain HTTP: no referrers fallback logic.
func (r *testRegistry) putManifest(repo, ref string, raw []byte) {
	r.t.Helper()
	var mt struct {
		MediaType string `json:"mediaType"`
	}
	if err := json.Unmarshal(raw, &mt); err != nil {
		r.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPut, "http://"+r.host+"/v2/"+repo+"/manifests/"+ref, bytes.NewReader(raw))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mt.MediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		r.t.Fatalf("PUT manifest %s:%s: %s", repo, ref, resp.Status)
	}
}

// pushManifest uploads the blobs raw references (from the pool; a missing
// legacy config is rebuilt with legacyManifest and must match) and PUTs it.
func (r *testRegistry) pushManifest(repo, ref string, raw []byte) {
	r.t.Helper()
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		r.t.Fatal(err)
	}
	if b, ok := r.pool[m.Config.Digest.Hex]; ok {
		r.pushBlob(repo, b)
	} else {
		_, cfg, err := legacyManifest(m.Layers)
		if err != nil {
			r.t.Fatal(err)
		}
		if got := sha256Hash(cfg); got != m.Config.Digest {
			r.t.Fatalf("rebuilt config %s, manifest says %s", got, m.Config.Digest)
		}
		r.pushBlob(repo, cfg)
	}
	for _, l := range m.Layers {
		r.pushBlob(repo, r.blob(l.Digest.Hex))
	}
	r.putManifest(repo, ref, raw)
}

// pushImage pushes image d (hex of D1 or D2) under tag.
func (r *testRegistry) pushImage(repo, tag, d string) {
	r.t.Helper()
	r.pushManifest(repo, tag, r.blob(strings.TrimPrefix(d, "sha256:")))
}

// fallbackTag is the referrers fallback tag of d.
func fallbackTag(d string) string { return strings.Replace(d, ":", "-", 1) }

func mustPub(t testing.TB, v signature.Verifier) crypto.PublicKey {
	t.Helper()
	p, err := v.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
