package sign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// InTotoPayloadType is the DSSE payloadType of an in-toto Statement.
const InTotoPayloadType = "application/vnd.in-toto+json"

// maxEnvelopeSignatures bounds the signatures one DSSE envelope may carry.
const maxEnvelopeSignatures = 16

// Envelope is a DSSE envelope. Field order is the one cosign writes.
type Envelope struct {
	Payload     string        `json:"payload"`
	PayloadType string        `json:"payloadType"`
	Signatures  []EnvelopeSig `json:"signatures"`
}

// EnvelopeSig is one signature of an Envelope. cosign writes no keyid.
type EnvelopeSig struct {
	KeyID string `json:"keyid,omitempty"`
	Sig   string `json:"sig"`
}

// PAE returns the DSSE v1 pre-authentication encoding of payload: the bytes
// that are signed.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// ParseEnvelope decodes a DSSE envelope of at most MaxAttestationSize bytes
// with 1 to 16 signatures and a standard base64 payload.
func ParseEnvelope(b []byte) (*Envelope, error) {
	if len(b) > MaxAttestationSize {
		return nil, fmt.Errorf("DSSE envelope is %d bytes, more than the limit %d: %w", len(b), MaxAttestationSize, ErrLimit)
	}
	var e Envelope
	if err := decodeStrict(b, &e); err != nil {
		return nil, fmt.Errorf("decode DSSE envelope: %w", err)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return &e, nil
}

func (e *Envelope) check() error {
	if e.PayloadType == "" {
		return errors.New("DSSE envelope has no payloadType")
	}
	if len(e.Signatures) == 0 {
		return errors.New("DSSE envelope has no signatures")
	}
	if len(e.Signatures) > maxEnvelopeSignatures {
		return fmt.Errorf("DSSE envelope has %d signatures, more than the limit %d: %w", len(e.Signatures), maxEnvelopeSignatures, ErrLimit)
	}
	if _, err := e.DecodedPayload(); err != nil {
		return err
	}
	return nil
}

// DecodedPayload returns the envelope's payload bytes.
func (e *Envelope) DecodedPayload() ([]byte, error) {
	p, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("DSSE payload is not standard base64: %w", err)
	}
	return p, nil
}

// Statement is an in-toto Statement (v0.1 or v1). Predicate is kept as raw
// JSON.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is one artifact a Statement is about.
type Subject struct {
	Name        string            `json:"name,omitempty"`
	Digest      map[string]string `json:"digest"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// In-toto Statement types cosign writes: v0.1 for attestations, v1 for the
// bundle-format signature statement.
const (
	StatementV01 = "https://in-toto.io/Statement/v0.1"
	StatementV1  = "https://in-toto.io/Statement/v1"
)

// maxSubjects bounds the subjects of one Statement.
const maxSubjects = 1024

// ParseStatement decodes an in-toto Statement of a known _type with at least
// one subject.
func ParseStatement(b []byte) (*Statement, error) {
	if len(b) > MaxAttestationSize {
		return nil, fmt.Errorf("in-toto statement is %d bytes, more than the limit %d: %w", len(b), MaxAttestationSize, ErrLimit)
	}
	var s Statement
	if err := decodeStrict(b, &s); err != nil {
		return nil, fmt.Errorf("decode in-toto statement: %w", err)
	}
	if s.Type != StatementV01 && s.Type != StatementV1 {
		return nil, fmt.Errorf("in-toto statement _type %q is not %s or %s", s.Type, StatementV01, StatementV1)
	}
	if len(s.Subject) == 0 {
		return nil, errors.New("in-toto statement has no subject")
	}
	if len(s.Subject) > maxSubjects {
		return nil, fmt.Errorf("in-toto statement has %d subjects, more than the limit %d: %w", len(s.Subject), maxSubjects, ErrLimit)
	}
	if s.PredicateType == "" {
		return nil, errors.New("in-toto statement has no predicateType")
	}
	return &s, nil
}

// HasSubjectDigest reports whether a subject of s has digest d
// ("sha256:<hex>").
func (s *Statement) HasSubjectDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok {
		return false
	}
	for _, sub := range s.Subject {
		if sub.Digest["sha256"] == hex {
			return true
		}
	}
	return false
}

// decodeStrict decodes one JSON value and rejects trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}
