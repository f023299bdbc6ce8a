package secret

import (
	"bytes"
	"encoding/base64"
)

// Limits of base64 decoding. A credential is often stored base64-encoded
// (a service-account JSON in a Kubernetes manifest or CI variable); the
// detector decodes such runs and scans the decoded text, like gitleaks.
const (
	// minEncodedRun is the shortest run of base64 characters decoded.
	minEncodedRun = 32
	// maxDecodeDepth is how many times decoded text is itself decoded.
	maxDecodeDepth = 2
	// maxDecodeRuns bounds the runs decoded in one file, all depths together.
	maxDecodeRuns = 1000
	// maxDecodedBytes bounds the bytes decoded in one file, all depths together.
	maxDecodedBytes = 4 << 20
)

// encodingBase64 is Match.Encoding for a secret found in decoded base64.
const encodingBase64 = "base64"

// b64Class marks the bytes of the standard and URL base64 alphabets.
var b64Class = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "+/-_" {
		t[c] = true
	}
	return t
}()

// decodeBudget is what is left of the per-file decoding limits.
type decodeBudget struct {
	runs  int
	bytes int
}

// encodedRun is a base64 run in some content and its decoded text.
type encodedRun struct {
	start, end int
	decoded    []byte
}

// encodedRuns finds runs of at least minEncodedRun base64 characters (plus
// padding) that decode to printable text, within budget.
func encodedRuns(content []byte, b *decodeBudget) []encodedRun {
	var out []encodedRun
	// A run of minEncodedRun characters starting at or after i covers
	// i+minEncodedRun-1: when that byte is not in the alphabet, skip past
	// it. No run continues across i.
	for i := 0; i+minEncodedRun <= len(content); {
		p := i + minEncodedRun - 1
		if !b64Class[content[p]] {
			i = p + 1
			continue
		}
		start := p
		for start > i && b64Class[content[start-1]] {
			start--
		}
		end := p + 1
		for end < len(content) && b64Class[content[end]] {
			end++
		}
		i = end
		for i < len(content) && content[i] == '=' && i-end < 2 {
			i++
		}
		if end-start < minEncodedRun || !likelyBase64(content[start:end]) {
			continue
		}
		if b.runs <= 0 || b.bytes <= 0 {
			return out
		}
		b.runs--
		dec := decodeBase64(content[start:i])
		if dec == nil {
			continue
		}
		b.bytes -= len(dec)
		if b.bytes < 0 {
			return out
		}
		out = append(out, encodedRun{start: start, end: i, decoded: dec})
	}
	return out
}

// likelyBase64 skips long identifiers: encoded text mixes upper and lower
// case letters with digits or symbols.
func likelyBase64(run []byte) bool {
	var upper, lowerc, other bool
	for _, c := range run {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lowerc = true
		default:
			other = true
		}
		if upper && lowerc && other {
			return true
		}
	}
	return false
}

// decodeBase64 decodes s with the standard or the URL alphabet, padded or
// not, and returns nil unless the result is printable ASCII text.
func decodeBase64(s []byte) []byte {
	body := bytes.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if bytes.ContainsAny(body, "-_") {
		enc = base64.RawURLEncoding
	}
	dst := make([]byte, enc.DecodedLen(len(body)))
	n, err := enc.Decode(dst, body)
	if err != nil || !printableText(dst[:n]) {
		return nil
	}
	return dst[:n]
}

// printableText reports whether b is printable ASCII, tabs and line breaks.
func printableText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return len(b) > 0
}

// detectEncoded decodes the base64 runs of content and runs the detector on
// the decoded text. A match is reported at the line of its run, with Start
// and End spanning the run.
func (d *Detector) detectEncoded(path string, content []byte, depth int, b *decodeBudget) []Match {
	var out []Match
	for _, run := range encodedRuns(content, b) {
		ms := d.detectText(path, run.decoded, depth+1, b)
		if len(ms) == 0 || inlineAllowed(content, run.start) {
			continue
		}
		line := bytes.Count(content[:run.start], []byte{'\n'}) + 1
		for _, m := range ms {
			m.Line, m.Start, m.End = line, run.start, run.end
			m.Encoding = encodingBase64
			out = append(out, m)
		}
	}
	return out
}
