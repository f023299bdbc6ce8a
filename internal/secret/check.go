package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
)

func lower(s string) string { return strings.ToLower(s) }

func itoa(n int) string { return strconv.Itoa(n) }

// shannon returns the Shannon entropy of s in bits per byte.
func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// isBase64UserPass reports whether s is base64 of "user:password" with a
// non-empty password, as in a Docker config.json "auth".
func isBase64UserPass(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return false
	}
	user, pass, ok := bytes.Cut(b, []byte(":"))
	return ok && len(user) > 0 && len(pass) > 0 && notPlaceholder(string(pass))
}

// isJWT reports whether s is a JWT whose header is a JSON object with "alg".
func isJWT(s string) bool {
	head, _, ok := strings.Cut(s, ".")
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return false
	}
	var h map[string]any
	if json.Unmarshal(b, &h) != nil {
		return false
	}
	_, ok = h["alg"]
	return ok
}

// hasKeyBody reports whether a PEM body holds real key material: a run of
// at least 40 base64 characters, not "..." or a placeholder.
func hasKeyBody(body string) bool {
	run := 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			run++
			if run >= 40 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// placeholder matches values that stand for a secret rather than being one.
var placeholder = regexp.MustCompile(`^(?:\$|%|<|\{|\*+$|x+$|\.\.\.)|^(?i:pass|pwd|pw|secret|test|user|admin|root|guest|token|xxx+)$|\}\}?$`)

// notPlaceholder rejects ${VAR}, %s, <token>, {{ .x }}, ***, and the like.
func notPlaceholder(s string) bool { return !placeholder.MatchString(s) }

// codeish matches values that are expressions rather than literals:
// dotted identifiers (cfg.Password), calls, paths of identifiers.
var codeish = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:[.\->]+[A-Za-z_][A-Za-z0-9_]*)+$|^[a-z]+(?:[A-Z][a-z]+[0-9]*)+$|^(?:[A-Z][a-z]+[0-9]*){2,}$|^[a-z0-9]+(?:_[a-z0-9]+)+$|^[A-Z0-9]+(?:_[A-Z0-9]+)+$|^/`)

// notCode rejects values that are code or names, and placeholders. A
// generic value must also mix letters with digits or symbols.
func notCode(s string) bool {
	if !notPlaceholder(s) || codeish.MatchString(s) {
		return false
	}
	var letters, others bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			letters = true
		} else {
			others = true
		}
	}
	return letters && others
}
