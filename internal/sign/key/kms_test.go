package key

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKMSBadReferences(t *testing.T) {
	for _, ref := range []string{
		"awskms://",
		"awskms:///not-a-key-id",
		"gcpkms://projects/p/locations/l",
		"azurekms://vault-only",
		"hashivault://bad/path",
		"openbao://",
	} {
		t.Run(ref, func(t *testing.T) {
			start := time.Now()
			_, err := LoadSigner(context.Background(), ref, nil)
			if err == nil || !strings.Contains(err.Error(), "bad reference") {
				t.Fatalf("got %v, want a bad reference error", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("refusing a bad reference took %v", d)
			}
		})
	}
}

// closedAddr returns an http:// address on loopback where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestKMSUnreachable loads KMS keys with no KMS to answer. Each must fail
// with an error, within the deadline, whatever the provider tries.
func TestKMSUnreachable(t *testing.T) {
	// A server that accepts and never answers: the worst case for a client
	// without its own timeout.
	stall := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(stall)

	// A TCP listener that accepts and never says a word: a stall for a TLS
	// client too (an HTTP test server answers a TLS hello at once with
	// "HTTP response to HTTPS client").
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	var held []net.Conn
	var heldMu sync.Mutex
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	}()
	defer func() {
		heldMu.Lock()
		defer heldMu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()

	closed := closedAddr(t)
	for _, tc := range []struct {
		name string
		ref  string
		env  map[string]string
	}{
		{"vault refused", "hashivault://redline", map[string]string{"VAULT_ADDR": closed, "VAULT_TOKEN": "t", "VAULT_MAX_RETRIES": "0"}},
		{"vault stalls", "hashivault://redline", map[string]string{"VAULT_ADDR": hang.URL, "VAULT_TOKEN": "t", "VAULT_MAX_RETRIES": "0"}},
		{"vault no address", "hashivault://redline", map[string]string{"VAULT_ADDR": "", "BAO_ADDR": "", "VAULT_TOKEN": "t"}},
		{"aws endpoint refused", "awskms://" + strings.TrimPrefix(closed, "http://") + "/alias/redline", map[string]string{
			"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_EC2_METADATA_DISABLED": "true"}},
		{"aws endpoint stalls", "awskms://" + mute.Addr().String() + "/alias/redline", map[string]string{
			"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_EC2_METADATA_DISABLED": "true"}},
		{"aws no credentials", "awskms:///alias/redline", map[string]string{"AWS_REGION": "us-east-1", "HOME": t.TempDir(), "AWS_EC2_METADATA_DISABLED": "true"}},
		{"gcp no credentials", "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "", "HOME": t.TempDir()}},
		{"azure no credentials", "azurekms://redline.vault.azure.net/key", map[string]string{"HOME": t.TempDir()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			_, err := LoadSigner(ctx, tc.ref, nil)
			d := time.Since(start)
			t.Logf("after %v: %v", d.Round(time.Millisecond), err)
			if err == nil {
				t.Fatal("loaded a KMS key with no KMS")
			}
			if !strings.Contains(err.Error(), "kms key") {
				t.Errorf("error %q does not name the KMS key", err)
			}
			// Generous for a loaded machine; a hang would be KMSLoadTimeout (30s) or more.
			if d > 10*time.Second {
				t.Fatalf("took %v, far past the 1s deadline", d)
			}
			if strings.Contains(tc.name, "stalls") && !errors.Is(err, ErrKMSTimeout) {
				t.Errorf("got %v, want %v", err, ErrKMSTimeout)
			}
		})
	}
}

func TestKMSVerifierDispatch(t *testing.T) {
	t.Setenv("VAULT_ADDR", closedAddr(t))
	t.Setenv("VAULT_TOKEN", "t")
	t.Setenv("VAULT_MAX_RETRIES", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := LoadVerifier(ctx, "hashivault://redline")
	if err == nil || !strings.Contains(err.Error(), "kms key hashivault://redline") {
		t.Fatalf("LoadVerifier of a KMS ref: got %v", err)
	}
}
