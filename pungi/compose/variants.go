package compose

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// VariantsFile is a parsed variants.xml (Pungi's variants.dtd).
type VariantsFile struct {
	// Variants are the top-level variants of the compose (type variant);
	// addons, optional variants and layered products sit under their
	// parents, including those placed there with <ref id="..."/>.
	Variants []*Variant
}

// Variant is one variant of variants.xml.
type Variant struct {
	// ID as written ("Server", "optional", "Foo-Tools").
	ID   string
	Name string
	// Type is variant, addon, optional or layered-product.
	Type        string
	HasOptional bool
	IsEmpty     bool
	// Release is set for a layered product.
	Release *VariantRelease
	Arches  []string
	Groups  []Group
	// Environments are comps environment ids.
	Environments []Environment
	Variants     []*Variant
	// BuildInstallPackages are extra packages for the installer.
	BuildInstallPackages []string
	// Modules are the module specifications of <modules>.
	Modules []ModuleSpec
	// KojiTags are modular koji tags to take modules from.
	KojiTags []string
	// Parent is nil for a top-level variant.
	Parent *Variant `json:"-"`
	// Line and Column locate the element in the file.
	Line, Column int
}

// UID is the productmd UID: the parent's UID, a dash, and the id.
func (v *Variant) UID() string {
	if v.Parent == nil {
		return v.ID
	}
	return v.Parent.UID() + "-" + v.ID
}

// ProductmdID is the id productmd records: the id without dashes for a
// top-level variant.
func (v *Variant) ProductmdID() string {
	if v.Parent == nil {
		return strings.ReplaceAll(v.ID, "-", "")
	}
	return v.ID
}

// All returns v and its descendants, parents first.
func (v *Variant) All() []*Variant {
	out := []*Variant{v}
	for _, c := range v.Variants {
		out = append(out, c.All()...)
	}
	return out
}

// All returns every variant, parents first.
func (f *VariantsFile) All() []*Variant {
	var out []*Variant
	for _, v := range f.Variants {
		out = append(out, v.All()...)
	}
	return out
}

// VariantRelease is a layered product's release.
type VariantRelease struct{ Name, Short, Version string }

// Group is a comps group of a variant.
type Group struct {
	ID                         string
	Glob, Default, UserVisible *bool
}

// Environment is a comps environment of a variant.
type Environment struct {
	ID           string
	DisplayOrder string
}

// ModuleSpec is a module selection: N:S, N:S:V, N:S:V:C or "*" (every
// module of the variant's koji tags).
type ModuleSpec struct {
	Name, Stream, Version, Context string
	// All is true for "*".
	All bool
	// Glob is the module element's glob attribute.
	Glob bool
	// Line and Column locate the spec in its file (0 when not from a file).
	Line, Column int
}

func (s ModuleSpec) String() string {
	if s.All {
		return "*"
	}
	out := s.Name + ":" + s.Stream
	if s.Version != "" {
		out += ":" + s.Version
		if s.Context != "" {
			out += ":" + s.Context
		}
	}
	return out
}

var (
	fourteenDigits = regexp.MustCompile(`^\d{14}$`)
	specPartRE     = regexp.MustCompile(`^[A-Za-z0-9_.+*?\[\]-]+$`)
)

