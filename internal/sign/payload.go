package sign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// SimpleSigningType is the critical.type of every cosign image signature
// payload.
const SimpleSigningType = "cosign container image signature"

// Payload is the simple-signing document a legacy cosign signature signs.
// Its JSON layout (field names and order) is cosign's.
type Payload struct {
	Critical Critical          `json:"critical"`
	Optional map[string]string `json:"optional"`
}

// Critical is the part of a Payload a verifier must check.
type Critical struct {
	Identity Identity `json:"identity"`
	Image    ImageRef `json:"image"`
	Type     string   `json:"type"`
}

// Identity names the repository the signer meant to sign.
type Identity struct {
	DockerReference string `json:"docker-reference"`
}

// ImageRef holds the manifest digest the signature is for.
type ImageRef struct {
	DockerManifestDigest string `json:"docker-manifest-digest"`
}

// NewPayload returns the payload signing digest in repository repo (no tag
// or digest), with annotations in "optional" (omitted when empty, as cosign
// writes null then).
func NewPayload(repo, digest string, annotations map[string]string) Payload {
	p := Payload{Critical: Critical{
		Identity: Identity{DockerReference: repo},
		Image:    ImageRef{DockerManifestDigest: digest},
		Type:     SimpleSigningType,
	}}
	if len(annotations) > 0 {
		p.Optional = annotations
	}
	return p
}

// Marshal returns the compact JSON cosign writes: no trailing newline, map
// keys sorted, "optional" null when there are no annotations.
func (p Payload) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode simple-signing payload: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ParsePayload decodes a simple-signing payload. It rejects payloads over
// MaxPayloadSize, trailing data, a wrong critical.type and a digest that is
// not sha256:<64 hex>. Optional values that are not strings (cosign allows
// any JSON there) are kept in their JSON text form.
func ParsePayload(b []byte) (Payload, error) {
	if len(b) > MaxPayloadSize {
		return Payload{}, fmt.Errorf("simple-signing payload is %d bytes, more than the limit %d: %w", len(b), MaxPayloadSize, ErrLimit)
	}
	var raw struct {
		Critical *Critical                  `json:"critical"`
		Optional map[string]json.RawMessage `json:"optional"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return Payload{}, fmt.Errorf("decode simple-signing payload: %w", err)
	}
	if dec.More() {
		return Payload{}, errors.New("decode simple-signing payload: data after the JSON object")
	}
	if raw.Critical == nil {
		return Payload{}, errors.New("simple-signing payload has no critical section")
	}
	if raw.Critical.Type != SimpleSigningType {
		return Payload{}, fmt.Errorf("simple-signing payload type is %q, want %q", raw.Critical.Type, SimpleSigningType)
	}
	if err := checkDigest(raw.Critical.Image.DockerManifestDigest); err != nil {
		return Payload{}, fmt.Errorf("simple-signing payload: docker-manifest-digest: %w", err)
	}
	p := Payload{Critical: *raw.Critical}
	if len(raw.Optional) > 0 {
		p.Optional = make(map[string]string, len(raw.Optional))
		for k, v := range raw.Optional {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				s = string(v)
			}
			p.Optional[k] = s
		}
	}
	return p, nil
}

// checkDigest accepts "sha256:" followed by 64 lower-case hex digits.
func checkDigest(d string) error {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return fmt.Errorf("%q is not a sha256 digest", d)
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%q is not a sha256 digest", d)
		}
	}
	return nil
}
