package server

import (
	"bytes"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/redline-sec/redline/internal/store"
)

func mustProxies(t testing.TB, specs ...string) proxies {
	t.Helper()
	ps, err := ParseTrustedProxies(specs)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestParseTrustedProxies(t *testing.T) {
	ps := mustProxies(t, "10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32", "::ffff:172.16.0.0/108", "10.1.2.3/8")
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "172.16.0.0/12", "10.0.0.0/8"}
	for i, p := range ps {
		if p.String() != want[i] {
			t.Errorf("prefix %d: %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "fe80::1%eth0", "10.0.0.0/8,10.1.0.0/16"} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestClientAddr(t *testing.T) {
	trusted := mustProxies(t, "10.0.0.0/8", "2001:db8:ffff::/48")
	long := strings.Repeat("198.51.100.1, ", maxForwardedBytes/14+1) + "203.0.113.5"
	deep := "203.0.113.5" + strings.Repeat(", 10.0.0.1", maxForwardedHops)
	cases := []struct {
		name string
		peer string
		xff  []string
		fwd  []string
		want string // "" keeps the peer
	}{
		{"untrusted peer: headers ignored (spoofing)", "198.51.100.7:4000", []string{"203.0.113.5"}, []string{"for=203.0.113.6"}, ""},
		{"untrusted peer next to a trusted range", "11.0.0.1:4000", []string{"203.0.113.5"}, nil, ""},
		{"trusted peer without headers", "10.0.0.1:4000", nil, nil, ""},
		{"one hop", "10.0.0.1:4000", []string{"203.0.113.5"}, nil, "203.0.113.5"},
		{"client-sent prefix is skipped", "10.0.0.1:4000", []string{"1.1.1.1, 203.0.113.5"}, nil, "203.0.113.5"},
		{"trusted hops are walked", "10.0.0.1:4000", []string{"1.1.1.1, 203.0.113.5, 10.2.3.4", "10.9.9.9"}, nil, "203.0.113.5"},
		{"all trusted: the leftmost", "10.0.0.1:4000", []string{"10.3.3.3, 10.2.2.2"}, nil, "10.3.3.3"},
		{"port and brackets", "10.0.0.1:4000", []string{"[2001:db8::5]:443, 203.0.113.5:8080"}, nil, "203.0.113.5"},
		{"IPv6 peer and client", "[2001:db8:ffff::1]:4000", []string{"2001:db8::5"}, nil, "2001:db8::5"},
		{"IPv4-mapped", "[::ffff:10.0.0.1]:4000", []string{"::ffff:203.0.113.5"}, nil, "203.0.113.5"},
		{"junk left of the client is ignored", "10.0.0.1:4000", []string{"<script>, 203.0.113.5"}, nil, "203.0.113.5"},
		{"malformed walked entry", "10.0.0.1:4000", []string{"203.0.113.5, not-an-ip"}, nil, ""},
		{"empty entry", "10.0.0.1:4000", []string{"203.0.113.5, "}, nil, ""},
		{"zone", "10.0.0.1:4000", []string{"fe80::1%eth0"}, nil, ""},
		{"zone with a port", "10.0.0.1:4000", []string{`[fe80::1%"><img src=x> spoofed]:1`}, nil, ""},
		{"Forwarded zone with a port", "10.0.0.1:4000", nil, []string{`for="[fe80::1%eth0]:1"`}, ""},
		{"too long", "10.0.0.1:4000", []string{long}, nil, ""},
		{"too many trusted hops", "10.0.0.1:4000", []string{deep}, nil, ""},
		{"X-Forwarded-For wins over Forwarded", "10.0.0.1:4000", []string{"203.0.113.5"}, []string{"for=203.0.113.6"}, "203.0.113.5"},
		{"Forwarded", "10.0.0.1:4000", nil, []string{`for=192.0.2.60;proto=http;by=203.0.113.43, for=10.0.0.9`}, "192.0.2.60"},
		{"Forwarded quoted IPv6 with port", "10.0.0.1:4000", nil, []string{`for="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"Forwarded case and fields", "10.0.0.1:4000", nil, []string{`For=198.51.100.9`, `for=10.0.0.2;host="a;b,c"`}, "198.51.100.9"},
		{"Forwarded unknown", "10.0.0.1:4000", nil, []string{`for=unknown`}, ""},
		{"Forwarded obfuscated", "10.0.0.1:4000", nil, []string{`for=_hidden`}, ""},
		{"Forwarded element without for", "10.0.0.1:4000", nil, []string{`proto=https`}, ""},
		{"Forwarded two for", "10.0.0.1:4000", nil, []string{`for=1.2.3.4;for=5.6.7.8`}, ""},
		{"Forwarded open quote", "10.0.0.1:4000", nil, []string{`for="1.2.3.4`}, ""},
		{"Forwarded parameter without value", "10.0.0.1:4000", nil, []string{`for=1.2.3.4;secure`}, ""},
		{"peer without port", "10.0.0.1", []string{"203.0.113.5"}, nil, "203.0.113.5"},
		{"peer not an address", "pipe", []string{"203.0.113.5"}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range c.xff {
				h.Add("X-Forwarded-For", v)
			}
			for _, v := range c.fwd {
				h.Add("Forwarded", v)
			}
			a, ok := clientAddr(c.peer, h, trusted)
			if got := map[bool]string{true: a.String(), false: ""}[ok]; got != c.want {
				t.Errorf("client %q, want %q", got, c.want)
			}
		})
	}
}

// TestTrustedProxyAudit checks, through a real server, that the audit log
// records the client a trusted proxy names, and the peer when a client
// that is not a trusted proxy sends the same headers.
func TestTrustedProxyAudit(t *testing.T) {
	for _, c := range []struct {
		name    string
		trusted string
		want    string
	}{
		{"trusted", "127.0.0.0/8", "203.0.113.5"},
		{"spoofed", "10.0.0.0/8", "127.0.0.1:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, Config{TrustedProxies: mustProxies(t, c.trusted)})
			req, err := http.NewRequest("POST", ts.URL+"/api/v1/tokens", bytes.NewReader([]byte(`{"name":"ci","scopes":["read"]}`)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+ts.admin)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.5")
			req.Header.Set("Forwarded", "for=192.0.2.1")
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
				t.Fatalf("create token: %d", resp.StatusCode)
			}
			var e *store.AuditEntry
			for _, x := range auditEntries(t, ts, "") {
				if x.Action == "POST /api/v1/tokens" {
					e = &x
				}
			}
			if e == nil || !strings.HasPrefix(e.Remote, c.want) || (c.want != "127.0.0.1:" && e.Remote != c.want) {
				t.Fatalf("audit entry %+v, want remote %s", e, c.want)
			}
			if c.name == "trusted" && !strings.Contains(ts.logs.String(), `"peer":"127.0.0.1:`) {
				t.Error("the request log does not name the proxy peer")
			}
		})
	}
}

// FuzzClientAddr: any peer and header values give either no client (the
// peer stands) or a valid address that is in the headers; an untrusted
// peer never gets one.
func FuzzClientAddr(f *testing.F) {
	f.Add("10.0.0.1:4000", "198.51.100.1, 203.0.113.5", "")
	f.Add("10.0.0.1:4000", "", `for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.2`)
	f.Add("198.51.100.7:1", "203.0.113.5", "for=203.0.113.6")
	f.Add("[::ffff:10.0.0.1]:1", "\"", `for="\"`)
	trusted := proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	f.Fuzz(func(t *testing.T, peer, xff, fwd string) {
		h := http.Header{}
		if xff != "" {
			h.Set("X-Forwarded-For", xff)
		}
		if fwd != "" {
			h.Set("Forwarded", fwd)
		}
		a, ok := clientAddr(peer, h, trusted)
		if !ok {
			return
		}
		if !a.IsValid() || a.Zone() != "" {
			t.Fatalf("invalid client %v", a)
		}
		if pa, err := netip.ParseAddrPort(peer); err == nil && !trusted.trusted(pa.Addr().Unmap()) {
			t.Fatalf("untrusted peer %q got client %v", peer, a)
		}
		if len(xff) > maxForwardedBytes || (xff == "" && len(fwd) > maxForwardedBytes) {
			t.Fatalf("oversized header gave client %v", a)
		}
	})
}
