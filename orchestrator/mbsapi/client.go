package mbsapi

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

// Client talks to an MBS-compatible API: this package's server or Fedora's
// MBS. The zero value is not usable; use [NewClient].
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
	ua    string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: 60 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithToken sends "Authorization: Bearer token" on every request.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// NewClient returns a client for the server at baseURL (for example
// "https://mbs.fedoraproject.org"); a trailing /module-build-service/N is
// accepted and ignored.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("mbsapi: invalid server URL %q: expected scheme://host[/path]", baseURL)
	}
	if i := strings.Index(u.Path, "/module-build-service"); i >= 0 {
		u.Path = u.Path[:i]
	}
	c := &Client{base: u, http: &http.Client{Timeout: 60 * time.Second}, ua: "modkit"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// APIError is an error reply of the API.
type APIError struct {
	StatusCode int
	// Err is the HTTP reason ("Not Found"), Message the server's message.
	Err     string
	Message string
	URL     string
}

func (e *APIError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("mbsapi: %s: %d %s: %s", e.URL, e.StatusCode, e.Err, e.Message)
	}
	return fmt.Sprintf("mbsapi: %s: %d %s", e.URL, e.StatusCode, e.Err)
}

// ModuleBuild is a module build as the API returns it; the fields of the
// short and default views are always present, verbose ones only with
// Verbose.
type ModuleBuild struct {
	ID              int64                      `json:"id"`
	Name            string                     `json:"name"`
	Stream          string                     `json:"stream"`
	Version         string                     `json:"version"`
	Context         string                     `json:"context"`
	State           int                        `json:"state"`
	StateName       string                     `json:"state_name"`
	StateReason     string                     `json:"state_reason"`
	Scratch         bool                       `json:"scratch"`
	Owner           string                     `json:"owner"`
	SCMURL          string                     `json:"scmurl"`
	KojiTag         string                     `json:"koji_tag"`
	RebuildStrategy string                     `json:"rebuild_strategy"`
	Siblings        []int64                    `json:"siblings"`
	ComponentBuilds []int64                    `json:"component_builds"`
	TimeSubmitted   string                     `json:"time_submitted"`
	TimeModified    string                     `json:"time_modified"`
	TimeCompleted   string                     `json:"time_completed"`
	Tasks           map[string]map[string]Task `json:"tasks"`
	// Verbose only.
	BuildContext   string       `json:"build_context"`
	RuntimeContext string       `json:"runtime_context"`
	Modulemd       string       `json:"modulemd"`
	ReusedModuleID int64        `json:"reused_module_id"`
	StateTrace     []StateTrace `json:"state_trace"`
	StateURL       string       `json:"state_url"`
	// Repository and DistTag are modkit additions (verbose).
	Repository string `json:"repository"`
	DistTag    string `json:"dist_tag"`
}

// NSVC returns name:stream:version:context.
func (m *ModuleBuild) NSVC() string {
	return m.Name + ":" + m.Stream + ":" + m.Version + ":" + m.Context
}

// Task is one entry of a module build's tasks.
type Task struct {
	TaskID      any    `json:"task_id"`
	State       *int   `json:"state"`
	StateReason string `json:"state_reason"`
	NVR         string `json:"nvr"`
}

// StateTrace is one state change.
type StateTrace struct {
	Time      string `json:"time"`
	State     *int   `json:"state"`
	StateName string `json:"state_name"`
	Reason    string `json:"reason"`
}

// ComponentBuild is a component build as the API returns it.
type ComponentBuild struct {
	ID          int64        `json:"id"`
	Package     string       `json:"package"`
	Format      string       `json:"format"`
	TaskID      any          `json:"task_id"`
	State       *int         `json:"state"`
	StateName   string       `json:"state_name"`
	StateReason string       `json:"state_reason"`
	ModuleBuild int64        `json:"module_build"`
	NVR         string       `json:"nvr"`
	Batch       int          `json:"batch"`
	StateTrace  []StateTrace `json:"state_trace"`
}

// Message is a user-visible log message.
type Message struct {
	ID          int64  `json:"id"`
	TimeCreated string `json:"time_created"`
	Message     string `json:"message"`
	Level       string `json:"level,omitempty"` // with debug messages: "debug", "info", ...
}

// Meta is a list's pagination block.
type Meta struct {
	Page    int     `json:"page"`
	Pages   int     `json:"pages"`
	PerPage int     `json:"per_page"`
	Total   int     `json:"total"`
	First   *string `json:"first"`
	Last    *string `json:"last"`
	Prev    *string `json:"prev"`
	Next    *string `json:"next"`
}

// ListOptions filter a module or component build list. Filters holds any
// further MBS filter (name, stream, owner, nsvc, module_build, ...).
type ListOptions struct {
	States        []string
	Filters       url.Values
	OrderBy       []string
	OrderDescBy   []string
	Page, PerPage int
	Verbose       bool
	Short         bool
}

