package bodhi

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// UpdateListOptions are the filters of GET /updates/. Lists are sent as
// repeated parameters (Bodhi ORs their values).
type UpdateListOptions struct {
	ListOptions
	Alias       []string // update aliases
	Builds      []string // NVRs
	Bugs        []string // bug numbers
	Packages    []string // package names (modules: name:stream)
	Releases    []string // release names, e.g. F27M
	Status      []string // pending, testing, stable, unpushed, obsolete
	Request     string   // testing, stable, unpush, revoke, obsolete
	Type        string   // bugfix, security, newpackage, enhancement, unspecified
	Severity    string
	Suggest     string
	ContentType string // rpm, module, container, flatpak
	Critpath    *bool
	Locked      *bool
	Pushed      *bool
	User        []string // submitters
	Gating      string   // test_gating_status
	FromSideTag *bool    // true: only side-tag updates; false: only others
	Like        string   // substring of the title
	Search      string   // substring of title or alias

	ApprovedSince, ApprovedBefore   Time
	ModifiedSince, ModifiedBefore   Time
	PushedSince, PushedBefore       Time
	SubmittedSince, SubmittedBefore Time
}

func (o *UpdateListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	o.ListOptions.add(q)
	addStrings(q, "alias", o.Alias)
	addStrings(q, "builds", o.Builds)
	addStrings(q, "bugs", o.Bugs)
	addStrings(q, "packages", o.Packages)
	addStrings(q, "releases", o.Releases)
	addStrings(q, "status", o.Status)
	addString(q, "request", o.Request)
	addString(q, "type", o.Type)
	addString(q, "severity", o.Severity)
	addString(q, "suggest", o.Suggest)
	addString(q, "content_type", o.ContentType)
	addBool(q, "critpath", o.Critpath)
	addBool(q, "locked", o.Locked)
	addBool(q, "pushed", o.Pushed)
	addStrings(q, "user", o.User)
	addString(q, "gating", o.Gating)
	addBool(q, "from_side_tag", o.FromSideTag)
	addString(q, "like", o.Like)
	addString(q, "search", o.Search)
	addTime(q, "approved_since", o.ApprovedSince)
	addTime(q, "approved_before", o.ApprovedBefore)
	addTime(q, "modified_since", o.ModifiedSince)
	addTime(q, "modified_before", o.ModifiedBefore)
	addTime(q, "pushed_since", o.PushedSince)
	addTime(q, "pushed_before", o.PushedBefore)
	addTime(q, "submitted_since", o.SubmittedSince)
	addTime(q, "submitted_before", o.SubmittedBefore)
	return q
}

// ListUpdates returns one page of updates.
func (c *Client) ListUpdates(ctx context.Context, opts *UpdateListOptions) (*Page[Update], error) {
	return list[Update](ctx, c, "updates/", "updates", opts.query())
}

// Updates iterates over every update the filters select, page by page
// (100 rows per page unless opts says otherwise).
func (c *Client) Updates(ctx context.Context, opts *UpdateListOptions) iter.Seq2[Update, error] {
	return all[Update](ctx, c, "updates/", "updates", opts.query())
}

// UpdateDetail is the answer of GET /updates/{alias}.
type UpdateDetail struct {
	Update    Update `json:"update"`
	CanEdit   bool   `json:"can_edit"`
	CIAllowed bool   `json:"ci_allowed"`
}

