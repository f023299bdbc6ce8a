package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Bounds of the forwarding headers read from a trusted proxy. A header
// (all its fields together) longer than maxForwardedBytes is ignored, and
// at most maxForwardedHops addresses are walked from its right end.
const (
	maxForwardedBytes = 4096
	maxForwardedHops  = 32
)

// ParseTrustedProxies reads reverse-proxy addresses: CIDR prefixes
// ("10.0.0.0/8", "fd00::/8") or single addresses ("192.0.2.7").
func ParseTrustedProxies(specs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(specs))
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, netip.PrefixFrom(p.Addr().Unmap(), unmappedBits(p)).Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR prefix (10.0.0.0/8) or an IP address", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// unmappedBits is a prefix's length once an IPv4-mapped IPv6 prefix
// (::ffff:10.0.0.0/104) is written as IPv4 (10.0.0.0/8).
func unmappedBits(p netip.Prefix) int {
	if a := p.Addr(); a.Is4In6() {
		return max(p.Bits()-96, 0)
	}
	return p.Bits()
}

// proxies is a set of trusted reverse proxies.
type proxies []netip.Prefix

func (ps proxies) trusted(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerKey is the context key of the TCP peer address of a request whose
// RemoteAddr was replaced by the client's address from a trusted proxy.
type peerKey struct{}

// peerFrom returns the TCP peer of a request that came through a trusted
// proxy; false when RemoteAddr is the peer.
func peerFrom(ctx context.Context) (string, bool) {
	p, ok := ctx.Value(peerKey{}).(string)
	return p, ok
}

// withClientAddr sets each request's RemoteAddr to the address of the
// client when the TCP peer is a trusted proxy that says who that is (see
// clientAddr), so the audit log, rate limits, sessions and logs all see
// the client. The peer stays in the context for the request log.
func withClientAddr(trusted proxies, h http.Handler) http.Handler {
	if len(trusted) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := clientAddr(r.RemoteAddr, r.Header, trusted); ok {
			r2 := r.Clone(context.WithValue(r.Context(), peerKey{}, r.RemoteAddr))
			r2.RemoteAddr = a.String()
			r = r2
		}
		h.ServeHTTP(w, r)
	})
}

// clientAddr returns the client address of a request from peer (its TCP
// peer, host:port) with headers h, and true, when the peer is inside a
// trusted prefix and its forwarding headers name a client. The address is
// taken from X-Forwarded-For when the request has one, else from the
// for= parameters of RFC 7239 Forwarded: walking the list from the right,
// the first address that is not itself a trusted proxy, or the leftmost
// when all are. Anything else (an untrusted peer, no header, a header too
// long, an entry walked that is not an IP address, more than
// maxForwardedHops trusted hops) answers false: the peer stands.
func clientAddr(peer string, h http.Header, trusted proxies) (netip.Addr, bool) {
	host := peer
	if hst, _, err := net.SplitHostPort(peer); err == nil {
		host = hst
	}
	pa, err := netip.ParseAddr(host)
	if err != nil || !trusted.trusted(pa.Unmap()) {
		return netip.Addr{}, false
	}
	var hops []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		joined, ok := joinBounded(xff)
		if !ok {
			return netip.Addr{}, false
		}
		hops = strings.Split(joined, ",")
	} else if fwd := h.Values("Forwarded"); len(fwd) > 0 {
		joined, ok := joinBounded(fwd)
		if !ok {
			return netip.Addr{}, false
		}
		if hops, ok = forwardedFor(joined); !ok {
			return netip.Addr{}, false
		}
	} else {
		return netip.Addr{}, false
	}
	var last netip.Addr
	for i, walked := len(hops)-1, 0; i >= 0; i, walked = i-1, walked+1 {
		if walked == maxForwardedHops {
			return netip.Addr{}, false
		}
		a, ok := parseHop(hops[i])
		if !ok {
			return netip.Addr{}, false
		}
		if !trusted.trusted(a) {
			return a, true
		}
		last = a
	}
	return last, last.IsValid()
}

// joinBounded joins the fields of one header with commas (as one list),
// refusing more than maxForwardedBytes.
func joinBounded(fields []string) (string, bool) {
	n := 0
	for _, f := range fields {
		n += len(f) + 1
	}
	if n > maxForwardedBytes+1 {
		return "", false
	}
	return strings.Join(fields, ","), true
}

// parseHop reads one forwarded address: an IP address, optionally with a
// port ("192.0.2.1:8080", "[2001:db8::1]:443") or in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Addr().Zone() != "" {
			return netip.Addr{}, false // a zone is free text; never let it into the audit log
		}
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// forwardedFor returns the for= value of each element of an RFC 7239
// Forwarded header, in order, unquoted. An element without for=, a
// parameter without "=", or an unterminated quoted string makes the whole
// header malformed.
func forwardedFor(v string) ([]string, bool) {
	var out []string
	var pair strings.Builder
	var forValue string
	hasFor := false
	inQuote, escaped := false, false
	// end closes a parameter: "for" is kept, others only checked.
	end := func() bool {
		p := strings.TrimSpace(pair.String())
		pair.Reset()
		if p == "" {
			return true
		}
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			return false
		}
		if strings.EqualFold(strings.TrimSpace(k), "for") {
			if hasFor {
				return false
			}
			forValue, hasFor = unquote(strings.TrimSpace(val)), true
		}
		return true
	}
	endElement := func() bool {
		if !end() || !hasFor {
			return false
		}
		out = append(out, forValue)
		hasFor = false
		return true
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ';':
			if !end() {
				return nil, false
			}
			continue
		case !inQuote && c == ',':
			if !endElement() {
				return nil, false
			}
			continue
		}
		pair.WriteByte(c)
	}
	if inQuote || escaped || !endElement() {
		return nil, false
	}
	return out, true
}

// unquote removes the quotes and backslash escapes of a quoted string;
// other values are returned as they are.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
