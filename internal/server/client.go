package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redline-sec/redline/internal/store"
)

// Client calls a Redline server's API with a token.
type Client struct {
	// BaseURL is the server, e.g. https://redline.example:8080.
	BaseURL string
	// Token is the API token (rl_…).
	Token string
	// HTTP is the client to use; a client with a 5-minute timeout when nil.
	HTTP *http.Client
}

// APIError is an error response of the server.
type APIError struct {
	Status int
	Msg    string
}

// Error says what the server answered.
func (e *APIError) Error() string { return fmt.Sprintf("server answered %d: %s", e.Status, e.Msg) }

func (c *Client) endpoint(path string, q url.Values) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(c.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("server URL %q: want http(s)://host[:port]", redactURL(c.BaseURL))
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redactURL drops user info from a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, contentType string, body io.Reader, out any) error {
	u, err := c.endpoint(path, q)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already, without credentials
		}
		return fmt.Errorf("%s %s: %w", method, redactURL(u), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		return &APIError{Status: resp.StatusCode, Msg: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// UploadOptions name what an upload belongs to.
type UploadOptions struct {
	// Product is the product of the scanned target; empty lets the server choose.
	Product string
	// ScanID makes retries safe; empty lets the server use the report's hash.
	ScanID string
}

// Upload sends a JSON report (redline scan --format json).
func (c *Client) Upload(ctx context.Context, report []byte, o UploadOptions) (store.IngestResult, error) {
	q := url.Values{}
	if o.Product != "" {
		q.Set("product", o.Product)
	}
	if o.ScanID != "" {
		q.Set("scan_id", o.ScanID)
	}
	var res store.IngestResult
	err := c.do(ctx, http.MethodPost, "/api/v1/scans", q, "application/json", bytes.NewReader(report), &res)
	return res, err
}

// Findings lists one page of findings; q holds the list's URL parameters
// (see FindingQueryFromParams).
func (c *Client) Findings(ctx context.Context, q url.Values) (store.FindingPage, error) {
	var page store.FindingPage
	err := c.do(ctx, http.MethodGet, "/api/v1/findings", q, "", nil, &page)
	return page, err
}

// Finding reads one finding with its history.
func (c *Client) Finding(ctx context.Context, id int64) (store.FindingDetail, error) {
	var det store.FindingDetail
	err := c.do(ctx, http.MethodGet, "/api/v1/findings/"+strconv.FormatInt(id, 10), nil, "", nil, &det)
	return det, err
}

// SetState changes a finding's lifecycle state.
func (c *Client) SetState(ctx context.Context, id int64, ch StateChange) (store.Finding, error) {
	body, err := json.Marshal(ch)
	if err != nil {
		return store.Finding{}, err
	}
	var f store.Finding
	err = c.do(ctx, http.MethodPost, "/api/v1/findings/"+strconv.FormatInt(id, 10)+"/state", nil, "application/json", bytes.NewReader(body), &f)
	return f, err
}
