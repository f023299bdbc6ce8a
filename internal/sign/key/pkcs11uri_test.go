package key

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func intp(n int) *int { return &n }

func TestParsePKCS11URI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		want *PKCS11URI
		err  string
	}{
		{"pkcs11:token=my%20token;object=signing?pin-value=1234",
			&PKCS11URI{Token: "my token", Object: "signing", PinValue: "1234"}, ""},
		{"pkcs11:serial=0123abcd;id=%01%FF;type=private?pin-source=file:/run/pin&module-path=/opt/hsm/lib.so",
			&PKCS11URI{Serial: "0123abcd", ID: []byte{1, 0xff}, Type: "private", PinSource: "file:/run/pin", ModulePath: "/opt/hsm/lib.so"}, ""},
		{"pkcs11:slot-id=3;object=k;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;x-vendor=1?module-name=softhsm2&x-q=2",
			&PKCS11URI{SlotID: intp(3), Object: "k", ModuleName: "softhsm2"}, ""},
		{"pkcs11:token=a;object=b;", &PKCS11URI{Token: "a", Object: "b"}, ""},
		{"pkcs11:token=a;object=b+c", &PKCS11URI{Token: "a", Object: "b+c"}, ""},
		{"file.key", nil, "does not start with"},
		{"pkcs11:object=b", nil, "no token, serial or slot-id"},
		{"pkcs11:token=a", nil, "no object or id"},
		{"pkcs11:token=a;object=b;token=c", nil, `"token" given twice`},
		{"pkcs11:token=a;object=b;colour=red", nil, `unknown attribute "colour"`},
		{"pkcs11:token=a;object=b?pin=1", nil, `unknown attribute "pin"`},
		{"pkcs11:token=a;object=b?pin-value=1&pin-source=/p", nil, "both pin-value and pin-source"},
		{"pkcs11:token=a;object=b?module-path=/a&module-name=b", nil, "both module-path and module-name"},
		{"pkcs11:token=a;object=b?module-name=../evil", nil, "bare name"},
		{"pkcs11:token=a;object=%zz", nil, "bad percent-encoding"},
		{"pkcs11:token=a;object", nil, "has no value"},
		{"pkcs11:slot-id=-1;object=b", nil, "not a slot number"},
		{"pkcs11:slot-id=one;object=b", nil, "not a slot number"},
		{"pkcs11:token=a;object=b;type=cert", nil, `type "cert"`},
		{"pkcs11:token=a;object=" + strings.Repeat("x", maxPKCS11URI), nil, "longer than"},
	} {
		t.Run(tc.uri[:min(len(tc.uri), 60)], func(t *testing.T) {
			got, err := ParsePKCS11URI(tc.uri)
			if tc.err != "" {
				if !errors.Is(err, ErrPKCS11URI) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want %v containing %q", err, ErrPKCS11URI, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			again, err := ParsePKCS11URI(got.String())
			if err != nil {
				t.Fatalf("String() %q does not parse: %v", got.String(), err)
			}
			if got.PinValue != "" {
				again.PinValue = got.PinValue
			}
			if !reflect.DeepEqual(again, got) {
				t.Fatalf("String() %q parses to %+v, want %+v", got.String(), again, got)
			}
		})
	}
}

func TestPKCS11URIStringHidesPIN(t *testing.T) {
	u, err := ParsePKCS11URI("pkcs11:token=a;object=b?pin-value=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if s := u.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, "pin-value=REDACTED") {
		t.Fatalf("String() = %q", s)
	}
}

func TestPKCS11PIN(t *testing.T) {
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("4321\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxPINFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		source, want, err string
	}{
		{pinFile, "4321", ""},
		{"file:" + pinFile, "4321", ""},
		{"file://" + pinFile, "4321", ""},
		{"|/bin/echo 1", "", "only files"},
		{"https://example.com/pin", "", "only files"},
		{filepath.Join(dir, "missing"), "", "no such file"},
		{big, "", "larger than"},
		{dir, "", "not a regular file"},
	} {
		u := &PKCS11URI{Token: "a", Object: "b", PinSource: tc.source}
		got, err := u.PIN()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %q, %v; want error %q", tc.source, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.source, got, err, tc.want)
		}
	}
}

func TestPKCS11Module(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libhsm.so")
	if err := os.WriteFile(lib, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPKCS11Module, lib)
	u := &PKCS11URI{Token: "a", Object: "b"}
	if got, err := u.Module(); err != nil || got != lib {
		t.Fatalf("from $%s: got %q, %v", EnvPKCS11Module, got, err)
	}
	u.ModulePath = filepath.Join(dir, "other.so")
	if _, err := u.Module(); !errors.Is(err, ErrPKCS11Module) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing module-path: got %v", err)
	}
	u.ModulePath = ""
	u.ModuleName = "no-such-module-redline"
	if _, err := u.Module(); !errors.Is(err, ErrPKCS11Module) || !strings.Contains(err.Error(), "none found") {
		t.Fatalf("missing module-name: got %v", err)
	}
	t.Setenv(EnvPKCS11Module, filepath.Join(dir, "gone.so"))
	if _, err := (&PKCS11URI{Token: "a", Object: "b"}).Module(); !errors.Is(err, ErrPKCS11Module) {
		t.Fatalf("missing $%s module: got %v", EnvPKCS11Module, err)
	}
}

func FuzzParsePKCS11URI(f *testing.F) {
	for _, s := range []string{
		"pkcs11:token=a;object=b?pin-value=1",
		"pkcs11:serial=1;id=%01%02;type=private?pin-source=file:/p&module-path=/m.so",
		"pkcs11:slot-id=3;object=k;x-a=b?module-name=softhsm2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParsePKCS11URI(s)
		if err != nil {
			if !errors.Is(err, ErrPKCS11URI) {
				t.Fatalf("error %v is not ErrPKCS11URI", err)
			}
			return
		}
		again, err := ParsePKCS11URI(u.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", u.String(), s, err)
		}
		if u.PinValue != "" {
			again.PinValue = u.PinValue
		}
		if !reflect.DeepEqual(again, u) {
			t.Fatalf("%q → %q: %+v != %+v", s, u.String(), again, u)
		}
	})
}
