package cli

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const signKeys = "../sign/testdata/cosign/keys/"

// testRegistry starts an in-process registry and returns its host.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func pushRandomImage(t *testing.T, ref string) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func TestSignVerifyCommands(t *testing.T) {
	host := testRegistry(t)
	ref := host + "/app:v1"
	pushRandomImage(t, ref)
	priv, pub, other := signKeys+"cosign.UNENCRYPTED-pkcs8.pem", signKeys+"cosign.pub", signKeys+"other.pub"
	pred := filepath.Join(t.TempDir(), "vuln.json")
	if err := os.WriteFile(pred, []byte(`{"metadata":{"scanFinishedOn":"2026-01-01T00:00:00Z"},"scanner":{"result":{"critical":0}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"verify unsigned", []string{"verify", ref, "--key", pub}, ExitBlocked, "no signatures found"},
		{"sign", []string{"sign", ref, "--key", priv, "-a", "env=ci"}, ExitOK, "(legacy format) -> " + host + "/app:sha256-"},
		{"sign again", []string{"sign", ref, "--key", priv, "-a", "env=ci"}, ExitOK, "already"},
		{"sign bundle", []string{"sign", ref, "--key", priv, "--bundle", "-a", "env=ci"}, ExitOK, "(bundle format)"},
		{"verify", []string{"verify", ref, "--key", pub, "-a", "env=ci"}, ExitOK, "Verified " + ref},
		{"verify json", []string{"verify", ref, "--key", pub, "-o", "json"}, ExitOK, `"verified": true`},
		{"verify other key", []string{"verify", ref, "--key", other}, ExitBlocked, "invalid signature"},
		{"verify other key json", []string{"verify", ref, "--key", other, "-o", "json"}, ExitBlocked, `"verified": false`},
		{"verify annotation", []string{"verify", ref, "--key", pub, "-a", "env=prod"}, ExitBlocked, `signed annotation env is "ci", want "prod"`},
		{"verify missing image", []string{"verify", host + "/absent:v1", "--key", pub}, ExitError, "resolve"},
		{"bad annotation", []string{"sign", ref, "--key", priv, "-a", "novalue"}, ExitError, "want key=value"},
		{"no key", []string{"verify", ref}, ExitError, "key"},
		{"attest", []string{"attest", ref, "--key", priv, "--type", "vuln", "--predicate", pred}, ExitOK, "Attested"},
		{"attest bundle", []string{"attest", ref, "--key", priv, "--type", "vuln", "--predicate", pred, "--bundle"}, ExitOK, "(bundle format)"},
		{"verify-attestation", []string{"verify-attestation", ref, "--key", pub, "--type", "vuln", "--policy", `predicate.scanner.result.critical == 0`}, ExitOK, "2 attestation(s)"},
		{"verify-attestation policy false", []string{"verify-attestation", ref, "--key", pub, "--type", "vuln", "--policy", `timestamp(predicate.metadata.scanFinishedOn) > now - duration("168h")`}, ExitBlocked, "is false"},
		{"verify-attestation other type", []string{"verify-attestation", ref, "--key", pub, "--type", "cyclonedx"}, ExitBlocked, "no attestation of type https://cyclonedx.org/bom among the verified ones"},
		{"verify-attestation other key", []string{"verify-attestation", ref, "--key", other, "--type", "vuln"}, ExitBlocked, "invalid signature"},
		// The policy fails before any network: the registry does not exist.
		{"policy compile error", []string{"verify-attestation", "nowhere.invalid/app:v1", "--key", pub, "--type", "vuln", "--policy", "predicate."}, ExitError, "policy:"},
		{"unknown type", []string{"attest", ref, "--key", priv, "--type", "nope", "--predicate", pred}, ExitError, "unknown predicate type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}

// TestScanImageSignsOnPass: scan image --sign --attest signs and attests
// only when the gate passes.
func TestScanImageSignsOnPass(t *testing.T) {
	db := mustDB(t)
	host := testRegistry(t)
	priv, pub := signKeys+"cosign.UNENCRYPTED-pkcs8.pem", signKeys+"cosign.pub"

	clean := host + "/clean:v1"
	pushRandomImage(t, clean)
	code, _, errOut := run(t, "scan", "image", "--db", db, "-f", "json", "--fail-on", "low", "--sign", "--attest", "--key", priv, clean)
	if code != ExitOK {
		t.Fatalf("scan clean image: exit %d: %s", code, errOut)
	}
	for _, args := range [][]string{
		{"verify", clean, "--key", pub},
		{"verify-attestation", clean, "--key", pub, "--type", "vuln", "--policy",
			`timestamp(predicate.metadata.scanFinishedOn) > now - duration("168h") && predicate.scanner.result.summary.by_severity.critical == 0`},
		{"verify-attestation", clean, "--key", pub, "--type", "cyclonedx", "--policy", `predicate.bomFormat == "CycloneDX"`},
	} {
		if code, out, errOut := run(t, args...); code != ExitOK {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, errOut)
		}
	}

	vulnerable := host + "/vulnerable:v1"
	img, err := tarball.ImageFromPath(exampleImage(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(vulnerable)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	code, _, _ = run(t, "scan", "image", "--db", db, "-f", "json", "--fail-on", "low", "--sign", "--attest", "--key", priv, vulnerable)
	if code != ExitBlocked {
		t.Fatalf("scan vulnerable image: exit %d, want blocked", code)
	}
	if code, _, errOut := run(t, "verify", vulnerable, "--key", pub); code != ExitBlocked {
		t.Fatalf("blocked image was signed: exit %d %s", code, errOut)
	}
	if code, _, _ := run(t, "verify-attestation", vulnerable, "--key", pub, "--type", "vuln"); code != ExitBlocked {
		t.Fatal("blocked image was attested")
	}
	// --sign needs a key and a registry image.
	if code, _, errOut := run(t, "scan", "image", "--db", db, "--sign", clean); code != ExitError || !strings.Contains(errOut, "--key") {
		t.Fatalf("--sign without --key: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "scan", "image", "--db", db, "--sign", "--key", priv, "docker-archive:"+exampleImage(t)); code != ExitError || !strings.Contains(errOut, "registry image") {
		t.Fatalf("--sign on an archive: exit %d %s", code, errOut)
	}
}
