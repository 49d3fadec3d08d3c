package pdc

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Dependency is one entry of a module's runtime_deps or build_deps.
type Dependency struct {
	Dependency string `json:"dependency"`
	Stream     string `json:"stream"`
}

// Module is a module build in PDC's modules/ endpoint.
type Module struct {
	UID         string       `json:"uid,omitempty"` // name:stream:version:context, read-only
	Name        string       `json:"name"`
	Stream      string       `json:"stream"`
	Version     string       `json:"version"`
	Context     string       `json:"context"`
	Active      bool         `json:"active"`
	KojiTag     string       `json:"koji_tag"`
	Modulemd    string       `json:"modulemd"`
	RuntimeDeps []Dependency `json:"runtime_deps"`
	BuildDeps   []Dependency `json:"build_deps"`
	RPMs        []any        `json:"rpms,omitempty"` // strings when read, objects when written
}

// ModuleFilter are the filters of GET modules/. Lists repeat the
// parameter; PageSize <= 0 asks for every match at once (a bare list).
type ModuleFilter struct {
	UID, Name, Stream, Version, Context string
	Active                              *bool
	KojiTag                             string
	RuntimeDepName, RuntimeDepStream    string
	BuildDepName, BuildDepStream        string
	ComponentName, ComponentBranch      string
	Component                           string // name or name/branch
	RPMFilename                         string
	Page, PageSize                      int
}

func (f *ModuleFilter) query() url.Values {
	q := url.Values{}
	if f == nil {
		return q
	}
	for k, v := range map[string]string{"uid": f.UID, "name": f.Name, "stream": f.Stream, "version": f.Version,
		"context": f.Context, "koji_tag": f.KojiTag, "runtime_dep_name": f.RuntimeDepName,
		"runtime_dep_stream": f.RuntimeDepStream, "build_dep_name": f.BuildDepName, "build_dep_stream": f.BuildDepStream,
		"component_name": f.ComponentName, "component_branch": f.ComponentBranch, "component": f.Component,
		"rpm_filename": f.RPMFilename} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Active != nil {
		q.Set("active", strconv.FormatBool(*f.Active))
	}
	if f.Page > 0 {
		q.Set("page", strconv.Itoa(f.Page))
	}
	if f.PageSize != 0 {
		q.Set("page_size", strconv.Itoa(f.PageSize))
	}
	return q
}

// ModulePage is one answer of ListModules.
type ModulePage struct {
	Modules []Module
	Count   int    // matches over all pages
	Next    string // URL of the next page, "" at the end or for a bare list
}

// ListModules returns one page of modules (or all, with PageSize <= 0).
func (c *Client) ListModules(ctx context.Context, f *ModuleFilter) (*ModulePage, error) {
	target := "modules/"
	if q := f.query(); len(q) > 0 {
		target += "?" + q.Encode()
	}
	var raw []byte
	if err := c.do(ctx, http.MethodGet, target, nil, (*rawJSON)(&raw)); err != nil {
		return nil, err
	}
	items, next, count, err := decodeList[Module](raw)
	if err != nil {
		return nil, err
	}
	return &ModulePage{Modules: items, Count: count, Next: next}, nil
}

// Modules iterates over every module the filter selects, page by page.
func (c *Client) Modules(ctx context.Context, f *ModuleFilter) iter.Seq2[Module, error] {
	return walk[Module](ctx, c, "modules/", f.query())
}

// GetModule returns a module by uid (name:stream:version:context).
func (c *Client) GetModule(ctx context.Context, uid string) (*Module, error) {
	var m Module
	if err := c.do(ctx, http.MethodGet, "modules/"+url.PathEscape(uid)+"/", nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// CreateModule records a module build (as pdc-updater did when MBS
// reported it); the answer carries its uid.
func (c *Client) CreateModule(ctx context.Context, m *Module) (*Module, error) {
	var out Module
	if err := c.do(ctx, http.MethodPost, "modules/", m, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PatchModule changes fields of a module, e.g. {"active": true} once the
// build is ready.
func (c *Client) PatchModule(ctx context.Context, uid string, fields map[string]any) (*Module, error) {
	var out Module
	if err := c.do(ctx, http.MethodPatch, "modules/"+url.PathEscape(uid)+"/", fields, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// rawJSON keeps an answer's bytes.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}
