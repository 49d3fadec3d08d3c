package bodhi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/internal/retry"
)

// DefaultTimeout is the HTTP timeout of the client NewClient builds when no
// WithHTTPClient option is given.
const DefaultTimeout = 2 * time.Minute

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "modkit-bodhi/1"

// maxErrorBody bounds how much of a non-JSON error body is kept.
const maxErrorBody = 512

// Client talks to one Bodhi server. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	logger    *slog.Logger
	retry     RetryPolicy
	userAgent string
	tokens    TokenSource

	mu      sync.Mutex
	cookies map[string]string // name → value, sent on every request
	csrf    string

	loginMu sync.Mutex
}

// NewClient returns a client for the Bodhi at baseURL, e.g.
// "https://bodhi.fedoraproject.org/". It does not contact the server.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("bodhi: parse URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("bodhi: URL %q: want an absolute http(s) URL", baseURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	c := &Client{
		base:      u,
		logger:    slog.New(slog.DiscardHandler),
		retry:     DefaultRetryPolicy,
		userAgent: DefaultUserAgent,
		cookies:   map[string]string{},
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultTimeout}
	}
	return c, nil
}

// URL returns the server's base URL, ending in "/".
func (c *Client) URL() string { return c.base.String() }

// endpoint resolves a path relative to the base URL ("updates/", ...).
func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + strings.TrimPrefix(path, "/")
	u.RawPath = ""
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// request describes one API call.
type request struct {
	method string
	path   string // relative to the base URL, escaped by the caller
	query  url.Values
	body   map[string]any // JSON body of a write; csrf_token is added
	header http.Header
	write  bool // needs a session and a CSRF token
}

// get sends a safe GET and decodes the JSON answer into out.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	_, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: q}, out)
	return err
}

// post sends an authenticated write with body (csrf_token is added).
func (c *Client) post(ctx context.Context, path string, body map[string]any, out any) error {
	if body == nil {
		body = map[string]any{}
	}
	_, err := c.do(ctx, &request{method: http.MethodPost, path: path, body: body, write: true}, out)
	return err
}

// do runs one call: GETs with retries, writes with one renewal of the CSRF
// token or session when the server refuses them for that reason.
func (c *Client) do(ctx context.Context, r *request, out any) (int, error) {
	if !r.write {
		policy := c.retry.policy()
		if r.method != http.MethodGet && r.method != http.MethodHead {
			policy = retry.NoRetry
		}
		var status int
		err := retry.Do(ctx, policy, retriable, func(ctx context.Context, attempt int) error {
			if attempt > 1 {
				c.logger.LogAttrs(ctx, slog.LevelWarn, "bodhi: retrying", slog.String("path", r.path), slog.Int("attempt", attempt))
			}
			var err error
			status, err = c.roundTrip(ctx, r, out)
			return err
		})
		return status, err
	}
	if err := c.ensureSession(ctx); err != nil {
		return 0, err
	}
	renewedCSRF, renewedLogin := false, false
	for {
		token, err := c.csrfToken(ctx)
		if err != nil {
			return 0, err
		}
		r.body["csrf_token"] = token
		status, err := c.roundTrip(ctx, r, out)
		var e *Error
		if !errors.As(err, &e) {
			return status, err
		}
		switch {
		case e.StatusCode == http.StatusBadRequest && e.Field("csrf_token") != nil && !renewedCSRF:
			renewedCSRF = true
			c.dropCSRF(token)
			continue
		case (e.StatusCode == http.StatusForbidden || e.Field("captcha_key") != nil) && c.tokens != nil && !renewedLogin:
			renewedLogin = true
			if err := c.Login(ctx); err != nil {
				return status, errors.Join(e, err)
			}
			continue
		}
		return status, err
	}
}

// roundTrip sends r once and decodes the answer.
func (c *Client) roundTrip(ctx context.Context, r *request, out any) (int, error) {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return 0, fmt.Errorf("bodhi: %s %s: encode body: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.endpoint(r.path, r.query), body)
	if err != nil {
		return 0, fmt.Errorf("bodhi: %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	c.addCookies(req)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("bodhi: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	c.keepCookies(resp)
	data, err := io.ReadAll(resp.Body)
	c.logger.LogAttrs(ctx, slog.LevelDebug, "bodhi: call", slog.String("method", r.method), slog.String("path", r.path),
		slog.Int("status", resp.StatusCode), slog.Duration("elapsed", time.Since(start)))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("bodhi: %s %s: read answer: %w", r.method, r.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, newError(r.method, "/"+strings.TrimPrefix(r.path, "/"), resp.StatusCode, data)
	}
	if out == nil {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.StatusCode, fmt.Errorf("bodhi: %s %s: decode answer: %w", r.method, r.path, err)
	}
	return resp.StatusCode, nil
}

// newError builds the *Error for a non-2xx answer.
func newError(method, path string, status int, data []byte) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	var eb errorBody
	if json.Unmarshal(data, &eb) == nil && len(eb.Errors) > 0 {
		e.Errors = eb.Errors
		return e
	}
	s := strings.TrimSpace(string(data))
	if len(s) > maxErrorBody {
		s = s[:maxErrorBody] + "…"
	}
	e.Body = s
	return e
}

// retriable says whether a failed GET may be sent again: network errors,
// 429 and 5xx answers.
func retriable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
	}
	var je *json.SyntaxError
	return !errors.As(err, &je)
}

func (c *Client) addCookies(req *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
}

// keepCookies stores the cookies the server sets (auth_tkt, session).
func (c *Client) keepCookies(resp *http.Response) {
	cs := resp.Cookies()
	if len(cs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ck := range cs {
		if ck.MaxAge < 0 || ck.Value == "" || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.cookies, ck.Name)
			if ck.Name == "session" {
				c.csrf = ""
			}
			continue
		}
		c.cookies[ck.Name] = ck.Value
	}
}