// ParseModuleSpec parses N:S[:V[:C]] or "*". The older dash form
// name-stream[-version] (a version of 14 digits) is accepted too, as Pungi
// does, with deprecated set.
func ParseModuleSpec(s string) (spec ModuleSpec, deprecated bool, err error) {
	if s == "*" {
		return ModuleSpec{All: true}, false, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) == 1 {
		// Old form: name-stream[-version].
		dash := strings.Split(s, "-")
		if len(dash) >= 3 && fourteenDigits.MatchString(dash[len(dash)-1]) {
			parts = []string{strings.Join(dash[:len(dash)-2], "-"), dash[len(dash)-2], dash[len(dash)-1]}
		} else if len(dash) >= 2 {
			parts = []string{strings.Join(dash[:len(dash)-1], "-"), dash[len(dash)-1]}
		} else {
			return spec, false, fmt.Errorf("module %q: want NAME:STREAM[:VERSION[:CONTEXT]] or *", s)
		}
		deprecated = true
	}
	if len(parts) > 4 {
		return spec, false, fmt.Errorf("module %q: more than four parts (NAME:STREAM:VERSION:CONTEXT)", s)
	}
	for i, p := range parts {
		if p == "" || !specPartRE.MatchString(p) {
			return spec, false, fmt.Errorf("module %q: part %d (%s) is empty or has characters a module NSVC cannot have", s, i+1, []string{"name", "stream", "version", "context"}[i])
		}
	}
	if len(parts) < 2 {
		return spec, false, fmt.Errorf("module %q: want NAME:STREAM[:VERSION[:CONTEXT]]", s)
	}
	spec.Name, spec.Stream = parts[0], parts[1]
	if len(parts) > 2 {
		spec.Version = parts[2]
		if strings.Trim(spec.Version, "0123456789") != "" {
			return spec, false, fmt.Errorf("module %q: version %q is not a number", s, spec.Version)
		}
	}
	if len(parts) > 3 {
		spec.Context = parts[3]
	}
	return spec, deprecated, nil
}

// VariantsError lists the problems of a variants.xml, each with its line
// and column.
type VariantsError struct {
	File     string
	Problems []PosError
}

// PosError is one problem at a position.
type PosError struct {
	Line, Column int
	Msg          string
}

func (e *VariantsError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s", e.File, p.Line, p.Column, p.Msg)
	}
	return b.String()
}

// Warnings are non-fatal remarks (deprecated module spec forms).
type Warnings []PosError

// ParseVariants reads variants.xml from r; name is used in errors. The
// problems of the whole file are reported at once in a *VariantsError.
func ParseVariants(name string, r io.Reader) (*VariantsFile, Warnings, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("compose: %s: %w", name, err)
	}
	p := &variantsParser{name: name, data: data, dec: xml.NewDecoder(bytes.NewReader(data))}
	p.dec.Strict = true
	f := p.parse()
	if len(p.errs) > 0 {
		return nil, p.warns, &VariantsError{File: name, Problems: p.errs}
	}
	return f, p.warns, nil
}

type variantsParser struct {
	name  string
	data  []byte
	dec   *xml.Decoder
	errs  []PosError
	warns Warnings
}

// node is a parsed element with its position.
type node struct {
	name      string
	attrs     map[string]string
	text      string
	children  []*node
	line, col int
}

func (p *variantsParser) errorf(line, col int, format string, args ...any) {
	p.errs = append(p.errs, PosError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

func (p *variantsParser) pos() (int, int) { return p.dec.InputPos() }

// tree reads the document into nodes.
func (p *variantsParser) tree() *node {
	var stack []*node
	var root *node
	for {
		line, col := p.pos()
		tok, err := p.dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				l, c := p.pos()
				p.errorf(l, c, "%s", se.Msg)
			} else {
				p.errorf(line, col, "%v", err)
			}
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, attrs: map[string]string{}, line: line, col: col}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		p.errorf(1, 1, "no <variants> element")
	}
	return root
}

func (p *variantsParser) parse() *VariantsFile {
	root := p.tree()
	if root == nil {
		return nil
	}
	if root.name != "variants" {
		p.errorf(root.line, root.col, "root element is <%s>, want <variants>", root.name)
		return nil
	}
	defined := map[string]*node{}
	var order []*node
	for _, c := range root.children {
		switch c.name {
		case "ref":
			p.errorf(c.line, c.col, "<ref> is only allowed inside a variant's <variants>")
		case "variant":
			id := c.attrs["id"]
			if prev, dup := defined[id]; dup && id != "" {
				p.errorf(c.line, c.col, "variant %q is defined twice (first at line %d)", id, prev.line)
				continue
			}
			defined[id] = c
			order = append(order, c)
		default:
			p.errorf(c.line, c.col, "unexpected <%s> in <variants>", c.name)
		}
	}
	f := &VariantsFile{}
	referenced := map[string]bool{}
	for _, n := range order {
		p.collectRefs(n, referenced)
	}
	for _, n := range order {
		id := n.attrs["id"]
		if referenced[id] {
			continue
		}
		v := p.variant(n, nil, defined, 0)
		if v == nil {
			continue
		}
		if v.Type != "variant" {
			p.errorf(n.line, n.col, "top-level variant %q has type %s but no variant refers to it with <ref id=%q/>", id, v.Type, id)
			continue
		}
		f.Variants = append(f.Variants, v)
	}
	return f
}