// GetUpdate returns an update by alias. An unknown alias is ErrNotFound.
func (c *Client) GetUpdate(ctx context.Context, alias string) (*UpdateDetail, error) {
	var out UpdateDetail
	if err := c.get(ctx, "updates/"+url.PathEscape(alias), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateInput is the body of POST /updates/: a new update, or an edit
// when Edited names an existing one. Builds (NVRs) or FromTag (a side tag)
// say what it ships. Nil pointers leave Bodhi's defaults.
type UpdateInput struct {
	Edited           string   // alias of the update to edit; "" creates
	Builds           []string // NVRs; module builds as koji names them
	FromTag          string
	Bugs             []int64
	DisplayName      string
	CloseBugs        *bool
	Type             string // bugfix (default), security, newpackage, enhancement
	Severity         string // required for security updates
	Notes            string // required, at least 2 characters
	Autokarma        *bool
	StableKarma      *int
	UnstableKarma    *int
	Suggest          string
	RequireBugs      *bool
	RequireTestcases *bool
	Autotime         *bool
	StableDays       *int
	Requirements     string
	Request          string // initial request; Bodhi's default is testing
}

func (in *UpdateInput) body() map[string]any {
	b := map[string]any{"notes": in.Notes}
	if in.Builds != nil {
		b["builds"] = in.Builds
	}
	if in.FromTag != "" {
		b["from_tag"] = in.FromTag
	}
	if in.Edited != "" {
		b["edited"] = in.Edited
	}
	bugs := make([]string, len(in.Bugs))
	for i, n := range in.Bugs {
		bugs[i] = strconv.FormatInt(n, 10)
	}
	b["bugs"] = bugs
	set := func(k string, v any, ok bool) {
		if ok {
			b[k] = v
		}
	}
	set("display_name", in.DisplayName, in.DisplayName != "")
	set("type", in.Type, in.Type != "")
	if b["type"] == nil {
		b["type"] = "bugfix"
	}
	set("severity", in.Severity, in.Severity != "")
	set("suggest", in.Suggest, in.Suggest != "")
	set("requirements", in.Requirements, in.Requirements != "")
	set("request", in.Request, in.Request != "")
	for k, v := range map[string]*bool{"close_bugs": in.CloseBugs, "autokarma": in.Autokarma,
		"require_bugs": in.RequireBugs, "require_testcases": in.RequireTestcases, "autotime": in.Autotime} {
		if v != nil {
			b[k] = *v
		}
	}
	for k, v := range map[string]*int{"stable_karma": in.StableKarma, "unstable_karma": in.UnstableKarma, "stable_days": in.StableDays} {
		if v != nil {
			b[k] = *v
		}
	}
	return b
}

// SaveResult is the answer of POST /updates/. Builds of several releases
// make one update per release.
type SaveResult struct {
	Updates []Update
	Caveats []Caveat
}

// SaveUpdate creates an update, or edits the one in.Edited names.
func (c *Client) SaveUpdate(ctx context.Context, in *UpdateInput) (*SaveResult, error) {
	if in == nil {
		return nil, fmt.Errorf("bodhi: SaveUpdate: nil input")
	}
	var raw json.RawMessage
	if err := c.post(ctx, "updates/", in.body(), &raw); err != nil {
		return nil, err
	}
	res, err := decodeSaveResult(raw)
	if err != nil {
		return nil, fmt.Errorf("bodhi: POST /updates/: decode answer: %w", err)
	}
	return res, nil
}

// decodeSaveResult reads either an update with "caveats" or
// {"updates": [...], "caveats": [...]}.
func decodeSaveResult(data []byte) (*SaveResult, error) {
	var multi struct {
		Updates *[]Update `json:"updates"`
		Caveats []Caveat  `json:"caveats"`
	}
	if err := json.Unmarshal(data, &multi); err != nil {
		return nil, err
	}
	if multi.Updates != nil {
		return &SaveResult{Updates: *multi.Updates, Caveats: multi.Caveats}, nil
	}
	var u Update
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, err
	}
	if u.Alias == "" {
		return nil, fmt.Errorf("answer is neither an update nor a list of updates")
	}
	return &SaveResult{Updates: []Update{u}, Caveats: multi.Caveats}, nil
}

// Request asks Bodhi to move an update: RequestTesting, RequestStable,
// RequestUnpush, RequestRevoke or RequestObsolete. It returns the update as
// changed.
func (c *Client) Request(ctx context.Context, alias, request string) (*Update, error) {
	var out struct {
		Update Update `json:"update"`
	}
	if err := c.post(ctx, "updates/"+url.PathEscape(alias)+"/request", map[string]any{"request": request}, &out); err != nil {
		return nil, err
	}
	return &out.Update, nil
}

// WaiveTestResults waives failed gating tests (all when tests is empty)
// with a comment (POST /updates/{alias}/waive-test-results).
func (c *Client) WaiveTestResults(ctx context.Context, alias, comment string, tests []string) (*Update, error) {
	body := map[string]any{"comment": comment}
	if len(tests) > 0 {
		body["tests"] = tests
	}
	var out struct {
		Update Update `json:"update"`
	}
	if err := c.post(ctx, "updates/"+url.PathEscape(alias)+"/waive-test-results", body, &out); err != nil {
		return nil, err
	}
	return &out.Update, nil
}

// TestResults returns an update's gating decisions (GET
// /updates/{alias}/get-test-results). Bodhi asks Greenwave for them; a
// server without test gating answers with an error.
func (c *Client) TestResults(ctx context.Context, alias string) (*TestResults, error) {
	var out TestResults
	if err := c.get(ctx, "updates/"+url.PathEscape(alias)+"/get-test-results", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TriggerTests asks for the update's CI tests to run again.
func (c *Client) TriggerTests(ctx context.Context, alias string) (*Update, error) {
	var out struct {
		Update Update `json:"update"`
	}
	if err := c.post(ctx, "updates/"+url.PathEscape(alias)+"/trigger-tests", nil, &out); err != nil {
		return nil, err
	}
	return &out.Update, nil
}
