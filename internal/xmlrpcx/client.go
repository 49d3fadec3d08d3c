package xmlrpcx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultMaxResponseSize bounds how much of a response body [Client.Do] reads.
const DefaultMaxResponseSize = 256 << 20

// HTTPError is a non-2xx HTTP reply. The koji hub answers this way when it
// cannot parse a request (400), for GET requests (405) and on read timeouts
// (408); XML-RPC faults arrive with status 200 instead.
type HTTPError struct {
	StatusCode int
	Status     string
	Body       string // at most 1 KiB of the body
}

// Error implements error.
func (e *HTTPError) Error() string {
	body := strings.TrimSpace(e.Body)
	if body == "" {
		return "http status " + e.Status
	}
	return fmt.Sprintf("http status %s: %s", e.Status, body)
}

// Client posts XML-RPC requests. Its zero value is not usable: HTTPClient is
// required (there is deliberately no fallback to http.DefaultClient).
type Client struct {
	HTTPClient      *http.Client
	UserAgent       string
	MaxResponseSize int64 // 0 means DefaultMaxResponseSize
}

// Request is one HTTP POST.
type Request struct {
	URL         string
	Body        []byte
	ContentType string // default "text/xml"
	Header      http.Header
	// Prepare, if set, may modify the request (for example to add an
	// SPNEGO Authorization header) just before it is sent.
	Prepare func(*http.Request) error
}

// Response is a 2xx HTTP reply.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Do sends req and reads the whole reply. A non-2xx reply returns an
// [*HTTPError]. Network errors are returned wrapped, with the URL's query
// string removed.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if c.HTTPClient == nil {
		return nil, errors.New("xmlrpcx: Client.HTTPClient is nil")
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return nil, fmt.Errorf("xmlrpcx: build request: %w", err)
	}
	for k, vs := range req.Header {
		hreq.Header[k] = vs
	}
	ct := req.ContentType
	if ct == "" {
		ct = "text/xml"
	}
	hreq.Header.Set("Content-Type", ct)
	if c.UserAgent != "" {
		hreq.Header.Set("User-Agent", c.UserAgent)
	}
	if req.Prepare != nil {
		if err := req.Prepare(hreq); err != nil {
			return nil, fmt.Errorf("xmlrpcx: prepare request: %w", err)
		}
	}
	hresp, err := c.HTTPClient.Do(hreq)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = SanitizeURL(uerr.URL)
		}
		return nil, err
	}
	defer hresp.Body.Close()
	limit := c.MaxResponseSize
	if limit <= 0 {
		limit = DefaultMaxResponseSize
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(hresp.Body, 1024))
		return nil, &HTTPError{StatusCode: hresp.StatusCode, Status: hresp.Status, Body: string(b)}
	}
	// A reply of known length is read into one buffer of that size, not
	// grown by doubling (koji's multicall answers run to megabytes).
	var buf bytes.Buffer
	if n := hresp.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(hresp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("xmlrpcx: read response: %w", err)
	}
	body := buf.Bytes()
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("xmlrpcx: response larger than %d bytes", limit)
	}
	return &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: body}, nil
}

// SanitizeURL drops the query string and user info from a URL for logs and
// errors: legacy koji sessions carry their key there.
func SanitizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}
