package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unsetPasswords clears both password variables for the test.
func unsetPasswords(t *testing.T) {
	t.Helper()
	for _, name := range []string{"REDLINE_PASSWORD", "COSIGN_PASSWORD"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func TestKeyGenerateAndPublic(t *testing.T) {
	unsetPasswords(t)
	t.Setenv("REDLINE_PASSWORD", "s3cret")
	prefix := filepath.Join(t.TempDir(), "release")

	code, out, errOut := run(t, "key", "generate", "--output-key-prefix", prefix)
	if code != ExitOK {
		t.Fatalf("generate exited %d: %s", code, errOut)
	}
	if out != "" || !strings.Contains(errOut, "Private key written to "+prefix+".key") || strings.Contains(errOut, "s3cret") {
		t.Fatalf("generate printed stdout %q stderr %q", out, errOut)
	}
	fi, err := os.Stat(prefix + ".key")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	keyPEM, _ := os.ReadFile(prefix + ".key")
	if !strings.HasPrefix(string(keyPEM), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----") {
		t.Fatalf("key file starts %q", keyPEM[:40])
	}
	pubPEM, _ := os.ReadFile(prefix + ".pub")

	if code, _, errOut := run(t, "key", "generate", "--output-key-prefix", prefix); code != ExitError || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second generate exited %d: %s", code, errOut)
	}
	if again, _ := os.ReadFile(prefix + ".key"); string(again) != string(keyPEM) {
		t.Fatal("refused generate changed the key")
	}

	for _, ref := range []string{prefix + ".key", prefix + ".pub"} {
		code, out, errOut := run(t, "key", "public", "--key", ref)
		if code != ExitOK || out != string(pubPEM) {
			t.Fatalf("public --key %s exited %d, printed %q (want the .pub): %s", ref, code, out, errOut)
		}
	}
	outFile := filepath.Join(t.TempDir(), "out.pub")
	if code, _, errOut := run(t, "key", "public", "--key", prefix+".key", "-o", outFile); code != ExitOK {
		t.Fatalf("public -o exited %d: %s", code, errOut)
	}
	if got, _ := os.ReadFile(outFile); string(got) != string(pubPEM) {
		t.Fatalf("public -o wrote %q", got)
	}

	t.Setenv("REDLINE_PASSWORD", "wrong")
	if code, _, errOut := run(t, "key", "public", "--key", prefix+".key"); code != ExitError || !strings.Contains(errOut, "wrong password or corrupt key") {
		t.Fatalf("public with the wrong password exited %d: %s", code, errOut)
	}

	t.Setenv("REDLINE_PASSWORD", "")
	if code, _, errOut := run(t, "key", "generate", "--output-key-prefix", prefix, "--force"); code != ExitOK || !strings.Contains(errOut, "empty password") {
		t.Fatalf("generate --force with an empty password exited %d: %s", code, errOut)
	}
	if now, _ := os.ReadFile(prefix + ".pub"); string(now) == string(pubPEM) {
		t.Fatal("--force kept the old key")
	}
}

func TestKeyPublicCosignKey(t *testing.T) {
	unsetPasswords(t)
	t.Setenv("COSIGN_PASSWORD", "")
	want, err := os.ReadFile("../sign/key/testdata/cosign.pub")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "key", "public", "--key", "../sign/key/testdata/cosign.key")
	if code != ExitOK || out != string(want) {
		t.Fatalf("exited %d, printed %q, want cosign.pub: %s", code, out, errOut)
	}
}

func TestKeyErrors(t *testing.T) {
	unsetPasswords(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"key", "public"}, "--key is required"},
		{[]string{"key", "public", "--key", filepath.Join(dir, "missing.key")}, "no such file"},
		{[]string{"key", "public", "--key", "../sign/key/testdata/cosign.key"}, "no password"},
		{[]string{"key", "public", "--key", "pkcs11:object=x"}, "bad PKCS#11 URI"},
		{[]string{"key", "public", "--key", "gcpkms://nope"}, "bad reference"},
		{[]string{"key", "generate", "--output-key-prefix", filepath.Join(dir, "k")}, "no password"},
		{[]string{"key", "generate", "--output-key-prefix", ""}, "must not be empty"},
		{[]string{"key", "generate", "extra"}, "unknown command"},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != ExitError || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exited %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "k.key")); !os.IsNotExist(err) {
		t.Error("generate without a password wrote a key")
	}
}
