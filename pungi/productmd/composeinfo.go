package productmd

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Variant types.
const (
	VariantVariant        = "variant"
	VariantOptional       = "optional"
	VariantAddon          = "addon"
	VariantLayeredProduct = "layered-product"
)

// VariantTypes are the variant types composeinfo accepts.
var VariantTypes = []string{VariantVariant, VariantOptional, VariantAddon, VariantLayeredProduct}

// PathCategories are the path kinds a composeinfo variant records per arch.
// Source paths are recorded under the binary arches.
var PathCategories = []string{
	"os_tree", "packages", "repository", "isos", "images", "jigdos",
	"source_tree", "source_packages", "source_repository", "source_isos", "source_jigdos",
	"debug_tree", "debug_packages", "debug_repository",
}

var variantIDRE = regexp.MustCompile(`^[a-zA-Z0-9]+$`)

// Variant is one variant of a compose and its children (addons, optional,
// layered products).
type Variant struct {
	ID   string // [A-Za-z0-9]+
	UID  string // parent UID + "-" + ID; top-level: ID
	Name string
	Type string // one of VariantTypes
	// Arches are the variant's architectures, sorted on output.
	Arches []string
	// Paths maps a category of PathCategories to arch to a path relative
	// to the compose directory.
	Paths map[string]map[string]string
	// Variants are the children.
	Variants []*Variant
	// Release is the layered product's own release (type layered-product).
	Release *Release
}

// SetPath records a path of category for arch.
func (v *Variant) SetPath(category, arch, path string) {
	if v.Paths == nil {
		v.Paths = map[string]map[string]string{}
	}
	if v.Paths[category] == nil {
		v.Paths[category] = map[string]string{}
	}
	v.Paths[category][arch] = path
}

// ComposeInfo is the content of composeinfo.json.
type ComposeInfo struct {
	Header  Header
	Compose Compose
	Release Release
	// BaseProduct is set for a layered release.
	BaseProduct *BaseProduct
	// Variants are the top-level variants.
	Variants []*Variant
}

// ReleaseID returns SHORT-VERSION (plus -BASESHORT-BASEVERSION when layered).
func (ci *ComposeInfo) ReleaseID() string {
	id := ci.Release.Short + "-" + ci.Release.Version
	if ci.Release.IsLayered && ci.BaseProduct != nil {
		id += "-" + ci.BaseProduct.Short + "-" + ci.BaseProduct.Version
	}
	return id
}

// CreateComposeID returns the id Pungi derives from the release, the base
// product and the compose's date, type and respin.
func (ci *ComposeInfo) CreateComposeID() (string, error) {
	return ComposeIDFor(ci.Release, ci.BaseProduct, ci.Compose.Date, ci.Compose.Type, ci.Compose.Respin)
}

// Variant finds a variant by UID ("Server-optional") anywhere in the tree.
func (ci *ComposeInfo) Variant(uid string) *Variant {
	var find func([]*Variant) *Variant
	find = func(vs []*Variant) *Variant {
		for _, v := range vs {
			if v.UID == uid {
				return v
			}
			if c := find(v.Variants); c != nil {
				return c
			}
		}
		return nil
	}
	return find(ci.Variants)
}

// AllVariants returns every variant, parents before children, sorted by UID.
func (ci *ComposeInfo) AllVariants() []*Variant {
	var out []*Variant
	var walk func([]*Variant)
	walk = func(vs []*Variant) {
		for _, v := range vs {
			out = append(out, v)
			walk(v.Variants)
		}
	}
	walk(ci.Variants)
	slices.SortStableFunc(out, func(a, b *Variant) int { return strings.Compare(a.UID, b.UID) })
	return out
}

// Validate checks ci against productmd's rules and returns a
// *ValidationError listing every problem.
func (ci *ComposeInfo) Validate() error {
	p := problems{kind: TypeComposeInfo}
	ci.validate(&p)
	return p.err()
}

