package pdc

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// UnreleasedVariant is a module build in PDC's legacy unreleasedvariants/
// endpoint, the same table as modules/ under other names: VariantVersion
// is the stream and VariantRelease the version.
type UnreleasedVariant struct {
	VariantID      string       `json:"variant_id"`   // the name
	VariantUID     string       `json:"variant_uid"`  // name:stream:version:context
	VariantName    string       `json:"variant_name"` // the name
	VariantType    string       `json:"variant_type"` // "module"
	VariantVersion string       `json:"variant_version"`
	VariantRelease string       `json:"variant_release"`
	VariantContext string       `json:"variant_context"`
	KojiTag        string       `json:"koji_tag"`
	Modulemd       string       `json:"modulemd"`
	RuntimeDeps    []Dependency `json:"runtime_deps"`
	BuildDeps      []Dependency `json:"build_deps"`
	Active         bool         `json:"active"`
	RPMs           []any        `json:"rpms,omitempty"`
}

// Module returns v with modules/' field names.
func (v *UnreleasedVariant) Module() Module {
	return Module{UID: v.VariantUID, Name: v.VariantName, Stream: v.VariantVersion, Version: v.VariantRelease,
		Context: v.VariantContext, Active: v.Active, KojiTag: v.KojiTag, Modulemd: v.Modulemd,
		RuntimeDeps: v.RuntimeDeps, BuildDeps: v.BuildDeps, RPMs: v.RPMs}
}

// VariantFilter are the filters of GET unreleasedvariants/.
type VariantFilter struct {
	VariantID, VariantUID, VariantName, VariantVersion, VariantRelease, VariantContext string
	Active                                                                             *bool
	KojiTag                                                                            string
	RuntimeDepName, RuntimeDepStream, BuildDepName, BuildDepStream                     string
	Page, PageSize                                                                     int
}

func (f *VariantFilter) query() url.Values {
	q := url.Values{}
	if f == nil {
		return q
	}
	for k, v := range map[string]string{"variant_id": f.VariantID, "variant_uid": f.VariantUID, "variant_name": f.VariantName,
		"variant_version": f.VariantVersion, "variant_release": f.VariantRelease, "variant_context": f.VariantContext,
		"koji_tag": f.KojiTag, "runtime_dep_name": f.RuntimeDepName, "runtime_dep_stream": f.RuntimeDepStream,
		"build_dep_name": f.BuildDepName, "build_dep_stream": f.BuildDepStream} {
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

// UnreleasedVariants iterates over the legacy endpoint's matches, page by
// page (or in one bare list with PageSize <= 0).
func (c *Client) UnreleasedVariants(ctx context.Context, f *VariantFilter) iter.Seq2[UnreleasedVariant, error] {
	return walk[UnreleasedVariant](ctx, c, "unreleasedvariants/", f.query())
}
