package pdc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrNotFound is matched by the error of a lookup answered with 404.
var ErrNotFound = errors.New("pdc: not found")

// Error is a non-2xx answer: DRF's {"detail": ...} or per-field messages.
type Error struct {
	Method, Path string
	StatusCode   int
	Detail       string              // "detail", when the server sent one
	Fields       map[string][]string // field → messages, for validation errors
	Body         string              // the start of a body that was neither
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pdc: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, k := range sortedKeys(e.Fields) {
		fmt.Fprintf(&b, "; %s: %s", k, strings.Join(e.Fields[k], " "))
	}
	if e.Body != "" {
		b.WriteString(": " + e.Body)
	}
	return b.String()
}

// Is matches ErrNotFound for a 404.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// Client talks to one PDC server's REST API.
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient sends every request through hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("pdc: WithHTTPClient(nil)")
		}
		c.http = hc
		return nil
	}
}

// WithToken sets the DRF token sent on every request
// (Authorization: Token ...); writes need it.
func WithToken(token string) Option {
	return func(c *Client) error {
		c.token = token
		return nil
	}
}

// NewClient returns a client for the API root apiURL, e.g.
// "https://pdc.example.org/rest_api/v1/".
func NewClient(apiURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pdc: API URL %q: want an absolute http(s) URL", apiURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	c := &Client{base: u}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: time.Minute}
	}
	return c, nil
}

// URL returns the API root, ending in "/".
func (c *Client) URL() string { return c.base.String() }

// do sends one request to an absolute URL (pages' "next" links) or a path.
func (c *Client) do(ctx context.Context, method, target string, body any, out any) error {
	u := target
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		u = c.base.String() + strings.TrimPrefix(target, "/")
	} else if nu, err := url.Parse(target); err != nil || nu.Host != c.base.Host || nu.Scheme != c.base.Scheme {
		return fmt.Errorf("pdc: refusing to follow %q: not on %s", target, c.base.Host)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("pdc: %s %s: %w", method, target, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("pdc: %s %s: %w", method, target, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Token "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("pdc: %s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("pdc: %s %s: %w", method, target, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newError(method, req.URL.Path, resp.StatusCode, data)
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("pdc: %s %s: decode answer: %w", method, req.URL.Path, err)
	}
	return nil
}

func newError(method, path string, status int, data []byte) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	var raw map[string]json.RawMessage
	if json.Unmarshal(data, &raw) == nil {
		for k, v := range raw {
			var s string
			var list []string
			switch {
			case k == "detail" && json.Unmarshal(v, &s) == nil:
				e.Detail = s
			case json.Unmarshal(v, &list) == nil:
				if e.Fields == nil {
					e.Fields = map[string][]string{}
				}
				e.Fields[k] = list
			case json.Unmarshal(v, &s) == nil:
				if e.Fields == nil {
					e.Fields = map[string][]string{}
				}
				e.Fields[k] = []string{s}
			}
		}
		if e.Detail != "" || e.Fields != nil {
			return e
		}
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 512 {
		s = s[:512] + "…"
	}
	e.Body = s
	return e
}

// page is DRF's paged answer.
type page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// decodeList reads either shape: a page or a bare list.
func decodeList[T any](data []byte) (items []T, next string, count int, err error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		err = json.Unmarshal(data, &items)
		return items, "", len(items), err
	}
	var p page[T]
	if err = json.Unmarshal(data, &p); err != nil {
		return nil, "", 0, err
	}
	if p.Next != nil {
		next = *p.Next
	}
	return p.Results, next, p.Count, nil
}

// walk iterates over every item of a list, following "next" links.
func walk[T any](ctx context.Context, c *Client, path string, q url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		target := path
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		for target != "" {
			var raw json.RawMessage
			if err := c.do(ctx, http.MethodGet, target, nil, &raw); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			items, next, _, err := decodeList[T](raw)
			if err != nil {
				var zero T
				yield(zero, fmt.Errorf("pdc: GET %s: decode answer: %w", path, err))
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			target = next
		}
	}
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