func (ci *ComposeInfo) validate(p *problems) {
	ci.Compose.validate(p, "payload.compose")
	validateProduct(p, "payload.release", ci.Release.Version, ci.Release.Type)
	if ci.Release.IsLayered {
		if ci.BaseProduct == nil {
			p.add("payload.base_product", "missing for a layered release")
		} else {
			validateProduct(p, "payload.base_product", ci.BaseProduct.Version, ci.BaseProduct.Type)
		}
	}
	seen := map[string]bool{}
	var walk func(parent *Variant, vs []*Variant)
	walk = func(parent *Variant, vs []*Variant) {
		ids := map[string]bool{}
		for _, v := range vs {
			f := "payload.variants." + v.UID
			if seen[v.UID] {
				p.add(f, "variant UID %q appears twice", v.UID)
				continue
			}
			seen[v.UID] = true
			if ids[v.ID] {
				p.add(f+".id", "variant id %q appears twice under one parent", v.ID)
			}
			ids[v.ID] = true
			v.validate(p, f, parent)
			walk(v, v.Variants)
		}
	}
	walk(nil, ci.Variants)
}

func (v *Variant) validate(p *problems, f string, parent *Variant) {
	if !variantIDRE.MatchString(v.ID) {
		p.add(f+".id", "%q is not [A-Za-z0-9]+", v.ID)
	}
	if parent == nil {
		if strings.ReplaceAll(v.UID, "-", "") != v.ID {
			p.add(f+".uid", "%q does not match the id %q of a top-level variant", v.UID, v.ID)
		}
	} else if want := parent.UID + "-" + v.ID; v.UID != want {
		p.add(f+".uid", "%q should be %q (parent UID, dash, id)", v.UID, want)
	}
	if v.Name == "" {
		p.add(f+".name", "must not be blank")
	}
	if !slices.Contains(VariantTypes, v.Type) {
		p.add(f+".type", "%q is not one of %s", v.Type, strings.Join(VariantTypes, ", "))
	}
	if len(v.Arches) == 0 {
		p.add(f+".arches", "must not be empty")
	}
	if parent != nil {
		for _, a := range v.Arches {
			if !slices.Contains(parent.Arches, a) {
				p.add(f+".arches", "arch %q is not one of the parent's arches %v", a, sortedCopy(parent.Arches))
			}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(v.Paths)) {
		if !slices.Contains(PathCategories, c) {
			p.add(f+".paths."+c, "unknown path category (want one of %s)", strings.Join(PathCategories, ", "))
		}
		for _, a := range slices.Sorted(maps.Keys(v.Paths[c])) {
			if !slices.Contains(v.Arches, a) {
				p.add(f+".paths."+c+"."+a, "arch %q is not one of the variant's arches", a)
			}
			if !isRelative(v.Paths[c][a]) {
				p.add(f+".paths."+c+"."+a, "%q is not a relative path", v.Paths[c][a])
			}
		}
	}
	if v.Type == VariantLayeredProduct {
		if v.Release == nil {
			p.add(f+".release", "missing for a layered product")
		} else {
			validateProduct(p, f+".release", v.Release.Version, v.Release.Type)
		}
	}
}

func sortedCopy(s []string) []string { c := slices.Clone(s); slices.Sort(c); return c }

// MarshalJSON writes composeinfo.json, format 1.2, after validating.
func (ci *ComposeInfo) MarshalJSON() ([]byte, error) {
	if err := ci.Validate(); err != nil {
		return nil, err
	}
	payload := obj{"compose": ci.Compose.payload(), "release": releasePayload(&ci.Release, ci.Release.IsLayered)}
	if ci.Release.IsLayered && ci.BaseProduct != nil {
		payload["base_product"] = obj{"name": ci.BaseProduct.Name, "short": ci.BaseProduct.Short,
			"version": ci.BaseProduct.Version, "type": orGA(ci.BaseProduct.Type)}
	}
	vars := obj{}
	var walk func([]*Variant)
	walk = func(vs []*Variant) {
		for _, v := range vs {
			vars[v.UID] = v.payload()
			walk(v.Variants)
		}
	}
	walk(ci.Variants)
	payload["variants"] = vars
	return document(TypeComposeInfo, payload), nil
}

func releasePayload(r *Release, layered bool) obj {
	o := obj{"name": r.Name, "short": r.Short, "version": r.Version, "type": orGA(r.Type), "internal": r.Internal}
	if layered {
		o["is_layered"] = true
	}
	return o
}

func (v *Variant) payload() obj {
	o := obj{"id": v.ID, "uid": v.UID, "name": v.Name, "type": v.Type, "arches": sortedCopy(v.Arches)}
	paths := obj{}
	for _, c := range PathCategories {
		for _, a := range v.Arches {
			if path := v.Paths[c][a]; path != "" {
				m, _ := paths[c].(obj)
				if m == nil {
					m = obj{}
					paths[c] = m
				}
				m[a] = path
			}
		}
	}
	o["paths"] = paths
	if v.Type == VariantLayeredProduct && v.Release != nil {
		o["release"] = releasePayload(v.Release, true)
	}
	if len(v.Variants) > 0 {
		var ids []string
		for _, c := range v.Variants {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		o["variants"] = slices.Compact(ids)
	}
	return o
}

type rawProduct struct {
	Name      *string `json:"name"`
	Short     *string `json:"short"`
	Version   *string `json:"version"`
	Type      *string `json:"type"`
	IsLayered any     `json:"is_layered"`
	Internal  any     `json:"internal"`
}

type rawVariant struct {
	ID       *string                      `json:"id"`
	UID      *string                      `json:"uid"`
	Name     *string                      `json:"name"`
	Type     *string                      `json:"type"`
	Arches   []string                     `json:"arches"`
	Paths    map[string]map[string]string `json:"paths"`
	Variants []string                     `json:"variants"`
	Release  *rawProduct                  `json:"release"`
	Product  *rawProduct                  `json:"product"`
}

type rawComposeInfo struct {
	Compose     *rawCompose            `json:"compose"`
	Release     *rawProduct            `json:"release"`
	Product     *rawProduct            `json:"product"`
	BaseProduct *rawProduct            `json:"base_product"`
	Variants    map[string]*rawVariant `json:"variants"`
}

func (r *rawProduct) release(p *problems, field string) Release {
	var rel Release
	if r == nil {
		p.add(field, "missing")
		return rel
	}
	for _, k := range []struct {
		name string
		v    *string
		dst  *string
	}{{"name", r.Name, &rel.Name}, {"short", r.Short, &rel.Short}, {"version", r.Version, &rel.Version}} {
		if k.v == nil {
			p.add(field+"."+k.name, "missing")
		} else {
			*k.dst = *k.v
		}
	}
	rel.Type = "ga"
	if r.Type != nil {
		rel.Type = strings.ToLower(*r.Type)
	}
	rel.IsLayered = truthy(r.IsLayered)
	rel.Internal = truthy(r.Internal)
	return rel
}

// UnmarshalJSON reads composeinfo.json of any header version from 0.x to
// 1.2: before 1.0 the release is under "product" and children are found by
// UID prefix. The result is validated as productmd validates on load.
func (ci *ComposeInfo) UnmarshalJSON(data []byte) error {
	h, _, err := readEnvelope(TypeComposeInfo, data)
	if err != nil {
		return err
	}
	var raw rawComposeInfo
	if err := decodePayload(TypeComposeInfo, data, &raw); err != nil {
		return err
	}
	p := problems{kind: TypeComposeInfo}
	out := ComposeInfo{Header: h}
	out.Compose = decodeCompose(h, raw.Compose, &p)
	legacy := !h.atLeast(1, 0)
	if !h.atLeast(0, 4) { // productmd: version <= 0.3 reads "product"
		out.Release = raw.Product.release(&p, "payload.product")
		out.Release.Internal = false
	} else {
		out.Release = raw.Release.release(&p, "payload.release")
	}
	if out.Release.IsLayered {
		bp := raw.BaseProduct.release(&p, "payload.base_product")
		out.BaseProduct = &BaseProduct{Name: bp.Name, Short: bp.Short, Version: bp.Version, Type: bp.Type}
	}
	if raw.Variants == nil {
		p.add("payload.variants", "missing")
	}
	// Which entries are children of another?
	children := map[string]bool{}
	for _, v := range raw.Variants {
		if v == nil || v.UID == nil {
			continue
		}
		for _, c := range v.Variants {
			children[*v.UID+"-"+c] = true
		}
	}
	var tops []string
	for uid := range raw.Variants {
		if legacy {
			if head, _, ok := cutLast(uid, "-"); ok {
				if _, has := raw.Variants[head]; has {
					continue
				}
			}
			tops = append(tops, uid)
		} else if !children[uid] {
			tops = append(tops, uid)
		}
	}
	slices.Sort(tops)
	built := map[string]bool{}
	var build func(uid string, depth int) *Variant
	build = func(uid string, depth int) *Variant {
		f := "payload.variants." + uid
		rv := raw.Variants[uid]
		if rv == nil {
			p.add(f, "missing (listed as a child variant)")
			return nil
		}
		if built[uid] || depth > 32 {
			p.add(f, "dependency cycle")
			return nil
		}
		built[uid] = true
		v := &Variant{Arches: slices.Clone(rv.Arches)}
		for _, k := range []struct {
			name string
			s    *string
			dst  *string
		}{{"id", rv.ID, &v.ID}, {"uid", rv.UID, &v.UID}, {"name", rv.Name, &v.Name}, {"type", rv.Type, &v.Type}} {
			if k.s == nil {
				p.add(f+"."+k.name, "missing")
			} else {
				*k.dst = *k.s
			}
		}
		if rv.Arches == nil {
			p.add(f+".arches", "missing")
		}
		slices.Sort(v.Arches)
		v.Arches = slices.Compact(v.Arches)
		if rv.Paths == nil {
			p.add(f+".paths", "missing")
		}
		// productmd keeps only the known categories and the variant's arches.
		for _, c := range PathCategories {
			for _, a := range v.Arches {
				if path := rv.Paths[c][a]; path != "" {
					v.SetPath(c, a, path)
				}
			}
		}
		if v.Type == VariantLayeredProduct {
			var r Release
			if legacy {
				r = rv.Product.release(&p, f+".product")
			} else {
				r = rv.Release.release(&p, f+".release")
			}
			r.IsLayered = true
			v.Release = &r
		}
		var kids []string
		switch {
		case rv.Variants != nil:
			for _, c := range sortedCopy(rv.Variants) {
				kids = append(kids, v.UID+"-"+c)
			}
		case legacy:
			for k := range raw.Variants {
				if strings.HasPrefix(k, uid+"-") && !strings.Contains(k[len(uid)+1:], "-") {
					kids = append(kids, k)
				}
			}
			slices.Sort(kids)
		}
		for _, k := range kids {
			if c := build(k, depth+1); c != nil {
				v.Variants = append(v.Variants, c)
			}
		}
		return v
	}
	for _, uid := range tops {
		v := build(uid, 0)
		if v == nil {
			continue
		}
		// productmd checks the key against the id (dashes removed for
		// top-level non-optional variants) or the uid.
		key := uid
		if strings.Contains(key, "-") && v.Type != VariantOptional {
			key = strings.ReplaceAll(key, "-", "")
		}
		if v.ID != key && v.UID != key {
			p.add("payload.variants."+uid, "key does not match the variant's id %q or uid %q", v.ID, v.UID)
		}
		out.Variants = append(out.Variants, v)
	}
	if len(p.list) == 0 {
		out.validate(&p)
	}
	if err := p.err(); err != nil {
		return err
	}
	*ci = out
	return nil
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// decodePayloadCompose is shared by the files whose payload is the compose
// plus one map.
func decodePayloadCompose(kind string, data []byte, rest any) (Header, Compose, error) {
	h, _, err := readEnvelope(kind, data)
	if err != nil {
		return h, Compose{}, err
	}
	var raw struct {
		Compose *rawCompose `json:"compose"`
	}
	if err := decodePayload(kind, data, &raw); err != nil {
		return h, Compose{}, err
	}
	p := problems{kind: kind}
	c := decodeCompose(h, raw.Compose, &p)
	if len(p.list) == 0 {
		c.validate(&p, "payload.compose")
	}
	if err := p.err(); err != nil {
		return h, c, err
	}
	if rest != nil {
		if err := decodePayload(kind, data, rest); err != nil {
			return h, c, err
		}
	}
	return h, c, nil
}

var _ json.Marshaler = (*ComposeInfo)(nil)

func fieldf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
