package server

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzLoginState feeds arbitrary login cookies to the callback's decoder:
// it must never panic, and a decoded state is complete with a safe return
// path.
func FuzzLoginState(f *testing.F) {
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"s":"a","n":"b","v":"c","r":"/ui/"}`)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"s":"a","n":"b","v":"c","r":"//evil.example"}`)))
	f.Add("not base64!")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		st, err := decodeLoginState(v)
		if err != nil {
			return
		}
		if st.State == "" || st.Nonce == "" || st.Verifier == "" {
			t.Fatalf("incomplete state accepted: %+v", st)
		}
		if !strings.HasPrefix(st.ReturnTo, "/") || strings.HasPrefix(st.ReturnTo, "//") || strings.ContainsAny(st.ReturnTo, "\\\r\n") {
			t.Fatalf("unsafe return path %q", st.ReturnTo)
		}
	})
}

// FuzzParseRoleMap checks the role-map parser on arbitrary text.
func FuzzParseRoleMap(f *testing.F) {
	f.Add("redline-admins=admin,appsec=security,shop-devs=developer@shop")
	f.Add("=,=@")
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseRoleMap(spec)
		if err != nil {
			return
		}
		for v, bs := range m {
			for _, b := range bs {
				if v == "" || b.Product == "" || b.Role.Rank() == 0 {
					t.Fatalf("bad binding %q -> %+v", v, b)
				}
			}
		}
	})
}
