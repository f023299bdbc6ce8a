package key

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// benchPayload is about the size of a cosign simple-signing payload.
var benchPayload = bytes.Repeat([]byte("x"), 512)

func BenchmarkSignFileKey(b *testing.B) {
	sv, err := LoadSigner(context.Background(), filepath.Join("testdata", "cosign.key"), empty)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := sv.SignMessage(bytes.NewReader(benchPayload)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyFileKey(b *testing.B) {
	ctx := context.Background()
	sv, err := LoadSigner(ctx, filepath.Join("testdata", "cosign.key"), empty)
	if err != nil {
		b.Fatal(err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(benchPayload))
	if err != nil {
		b.Fatal(err)
	}
	v, err := LoadVerifier(ctx, filepath.Join("testdata", "cosign.pub"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(benchPayload)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadEncryptedKey is dominated by scrypt (N=65536, r=8, p=1).
func BenchmarkLoadEncryptedKey(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := LoadSigner(ctx, filepath.Join("testdata", "cosign.key"), empty); err != nil {
			b.Fatal(err)
		}
	}
}
