package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxResponseBody is how much of a response is read.
const maxResponseBody = 64 << 10

// Retry bounds the delivery of one alert. The zero value uses the defaults.
type Retry struct {
	// Attempts is the most requests made (default 4).
	Attempts int
	// Initial is the delay before the second attempt (default 500ms); it
	// doubles each time up to Max (default 8s), with jitter.
	Initial, Max time.Duration
	// Total bounds the whole delivery, waits included (default 30s).
	Total time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 4
	}
	if r.Initial <= 0 {
		r.Initial = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 8 * time.Second
	}
	if r.Total <= 0 {
		r.Total = 30 * time.Second
	}
	return r
}

// delay is the wait before attempt n+1 (n ≥ 1): Initial·2ⁿ⁻¹ capped at
// Max, of which the upper half is random.
func (r Retry) delay(n int) time.Duration {
	d := r.Initial
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	return d/2 + rand.N(d/2+1)
}

// permanentError is a failure that a retry will not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// checkFunc inspects a 2xx response body; a non-nil error fails the attempt,
// and a *permanentError stops retrying.
type checkFunc func(body []byte) error

// post sends body to target with retries. name is the notifier's name and
// shown the URL for errors; target itself is never printed.
func post(ctx context.Context, client *http.Client, name, target, shown string, body []byte, retry Retry, check checkFunc) error {
	if client == nil {
		client = http.DefaultClient
	}
	retry = retry.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, retry.Total)
	defer cancel()
	var last error
	for attempt := 1; attempt <= retry.Attempts; attempt++ {
		wait, err := postOnce(ctx, client, target, body, check)
		if err == nil {
			return nil
		}
		last = err
		var perm *permanentError
		if errors.As(err, &perm) || attempt == retry.Attempts {
			break
		}
		d := retry.delay(attempt)
		if wait > d {
			d = min(wait, retry.Max)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s alert to %s: %w (last attempt: %v)", name, shown, ctx.Err(), last)
		case <-t.C:
		}
	}
	return fmt.Errorf("%s alert to %s: %w", name, shown, last)
}

// postOnce makes one request. It returns the server's Retry-After wait
// when it gave one.
func postOnce(ctx context.Context, client *http.Client, target string, body []byte, check checkFunc) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, &permanentError{errors.New("invalid webhook URL")}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "redline")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error's message holds the secret URL
		}
		if ctx.Err() != nil {
			return 0, &permanentError{err}
		}
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if check != nil {
			return 0, check(data)
		}
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(data))
	}
	return 0, &permanentError{fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(data))}
}

func retryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// snippet is the start of a response body for an error message.
func snippet(b []byte) string {
	const n = 200
	s := string(bytes.TrimSpace(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}