func (o *ListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	for k, vs := range o.Filters {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	for _, s := range o.States {
		q.Add("state", s)
	}
	for _, s := range o.OrderBy {
		q.Add("order_by", s)
	}
	for _, s := range o.OrderDescBy {
		q.Add("order_desc_by", s)
	}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	if o.Verbose {
		q.Set("verbose", "true")
	}
	if o.Short {
		q.Set("short", "true")
	}
	return q
}

// do sends a request to /module-build-service/2/<path> and decodes the
// JSON reply into out.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body any, out any) error {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + "/module-build-service/2/" + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("mbsapi: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("mbsapi: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("mbsapi: %s %s: %w", method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("mbsapi: %s %s: read reply: %w", method, u.Redacted(), err)
	}
	if resp.StatusCode >= 300 {
		ae := &APIError{StatusCode: resp.StatusCode, Err: http.StatusText(resp.StatusCode), URL: u.Redacted()}
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil {
			if e.Error != "" {
				ae.Err = e.Error
			}
			ae.Message = e.Message
		} else {
			ae.Message = strings.TrimSpace(string(data[:min(len(data), 500)]))
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("mbsapi: %s %s: decode reply: %w", method, u.Redacted(), err)
	}
	return nil
}

// ListModuleBuilds returns one page of module builds.
func (c *Client) ListModuleBuilds(ctx context.Context, opts *ListOptions) ([]ModuleBuild, *Meta, error) {
	return listPage[ModuleBuild](ctx, c, "module-builds/", opts)
}

// listPage fetches one page of an {"items": [...], "meta": {...}} list.
func listPage[T any](ctx context.Context, c *Client, path string, opts *ListOptions) ([]T, *Meta, error) {
	var r struct {
		Items []T  `json:"items"`
		Meta  Meta `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, path, opts.query(), nil, &r); err != nil {
		return nil, nil, err
	}
	return r.Items, &r.Meta, nil
}

// GetModuleBuild returns one module build (verbose view).
func (c *Client) GetModuleBuild(ctx context.Context, id int64) (*ModuleBuild, error) {
	var mb ModuleBuild
	q := url.Values{"verbose": {"true"}}
	if err := c.do(ctx, http.MethodGet, "module-builds/"+strconv.FormatInt(id, 10), q, nil, &mb); err != nil {
		return nil, err
	}
	return &mb, nil
}

// CancelModuleBuild cancels a module build.
func (c *Client) CancelModuleBuild(ctx context.Context, id int64) (*ModuleBuild, error) {
	var mb ModuleBuild
	if err := c.do(ctx, http.MethodPatch, "module-builds/"+strconv.FormatInt(id, 10), nil, map[string]string{"state": "failed"}, &mb); err != nil {
		return nil, err
	}
	return &mb, nil
}

// SubmitRequest is the body of a submit.
type SubmitRequest struct {
	SCMURL                string              `json:"scmurl,omitempty"`
	Branch                string              `json:"branch,omitempty"`
	Modulemd              string              `json:"modulemd,omitempty"`
	ModuleName            string              `json:"module_name,omitempty"`
	ModuleStream          string              `json:"module_stream,omitempty"`
	Scratch               bool                `json:"scratch,omitempty"`
	RebuildStrategy       string              `json:"rebuild_strategy,omitempty"`
	BuildRequireOverrides map[string][]string `json:"buildrequire_overrides,omitempty"`
	RequireOverrides      map[string][]string `json:"require_overrides,omitempty"`
	ReuseComponentsFrom   string              `json:"reuse_components_from,omitempty"`
	Owner                 string              `json:"owner,omitempty"`
}

// SubmitModuleBuild submits a module build and returns the builds created.
func (c *Client) SubmitModuleBuild(ctx context.Context, req *SubmitRequest) ([]ModuleBuild, error) {
	var out []ModuleBuild
	if err := c.do(ctx, http.MethodPost, "module-builds/", nil, req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListComponentBuilds returns one page of component builds.
func (c *Client) ListComponentBuilds(ctx context.Context, opts *ListOptions) ([]ComponentBuild, *Meta, error) {
	return listPage[ComponentBuild](ctx, c, "component-builds/", opts)
}

// ModuleBuildMessages returns one page of a module build's log messages,
// newest first.
func (c *Client) ModuleBuildMessages(ctx context.Context, id int64, page, perPage int) ([]Message, *Meta, error) {
	return c.moduleBuildMessages(ctx, id, page, perPage, false)
}

// ModuleBuildDebugMessages is ModuleBuildMessages with the builders' debug
// messages (modkit servers only; the koji builder logs every koji call).
func (c *Client) ModuleBuildDebugMessages(ctx context.Context, id int64, page, perPage int) ([]Message, *Meta, error) {
	return c.moduleBuildMessages(ctx, id, page, perPage, true)
}

func (c *Client) moduleBuildMessages(ctx context.Context, id int64, page, perPage int, debug bool) ([]Message, *Meta, error) {
	q := url.Values{}
	if debug {
		q.Set("debug", "1")
	}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if perPage > 0 {
		q.Set("per_page", strconv.Itoa(perPage))
	}
	var r struct {
		Messages []Message `json:"messages"`
		Meta     Meta      `json:"meta"`
	}
	if err := c.do(ctx, http.MethodGet, "module-builds/"+strconv.FormatInt(id, 10)+"/messages", q, nil, &r); err != nil {
		return nil, nil, err
	}
	return r.Messages, &r.Meta, nil
}

// About is the server's about/ reply.
type About struct {
	Version    string `json:"version"`
	APIVersion int    `json:"api_version"`
	AuthMethod string `json:"auth_method"`
}

// About returns the server's version and auth method.
func (c *Client) About(ctx context.Context) (*About, error) {
	var a About
	if err := c.do(ctx, http.MethodGet, "about/", nil, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// IsNotFound reports whether err is a 404 reply.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}
