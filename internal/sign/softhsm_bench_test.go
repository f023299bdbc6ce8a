//go:build cgo

package sign

import (
	"context"
	"crypto/elliptic"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/redline-sec/redline/internal/sign/key"
)

// softHSMModule is where Debian's softhsm2 package puts the module.
const softHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// softHSMSigner makes a private SoftHSM2 token with an ECDSA P-256 key and
// loads it through the key package, as `redline sign --key pkcs11:…` does.
func softHSMSigner(b *testing.B) string {
	b.Helper()
	util, err := exec.LookPath("softhsm2-util")
	if _, serr := os.Stat(softHSMModule); serr != nil || err != nil {
		b.Skip("SoftHSM2 is not installed: apt-get install -y softhsm2")
	}
	dir := b.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		b.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv("SOFTHSM2_CONF", conf)
	if out, err := exec.Command(util, "--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "87654321").CombinedOutput(); err != nil {
		b.Fatalf("softhsm2-util: %v\n%s", err, out)
	}
	c, err := crypto11.Configure(&crypto11.Config{Path: softHSMModule, TokenLabel: "bench", Pin: "1234"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.GenerateECDSAKeyPairWithLabel([]byte{1}, []byte("signer"), elliptic.P256()); err != nil {
		b.Fatal(err)
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	return fmt.Sprintf("pkcs11:token=bench;object=signer?pin-value=1234&module-path=%s", softHSMModule)
}

// BenchmarkSignSoftHSM is BenchmarkSign/legacy with the key on a SoftHSM2
// token, and BenchmarkVerify (legacy only) with the token's public key.
func BenchmarkSignSoftHSM(b *testing.B) {
	ctx := context.Background()
	uri := softHSMSigner(b)
	s, err := key.LoadSigner(ctx, uri, nil)
	if err != nil {
		b.Fatal(err)
	}
	if c, ok := s.(io.Closer); ok {
		defer c.Close()
	}
	reg := newTestRegistry(b, false)
	reg.pushImage("app", "v1", d1)
	ref := reg.host + "/app:v1"
	b.Run("sign", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if i%50 == 0 {
				reg.putManifest("app", fallbackTag(d1)+".sig", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`))
			}
			if _, err := Sign(ctx, ref, s, SignOptions{Annotations: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		reg.pushImage("one", "v1", d1)
		one := reg.host + "/one:v1"
		if _, err := Sign(ctx, one, s, SignOptions{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := Verify(ctx, one, s, VerifyOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
