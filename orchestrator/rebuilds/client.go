package rebuilds

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
)

// Client talks to the rebuild API of `modkit serve` (Freshmaker's
// /api/1/ shape).
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
	ua    string
}

// ClientOption configures a [Client].
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 60 s timeout).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.http = hc } }

// WithToken sends "Authorization: Bearer token" (needed to trigger and
// cancel).
func WithToken(token string) ClientOption { return func(c *Client) { c.token = token } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) ClientOption { return func(c *Client) { c.ua = ua } }

// NewClient returns a client of the server at baseURL
// ("http://127.0.0.1:8080"; the API is under its /api/1/).
func NewClient(baseURL string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("rebuilds: %q is not an http(s) URL", baseURL)
	}
	c := &Client{base: u, http: &http.Client{Timeout: 60 * time.Second}, ua: "modkit-rebuilds-client"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// APIError is an error answer of the API.
type APIError struct {
	Status  int    `json:"status"`
	Err     string `json:"error"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Err, e.Message)
}

// EventInfo is an event as the API shows it.
type EventInfo struct {
	ID              int64       `json:"id"`
	MessageID       string      `json:"message_id"`
	SearchKey       string      `json:"search_key"`
	EventTypeID     int         `json:"event_type_id"`
	EventTypeName   string      `json:"event_type_name"`
	State           int         `json:"state"`
	StateName       string      `json:"state_name"`
	StateReason     string      `json:"state_reason"`
	TimeCreated     *string     `json:"time_created"`
	TimeDone        *string     `json:"time_done"`
	DryRun          bool        `json:"dry_run"`
	Requester       string      `json:"requester"`
	Builds          []BuildInfo `json:"builds"`
	DependsOnEvents []int64     `json:"depends_on_events,omitempty"`
	DependingEvents []int64     `json:"depending_events,omitempty"`
	URL             string      `json:"url"`
}

// BuildInfo is an artifact build as the API shows it.
type BuildInfo struct {
	ID            int64   `json:"id"`
	EventID       int64   `json:"event_id"`
	Name          string  `json:"name"`
	Type          int     `json:"type"`
	TypeName      string  `json:"type_name"`
	State         int     `json:"state"`
	StateName     string  `json:"state_name"`
	StateReason   string  `json:"state_reason"`
	BuildID       *int64  `json:"build_id"`
	DepOn         string  `json:"dep_on"`
	DepOnID       *int64  `json:"dep_on_id"`
	OriginalNVR   string  `json:"original_nvr"`
	RebuiltNVR    string  `json:"rebuilt_nvr"`
	RebuildReason string  `json:"rebuild_reason"`
	Rule          string  `json:"rule"`
	Path          string  `json:"path"`
	TimeSubmitted *string `json:"time_submitted"`
	TimeCompleted *string `json:"time_completed"`
	URL           string  `json:"url"`
}

// Meta is a list's pagination.
type Meta struct {
	Page    int `json:"page"`
	Pages   int `json:"pages"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

// EventListOptions select events: zero fields match anything.
type EventListOptions struct {
	States     []string // names or numbers
	EventTypes []int
	SearchKey  string
	MessageID  string
	Page       int
	PerPage    int
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
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
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		ae := &APIError{}
		if json.Unmarshal(b, ae) != nil || ae.Message == "" {
			return &APIError{Status: resp.StatusCode, Err: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(b))}
		}
		return ae
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("rebuilds: %s %s: the answer is not the expected JSON: %w", method, u.Path, err)
	}
	return nil
}

// ListEvents lists events, newest first.
func (c *Client) ListEvents(ctx context.Context, o *EventListOptions) ([]EventInfo, *Meta, error) {
	if o == nil {
		o = &EventListOptions{}
	}
	q := url.Values{}
	for _, s := range o.States {
		q.Add("state", s)
	}
	for _, t := range o.EventTypes {
		q.Add("event_type_id", strconv.Itoa(t))
	}
	if o.SearchKey != "" {
		q.Set("search_key", o.SearchKey)
	}
	if o.MessageID != "" {
		q.Set("message_id", o.MessageID)
	}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	var out struct {
		Items []EventInfo `json:"items"`
		Meta  Meta        `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/1/events/", q, nil, &out); err != nil {
		return nil, nil, err
	}
	return out.Items, &out.Meta, nil
}

// GetEvent returns event id.
func (c *Client) GetEvent(ctx context.Context, id int64) (*EventInfo, error) {
	var e EventInfo
	return &e, c.do(ctx, http.MethodGet, fmt.Sprintf("/api/1/events/%d", id), nil, nil, &e)
}

// CancelEvent cancels event id (PATCH {"action": "cancel"}).
func (c *Client) CancelEvent(ctx context.Context, id int64) (*EventInfo, error) {
	var e EventInfo
	return &e, c.do(ctx, http.MethodPatch, fmt.Sprintf("/api/1/events/%d", id), nil, map[string]string{"action": "cancel"}, &e)
}

// Trigger requests a manual rebuild (POST /api/1/builds/).
func (c *Client) Trigger(ctx context.Context, r *ManualRequest) (*EventInfo, error) {
	if r == nil {
		return nil, errors.New("rebuilds: Trigger needs a request")
	}
	var e EventInfo
	return &e, c.do(ctx, http.MethodPost, "/api/1/builds/", nil, r, &e)
}
