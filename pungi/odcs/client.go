package odcs

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
	"strconv"
	"strings"
	"time"
)

// Error is an error answer of an ODCS server.
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Err is the status text ("Bad Request"), Message the explanation.
	Err     string `json:"error"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("odcs: %d %s: %s", e.Status, e.Err, e.Message)
}

// Is makes errors.Is(err, ErrNotFound) true for a 404 and
// errors.Is(err, ErrForbidden) for a 403.
func (e *Error) Is(target error) bool {
	return (target == ErrNotFound && e.Status == http.StatusNotFound) || (target == ErrForbidden && e.Status == http.StatusForbidden)
}

// Client talks to an ODCS API (modkit serve's or ODCS's).
type Client struct {
	base  string
	http  *http.Client
	token string
	ua    string
	poll  time.Duration
}

// Option configures a [Client].
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 1-minute
// timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithToken sends "Authorization: Bearer TOKEN".
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// WithPollInterval sets how often Wait asks (default 2 s).
func WithPollInterval(d time.Duration) Option { return func(c *Client) { c.poll = d } }

// NewClient returns a client of the server at baseURL (the part before
// /api/1/, e.g. "https://odcs.example.org").
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("odcs: %q is not an http(s) URL", baseURL)
	}
	c := &Client{base: strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/api/1"), ua: "modkit-odcs", poll: 2 * time.Second}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: time.Minute}
	}
	return c, nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	u := c.base + "/api/1/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("odcs: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("odcs: %s %s: %w", method, u, err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{}
		if json.Unmarshal(data, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(data))
		}
		e.Status = resp.StatusCode
		if e.Err == "" {
			e.Err = http.StatusText(resp.StatusCode)
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("odcs: %s %s: reading the answer: %w", method, u, err)
		}
	}
	return nil
}

// Submit asks for a compose.
func (c *Client) Submit(ctx context.Context, req *Request) (*Compose, error) {
	var out Compose
	if err := c.do(ctx, http.MethodPost, "composes/", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns compose id.
func (c *Client) Get(ctx context.Context, id int64) (*Compose, error) {
	var out Compose
	if err := c.do(ctx, http.MethodGet, "composes/"+strconv.FormatInt(id, 10), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Renew extends compose id's life (or regenerates it; see
// [Service.Renew]); req may be nil.
func (c *Client) Renew(ctx context.Context, id int64, req *RenewRequest) (*Compose, error) {
	var out Compose
	if req == nil {
		req = &RenewRequest{}
	}
	if err := c.do(ctx, http.MethodPatch, "composes/"+strconv.FormatInt(id, 10), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete cancels or removes compose id and returns the server's message.
func (c *Client) Delete(ctx context.Context, id int64) (string, error) {
	var out struct {
		Message string `json:"message"`
	}
	if err := c.do(ctx, http.MethodDelete, "composes/"+strconv.FormatInt(id, 10), nil, nil, &out); err != nil {
		return "", err
	}
	return out.Message, nil
}

// ListOptions filter a list; zero fields match anything.
type ListOptions struct {
	Owner      string
	SourceType string // a name or number
	Source     string
	States     []string // names or numbers
	Label      string
	OrderBy    string // a column, "-" first for descending
	Page       int    // 1 when 0
	PerPage    int    // the server's default (10) when 0; at most 100
}

// Meta is a list's pagination.
type Meta struct {
	Page    int    `json:"page"`
	Pages   int    `json:"pages"`
	PerPage int    `json:"per_page"`
	Total   int    `json:"total"`
	Next    string `json:"next"`
	Prev    string `json:"prev"`
}

func (o *ListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("owner", o.Owner)
	set("source_type", o.SourceType)
	set("source", o.Source)
	set("label", o.Label)
	set("order_by", o.OrderBy)
	for _, s := range o.States {
		q.Add("state", s)
	}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	return q
}

// List returns one page of composes.
func (c *Client) List(ctx context.Context, opts *ListOptions) ([]*Compose, *Meta, error) {
	var out struct {
		Items []*Compose `json:"items"`
		Meta  Meta       `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, "composes/", opts.query(), nil, &out); err != nil {
		return nil, nil, err
	}
	return out.Items, &out.Meta, nil
}

// All iterates over every compose matching opts, page after page (opts'
// Page is the first page); it stops at the first error, which it yields.
func (c *Client) All(ctx context.Context, opts *ListOptions) iter.Seq2[*Compose, error] {
	return func(yield func(*Compose, error) bool) {
		o := ListOptions{}
		if opts != nil {
			o = *opts
		}
		if o.Page < 1 {
			o.Page = 1
		}
		for {
			items, meta, err := c.List(ctx, &o)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if len(items) == 0 || o.Page >= meta.Pages {
				return
			}
			o.Page++
		}
	}
}

// ErrComposeFailed is returned (wrapped) by Wait for a compose that
// failed or was removed.
var ErrComposeFailed = errors.New("compose did not finish")

// Wait polls compose id until it is done, failed or removed; progress,
// when set, is called on each state change. It returns the compose, with
// an error wrapping ErrComposeFailed unless it is done.
func (c *Client) Wait(ctx context.Context, id int64, progress func(*Compose)) (*Compose, error) {
	last := State(-1)
	for {
		cp, err := c.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if cp.State != last && progress != nil {
			progress(cp)
		}
		last = cp.State
		switch cp.State {
		case StateDone:
			return cp, nil
		case StateFailed, StateRemoved:
			return cp, fmt.Errorf("odcs: compose %d is %s: %s: %w", id, cp.State, cp.StateReason, ErrComposeFailed)
		}
		t := time.NewTimer(c.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return cp, ctx.Err()
		case <-t.C:
		}
	}
}