func (p *variantsParser) collectRefs(n *node, refs map[string]bool) {
	for _, c := range n.children {
		if c.name == "variants" {
			for _, r := range c.children {
				if r.name == "ref" {
					refs[r.attrs["id"]] = true
				} else if r.name == "variant" {
					p.collectRefs(r, refs)
				}
			}
		}
	}
}

var (
	bools   = []string{"true", "false"}
	vtypes  = []string{"variant", "addon", "optional", "layered-product"}
	idChars = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

func (p *variantsParser) boolAttr(n *node, name string) *bool {
	v, ok := n.attrs[name]
	if !ok {
		return nil
	}
	if !slices.Contains(bools, v) {
		p.errorf(n.line, n.col, "<%s %s=%q>: want true or false", n.name, name, v)
		return nil
	}
	b := v == "true"
	return &b
}

// word returns the element's text, which must be one word.
func (p *variantsParser) word(n *node) string {
	t := strings.TrimSpace(n.text)
	if t == "" {
		p.errorf(n.line, n.col, "<%s> is empty", n.name)
	} else if strings.ContainsAny(t, " \t\r\n") {
		p.errorf(n.line, n.col, "<%s> %q contains white space", n.name, t)
	}
	return t
}

func (p *variantsParser) variant(n *node, parent *Variant, defined map[string]*node, depth int) *Variant {
	if depth > 8 {
		p.errorf(n.line, n.col, "variants nest too deep (a <ref> cycle?)")
		return nil
	}
	v := &Variant{ID: n.attrs["id"], Name: n.attrs["name"], Type: n.attrs["type"], Parent: parent, Line: n.line, Column: n.col}
	for _, a := range []string{"id", "name", "type"} {
		if _, ok := n.attrs[a]; !ok {
			p.errorf(n.line, n.col, "<variant> has no %s attribute", a)
		}
	}
	for a := range n.attrs {
		if !slices.Contains([]string{"id", "name", "type", "has_optional", "is_empty"}, a) {
			p.errorf(n.line, n.col, "<variant> has an unknown attribute %s", a)
		}
	}
	if v.ID != "" && !idChars.MatchString(v.ID) {
		p.errorf(n.line, n.col, "variant id %q: use letters, digits and dashes", v.ID)
	}
	if parent != nil && strings.Contains(v.ID, "-") {
		p.errorf(n.line, n.col, "child variant id %q must not contain '-'", v.ID)
	}
	if v.Type != "" && !slices.Contains(vtypes, v.Type) {
		p.errorf(n.line, n.col, "variant %q: type %q is not one of %s", v.ID, v.Type, strings.Join(vtypes, ", "))
	}
	if parent != nil && v.Type == "variant" {
		p.errorf(n.line, n.col, "variant %q of type variant cannot be a child of %q (use addon, optional or layered-product)", v.ID, parent.ID)
	}
	if b := p.boolAttr(n, "has_optional"); b != nil {
		v.HasOptional = *b
	}
	if b := p.boolAttr(n, "is_empty"); b != nil {
		v.IsEmpty = *b
	}
	order := []string{"release", "arches", "groups", "environments", "variants", "buildinstallpackages", "modules"}
	last := -1
	seen := map[string]bool{}
	for _, c := range n.children {
		i := slices.Index(order, c.name)
		if i < 0 {
			p.errorf(c.line, c.col, "unexpected <%s> in <variant id=%q>", c.name, v.ID)
			continue
		}
		if i < last || (seen[c.name] && c.name != "environments" && c.name != "variants") {
			p.errorf(c.line, c.col, "<%s> is out of order or repeated in <variant id=%q> (order: %s)", c.name, v.ID, strings.Join(order, ", "))
		}
		last = i
		seen[c.name] = true
		switch c.name {
		case "release":
			v.Release = &VariantRelease{Name: c.attrs["name"], Short: c.attrs["short"], Version: c.attrs["version"]}
		case "arches":
			for _, a := range c.children {
				if a.name != "arch" {
					p.errorf(a.line, a.col, "unexpected <%s> in <arches>", a.name)
					continue
				}
				arch := p.word(a)
				if slices.Contains(v.Arches, arch) {
					p.errorf(a.line, a.col, "arch %s listed twice", arch)
				}
				v.Arches = append(v.Arches, arch)
			}
			if len(v.Arches) == 0 {
				p.errorf(c.line, c.col, "<arches> needs at least one <arch>")
			}
		case "groups":
			for _, g := range c.children {
				if g.name != "group" {
					p.errorf(g.line, g.col, "unexpected <%s> in <groups>", g.name)
					continue
				}
				v.Groups = append(v.Groups, Group{ID: p.word(g), Glob: p.boolAttr(g, "glob"), Default: p.boolAttr(g, "default"), UserVisible: p.boolAttr(g, "uservisible")})
			}
		case "environments":
			for _, e := range c.children {
				if e.name != "environment" {
					p.errorf(e.line, e.col, "unexpected <%s> in <environments>", e.name)
					continue
				}
				v.Environments = append(v.Environments, Environment{ID: p.word(e), DisplayOrder: e.attrs["display_order"]})
			}
		case "buildinstallpackages":
			for _, e := range c.children {
				if e.name != "package" {
					p.errorf(e.line, e.col, "unexpected <%s> in <buildinstallpackages>", e.name)
					continue
				}
				v.BuildInstallPackages = append(v.BuildInstallPackages, p.word(e))
			}
		case "modules":
			tagsStarted := false
			for _, m := range c.children {
				switch m.name {
				case "module":
					if tagsStarted {
						p.errorf(m.line, m.col, "<module> after <kojitag>: list modules first")
					}
					text := p.word(m)
					spec, deprecated, err := ParseModuleSpec(text)
					if err != nil && text != "" {
						p.errorf(m.line, m.col, "%v", err)
						continue
					}
					if deprecated {
						p.warns = append(p.warns, PosError{m.line, m.col, fmt.Sprintf("module %q uses the deprecated NAME-STREAM[-VERSION] form; write %s", text, spec)})
					}
					if b := p.boolAttr(m, "glob"); b != nil {
						spec.Glob = *b
					}
					spec.Line, spec.Column = m.line, m.col
					v.Modules = append(v.Modules, spec)
				case "kojitag":
					tagsStarted = true
					v.KojiTags = append(v.KojiTags, p.word(m))
				default:
					p.errorf(m.line, m.col, "unexpected <%s> in <modules>", m.name)
				}
			}
		case "variants":
			for _, cn := range c.children {
				switch cn.name {
				case "ref":
					id := cn.attrs["id"]
					target, ok := defined[id]
					if !ok {
						p.errorf(cn.line, cn.col, "<ref id=%q> refers to no top-level variant", id)
						continue
					}
					if cv := p.variant(target, v, defined, depth+1); cv != nil {
						v.Variants = append(v.Variants, cv)
					}
				case "variant":
					if cv := p.variant(cn, v, defined, depth+1); cv != nil {
						v.Variants = append(v.Variants, cv)
					}
				default:
					p.errorf(cn.line, cn.col, "unexpected <%s> in <variants>", cn.name)
				}
			}
		}
	}
	if !seen["arches"] {
		p.errorf(n.line, n.col, "variant %q has no <arches>", v.ID)
	}
	if v.Type == "layered-product" && v.Release == nil {
		p.errorf(n.line, n.col, "layered product %q needs a <release>", v.ID)
	}
	if parent != nil {
		for _, a := range v.Arches {
			if !slices.Contains(parent.Arches, a) {
				p.errorf(n.line, n.col, "variant %q: arch %s is not an arch of its parent %q", v.UID(), a, parent.ID)
			}
		}
	}
	ids := map[string]bool{}
	for _, c := range v.Variants {
		if ids[c.ID] {
			p.errorf(c.Line, c.Column, "variant %q appears twice under %q", c.ID, v.ID)
		}
		ids[c.ID] = true
	}
	return v
}
