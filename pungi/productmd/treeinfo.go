package productmd

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// TreeVariantTypes are the variant types a .treeinfo may hold.
var TreeVariantTypes = []string{VariantVariant, VariantOptional, VariantAddon}

// TreeRelease is the release of a tree.
type TreeRelease struct {
	Name      string
	Short     string
	Version   string
	IsLayered bool
}

// TreeBaseProduct is the base product of a layered tree.
type TreeBaseProduct struct {
	Name, Short, Version string
}

// Tree describes the tree itself.
type Tree struct {
	Arch string
	// BuildTimestamp is in seconds since the epoch.
	BuildTimestamp int64
	// Platforms are the boot platforms (the arch is always one).
	Platforms []string
}

// TreePaths are a tree variant's paths, relative to the tree root; empty
// means not set.
type TreePaths struct {
	Packages, Repository             string
	SourcePackages, SourceRepository string
	DebugPackages, DebugRepository   string
	Identity                         string
}

func (p *TreePaths) fields() []struct {
	name string
	v    *string
} {
	return []struct {
		name string
		v    *string
	}{{"packages", &p.Packages}, {"repository", &p.Repository}, {"source_packages", &p.SourcePackages},
		{"source_repository", &p.SourceRepository}, {"debug_packages", &p.DebugPackages},
		{"debug_repository", &p.DebugRepository}, {"identity", &p.Identity}}
}

// TreeVariant is a variant in a tree; addons are its children.
type TreeVariant struct {
	ID, UID, Name, Type string
	Paths               TreePaths
	Variants            []*TreeVariant
}

func (v *TreeVariant) section() string {
	if v.Type == VariantAddon {
		return "addon-" + v.UID
	}
	return "variant-" + v.UID
}

// Checksum is a file's digest.
type Checksum struct {
	Type  string // md5, sha1, sha256, ...
	Value string
}

// TreeInfo is the content of a .treeinfo file.
type TreeInfo struct {
	Header      Header
	Release     TreeRelease
	BaseProduct *TreeBaseProduct
	Tree        Tree
	// Variants are the top-level variants of the tree.
	Variants []*TreeVariant
	// Checksums maps a path relative to the tree to its digest.
	Checksums map[string]Checksum
	// Images maps a platform to an image name to its path.
	Images    map[string]map[string]string
	MainImage string // stage2
	InstImage string // stage2
	// DiscNum and TotalDiscs are 0 when not set (media section).
	DiscNum, TotalDiscs int
}

var treeVersionRE = regexp.MustCompile(`^\d+(\.\d+)*$`)

// Validate checks t against productmd's rules.
func (t *TreeInfo) Validate() error {
	p := problems{kind: TypeTreeInfo}
	t.validate(&p)
	return p.err()
}

func (t *TreeInfo) validate(p *problems) {
	for _, x := range []struct{ f, v string }{{"release.version", t.Release.Version}} {
		if len(x.v) > 0 && x.v[0] >= '0' && x.v[0] <= '9' && !treeVersionRE.MatchString(x.v) {
			p.add(x.f, "%q is not dotted integers", x.v)
		}
	}
	if t.Release.IsLayered && t.BaseProduct == nil {
		p.add("base_product", "missing for a layered release")
	}
	if t.BaseProduct != nil {
		if v := t.BaseProduct.Version; len(v) > 0 && v[0] >= '0' && v[0] <= '9' && !treeVersionRE.MatchString(v) {
			p.add("base_product.version", "%q is not dotted integers", v)
		}
	}
	if t.Tree.Arch == "" {
		p.add("tree.arch", "must not be blank")
	}
	if t.Tree.BuildTimestamp == 0 {
		p.add("tree.build_timestamp", "must not be 0")
	}
	var walk func(parent *TreeVariant, vs []*TreeVariant)
	walk = func(parent *TreeVariant, vs []*TreeVariant) {
		for _, v := range vs {
			f := v.section()
			if v.ID == "" || strings.Contains(v.ID, "-") {
				p.add(f+".id", "%q must be non-empty and contain no '-'", v.ID)
			}
			if parent != nil && v.UID != parent.UID+"-"+v.ID {
				p.add(f+".uid", "%q should be %q", v.UID, parent.UID+"-"+v.ID)
			}
			if !slices.Contains(TreeVariantTypes, v.Type) {
				p.add(f+".type", "%q is not one of %s", v.Type, strings.Join(TreeVariantTypes, ", "))
			}
			for _, fl := range v.Paths.fields() {
				if !isRelative(*fl.v) {
					p.add(f+"."+fl.name, "%q is not a relative path", *fl.v)
				}
			}
			walk(v, v.Variants)
		}
	}
	walk(nil, t.Variants)
	platforms := t.platforms()
	for _, pl := range slices.Sorted(maps.Keys(t.Images)) {
		if !slices.Contains(platforms, pl) {
			p.add("images-"+pl, "platform %q has images but is not in tree.platforms %v", pl, platforms)
		}
		for _, name := range slices.Sorted(maps.Keys(t.Images[pl])) {
			if !isRelative(t.Images[pl][name]) {
				p.add("images-"+pl+"."+name, "%q is not a relative path", t.Images[pl][name])
			}
		}
	}
	for _, path := range slices.Sorted(maps.Keys(t.Checksums)) {
		if !isRelative(path) {
			p.add("checksums."+path, "not a relative path")
		}
		c := t.Checksums[path]
		checkChecksums(p, "checksums."+path, map[string]string{c.Type: c.Value})
	}
	if t.MainImage != "" && !isRelative(t.MainImage) {
		p.add("stage2.mainimage", "%q is not a relative path", t.MainImage)
	}
}

func (t *TreeInfo) platforms() []string {
	ps := slices.Clone(t.Tree.Platforms)
	if t.Tree.Arch != "" {
		ps = append(ps, t.Tree.Arch)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// MarshalText writes the .treeinfo, format 1.2, with the [general] section
// older readers (anaconda) use; its variant is the first top-level one.
func (t *TreeInfo) MarshalText() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if len(t.Variants) == 0 {
		return nil, &ValidationError{Kind: TypeTreeInfo, Problems: []Problem{{"tree.variants", "a tree needs at least one variant"}}}
	}
	w := iniWriter{}
	w.set("header", "version", FormatVersion)
	w.set("header", "type", TypeTreeInfo)
	w.set("release", "name", t.Release.Name)
	w.set("release", "version", t.Release.Version)
	w.set("release", "short", t.Release.Short)
	if t.Release.IsLayered {
		w.set("release", "is_layered", "true")
		if t.BaseProduct != nil {
			w.set("base_product", "name", t.BaseProduct.Name)
			w.set("base_product", "version", t.BaseProduct.Version)
			w.set("base_product", "short", t.BaseProduct.Short)
		}
	}
	platforms := strings.Join(t.platforms(), ",")
	ts := strconv.FormatInt(t.Tree.BuildTimestamp, 10)
	w.set("tree", "arch", t.Tree.Arch)
	w.set("tree", "platforms", platforms)
	w.set("tree", "build_timestamp", ts)
	tops := slices.Clone(t.Variants)
	slices.SortFunc(tops, func(a, b *TreeVariant) int { return strings.Compare(a.UID, b.UID) })
	var uids []string
	for _, v := range tops {
		uids = append(uids, v.UID)
	}
	w.set("tree", "variants", strings.Join(uids, ","))
	var put func(parent *TreeVariant, v *TreeVariant)
	put = func(parent *TreeVariant, v *TreeVariant) {
		s := v.section()
		w.set(s, "id", v.ID)
		w.set(s, "uid", v.UID)
		w.set(s, "name", v.Name)
		w.set(s, "type", v.Type)
		for _, f := range v.Paths.fields() {
			if *f.v != "" {
				w.set(s, f.name, *f.v)
			}
		}
		if parent != nil {
			w.set(s, "parent", parent.UID)
		}
		var kids []string
		for _, c := range v.Variants {
			put(v, c)
			kids = append(kids, c.UID)
		}
		if len(kids) > 0 {
			slices.Sort(kids)
			w.set(s, "addons", strings.Join(kids, ","))
		}
	}
	for _, v := range tops {
		put(nil, v)
	}
	for path, c := range t.Checksums {
		w.set("checksums", path, c.Type+":"+c.Value)
	}
	for pl, imgs := range t.Images {
		for name, path := range imgs {
			w.set("images-"+pl, name, path)
		}
	}
	if t.MainImage != "" {
		w.set("stage2", "mainimage", t.MainImage)
	}
	if t.InstImage != "" {
		w.set("stage2", "instimage", t.InstImage)
	}
	if t.DiscNum != 0 || t.TotalDiscs != 0 {
		w.set("media", "discnum", strconv.Itoa(t.DiscNum))
		w.set("media", "totaldiscs", strconv.Itoa(t.TotalDiscs))
	}
	main := tops[0]
	w.set("general", "; WARNING.0", "This section provides compatibility with pre-productmd treeinfos.")
	w.set("general", "; WARNING.1", "Read productmd documentation for details about new format.")
	w.set("general", "name", t.Release.Name+" "+t.Release.Version)
	w.set("general", "family", t.Release.Name)
	w.set("general", "version", t.Release.Version)
	w.set("general", "arch", t.Tree.Arch)
	w.set("general", "platforms", platforms)
	w.set("general", "timestamp", ts)
	w.set("general", "variants", strings.Join(uids, ","))
	w.set("general", "variant", main.UID)
	switch {
	case main.Paths.Packages != "":
		w.set("general", "packagedir", main.Paths.Packages)
	case t.Tree.Arch == "src" && main.Paths.SourcePackages != "":
		w.set("general", "packagedir", main.Paths.SourcePackages)
	}
	switch {
	case main.Paths.Repository != "":
		w.set("general", "repository", main.Paths.Repository)
	case t.Tree.Arch == "src" && main.Paths.SourceRepository != "":
		w.set("general", "repository", main.Paths.SourceRepository)
	}
	for s, kv := range w {
		for k, v := range kv {
			if strings.ContainsAny(k, "=:\n[") || strings.Contains(v, "%") || strings.ContainsAny(s, "]\n") {
				return nil, &ValidationError{Kind: TypeTreeInfo, Problems: []Problem{{s + "." + k,
					fmt.Sprintf("%q cannot be written to an INI file (no '=', ':' or '[' in names, no '%%' in values)", v)}}}
			}
		}
	}
	return w.bytes(), nil
}

// UnmarshalText reads a .treeinfo: productmd's format 1.0 to 1.2 and the
// legacy format without a [header] (version 0.0, read from [general]).
func (t *TreeInfo) UnmarshalText(data []byte) error {
	f, err := parseINI(TypeTreeInfo, data)
	if err != nil {
		return err
	}
	r := treeReader{f: f, p: &problems{kind: TypeTreeInfo}}
	out := TreeInfo{Header: Header{Type: TypeTreeInfo, Version: "0.0"}}
	if f.has("header", "version") {
		out.Header.Version = r.get("header", "version")
		maj, _, ok := parseVersion(out.Header.Version)
		switch {
		case !ok:
			r.p.add("header.version", "%q is not MAJOR.MINOR", out.Header.Version)
			return r.p.err()
		case maj >= 2:
			return fmt.Errorf("productmd: %s: header.version %s: %w", TypeTreeInfo, out.Header.Version, ErrUnsupportedVersion)
		}
		if out.Header.atLeast(1, 1) {
			if ty := r.get("header", "type"); ty != TypeTreeInfo && len(r.p.list) == 0 {
				r.p.add("header.type", "is %q, expected %q", ty, TypeTreeInfo)
			}
		}
		if err := r.p.err(); err != nil {
			return err
		}
	}
	h := out.Header
	legacy := h.Version == "0.0"
	switch {
	case legacy:
		out.Release.Name = r.get("general", "family")
		out.Release.Version = r.get("general", "version")
		for _, part := range regexp.MustCompile(`[-_]`).Split(out.Release.Version, -1) {
			if treeVersionRE.MatchString(part) {
				out.Release.Version = part
			}
		}
		out.Release.Short = legacyShort(&out.Release.Name)
	case !h.atLeast(0, 4):
		out.Release.Name = r.get("product", "name")
		out.Release.Version = r.get("product", "version")
		out.Release.Short = r.get("product", "short")
		out.Release.IsLayered = r.boolean("product", "is_layered")
	default:
		out.Release.Name = r.get("release", "name")
		out.Release.Version = r.get("release", "version")
		out.Release.Short = out.Release.Name
		if f.has("release", "short") {
			out.Release.Short = r.get("release", "short")
		}
		out.Release.IsLayered = r.boolean("release", "is_layered")
	}
	if out.Release.IsLayered {
		out.BaseProduct = &TreeBaseProduct{Name: r.get("base_product", "name"), Version: r.get("base_product", "version"), Short: r.get("base_product", "short")}
	}
	// tree
	if legacy {
		out.Tree.Arch = r.get("general", "arch")
		out.Tree.Platforms = []string{out.Tree.Arch}
		if f.has(out.Tree.Arch, "platforms") {
			out.Tree.Platforms = append(out.Tree.Platforms, splitList(r.get(out.Tree.Arch, "platforms"))...)
		}
		for _, s := range f.order {
			if pl, ok := strings.CutPrefix(s, "images-"); ok {
				if pl != out.Tree.Arch {
					pl = strings.TrimSuffix(pl, "-"+out.Tree.Arch)
				}
				out.Tree.Platforms = append(out.Tree.Platforms, pl)
			}
		}
		out.Tree.BuildTimestamp = -1
		if f.has("general", "timestamp") {
			out.Tree.BuildTimestamp = r.timestamp("general", "timestamp")
		}
	} else {
		sec := "tree"
		if !f.hasSection("tree") {
			sec = "general"
		}
		out.Tree.Arch = r.get(sec, "arch")
		out.Tree.Platforms = splitList(r.get(sec, "platforms"))
		out.Tree.BuildTimestamp = -1
		if sec == "tree" {
			out.Tree.BuildTimestamp = r.timestamp("tree", "build_timestamp")
		}
	}
	slices.Sort(out.Tree.Platforms)
	out.Tree.Platforms = slices.Compact(out.Tree.Platforms)
	// variants
	var ids []string
	if legacy {
		if f.has("general", "variant") {
			if v := r.get("general", "variant"); v != "" {
				ids = []string{v}
			}
		} else if fam := r.get("general", "family"); fam == "Red Hat Enterprise Linux Server" {
			ids = []string{"Server"}
		} else if fam == "Red Hat Enterprise Linux Client" {
			ids = []string{"Client"}
		} else if fam == "CentOS" {
			ids = []string{"CentOS"}
		}
		if len(ids) == 0 {
			for _, s := range f.order {
				if id, ok := strings.CutPrefix(s, "variant-"); ok && !strings.Contains(id, "-") {
					ids = append(ids, id)
				}
			}
		}
		if len(ids) == 0 {
			ids = []string{out.Release.Short}
		}
	} else if f.has("tree", "variants") {
		ids = strings.Split(r.get("tree", "variants"), ",")
	}
	for _, id := range ids {
		if v := r.variant(h, &out, id, nil, 0); v != nil {
			out.Variants = append(out.Variants, v)
		}
	}
	// checksums
	if f.hasSection("checksums") {
		out.Checksums = map[string]Checksum{}
		for _, path := range f.keys("checksums") {
			v := r.get("checksums", path)
			path = fixLegacyPath(legacy, path)
			typ, val, ok := strings.Cut(v, ":")
			if !ok {
				val = v
				switch len(v) {
				case 32:
					typ = "md5"
				case 40:
					typ = "sha1"
				case 64:
					typ = "sha256"
				default:
					r.p.add("checksums."+path, "%q has no TYPE: and an unknown length", v)
				}
			}
			out.Checksums[path] = Checksum{Type: typ, Value: val}
		}
	}
	// images
	for _, s := range f.order {
		pl, ok := strings.CutPrefix(s, "images-")
		if !ok {
			continue
		}
		if pl != out.Tree.Arch {
			pl = strings.TrimSuffix(pl, "-"+out.Tree.Arch)
		}
		if out.Images == nil {
			out.Images = map[string]map[string]string{}
		}
		out.Images[pl] = map[string]string{}
		for _, k := range f.keys(s) {
			out.Images[pl][k] = fixLegacyPath(legacy, r.get(s, k))
		}
	}
	if f.has("stage2", "mainimage") {
		out.MainImage = fixLegacyPath(legacy, r.get("stage2", "mainimage"))
	}
	if f.has("stage2", "instimage") {
		out.InstImage = fixLegacyPath(legacy, r.get("stage2", "instimage"))
	}
	if legacy {
		if f.has("general", "discnum") || f.has("general", "totaldiscs") {
			out.DiscNum = 1
			if f.has("general", "discnum") {
				out.DiscNum = r.integer("general", "discnum")
			}
			out.TotalDiscs = out.DiscNum
			if f.has("general", "totaldiscs") {
				out.TotalDiscs = r.integer("general", "totaldiscs")
			}
		}
	} else if f.hasSection("media") {
		out.DiscNum = r.integer("media", "discnum")
		out.TotalDiscs = r.integer("media", "totaldiscs")
	}
	if len(r.p.list) == 0 {
		out.validate(r.p)
		if out.Tree.BuildTimestamp == -1 {
			// productmd accepts -1 (unknown) from files; drop the 0 check.
			r.p.list = slices.DeleteFunc(r.p.list, func(x Problem) bool { return x.Field == "tree.build_timestamp" })
		}
	}
	if err := r.p.err(); err != nil {
		return err
	}
	*t = out
	return nil
}

type treeReader struct {
	f *ini
	p *problems
}

func (r *treeReader) get(section, key string) string {
	v, err := r.f.get(section, key)
	if err != nil {
		r.p.add(section+"."+key, "%v", err)
	}
	return v
}

func (r *treeReader) boolean(section, key string) bool {
	if !r.f.has(section, key) {
		return false
	}
	switch strings.ToLower(r.get(section, key)) {
	case "1", "yes", "true", "on":
		return true
	case "0", "no", "false", "off":
		return false
	}
	r.p.add(section+"."+key, "not a boolean")
	return false
}

func (r *treeReader) integer(section, key string) int {
	s := r.get(section, key)
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil && s != "" {
		r.p.add(section+"."+key, "%q is not an integer", s)
	}
	return n
}

func (r *treeReader) timestamp(section, key string) int64 {
	s := r.get(section, key)
	fl, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && s != "" {
		r.p.add(section+"."+key, "%q is not a number", s)
	}
	return int64(fl)
}

func (r *treeReader) variant(h Header, t *TreeInfo, uid string, parent *TreeVariant, depth int) *TreeVariant {
	if depth > 16 {
		r.p.add("variant-"+uid, "addons nest too deep (a cycle?)")
		return nil
	}
	f := r.f
	v := &TreeVariant{}
	legacy := h.Version == "0.0"
	switch {
	case legacy:
		r.legacyVariant(h, t, v, uid, parent != nil, depth)
		return v
	}
	sec := "variant-" + uid
	if !f.hasSection(sec) {
		sec = "addon-" + uid
	}
	if !f.hasSection(sec) {
		r.p.add("variant-"+uid, "section missing (listed in tree.variants or addons)")
		return nil
	}
	v.ID = r.get(sec, "id")
	v.UID = r.get(sec, "uid")
	v.Name = r.get(sec, "name")
	v.Type = r.get(sec, "type")
	for _, fl := range v.Paths.fields() {
		secs := []string{sec}
		if !h.atLeast(0, 4) {
			secs = []string{"variant-" + v.UID, "variant-" + v.ID, "addon-" + v.UID, "addon-" + v.ID}
		}
		for _, s := range secs {
			if f.has(s, fl.name) {
				*fl.v = r.get(s, fl.name)
				break
			}
		}
	}
	if parent != nil && v.Type == "" {
		v.Type = VariantAddon
	}
	kids := ""
	if f.has(sec, "addons") {
		kids = r.get(sec, "addons")
	} else if !h.atLeast(0, 4) && f.has(sec, "variants") {
		kids = r.get(sec, "variants")
	}
	for _, a := range splitList(kids) {
		if c := r.variant(h, t, a, v, depth+1); c != nil {
			v.Variants = append(v.Variants, c)
		}
	}
	return v
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func fixLegacyPath(legacy bool, path string) string {
	if !legacy || !strings.HasPrefix(path, "/") {
		return path
	}
	if i := strings.Index(path, "/os/"); i >= 0 {
		return path[i+4:]
	}
	return strings.TrimLeft(path, "/")
}

// legacyShort derives the short name of a pre-productmd tree from its
// family, as productmd does, normalising the name as well.
func legacyShort(name *string) string {
	for _, x := range []struct{ prefix, name, short string }{
		{"Red Hat Enterprise Linux", "Red Hat Enterprise Linux", "RHEL"},
		{"Fedora", "Fedora", "Fedora"}, {"CentOS", "CentOS", "CentOS"}, {"EulerOS", "EulerOS", "EulerOS"},
		{"Kylin", "Kylin", "Kylin"}, {"UnionTech OS", "UnionTech OS", "UOS"},
	} {
		if strings.HasPrefix(*name, x.prefix) {
			*name = x.name
			return x.short
		}
	}
	switch *name {
	case "Subscription Asset Manager":
		return "SAM"
	case "Red Hat Storage":
		return "RHS"
	case "JBEAP":
		return "JBEAP"
	case "Red Hat Storage Software Appliance":
		return "SSA"
	}
	return ""
}

// legacyVariant reads a variant of a pre-productmd .treeinfo the way
// productmd does, including its per-distribution fix-ups.
func (r *treeReader) legacyVariant(h Header, t *TreeInfo, v *TreeVariant, uid string, addon bool, depth int) {
	f := r.f
	parts := strings.Split(uid, "-")
	v.ID, v.UID = parts[len(parts)-1], uid
	section := ""
	for _, s := range []string{"addon-" + v.UID, "addon-" + v.ID, "variant-" + v.UID, "variant-" + v.ID} {
		if f.has(s, "type") {
			v.Type, section = r.get(s, "type"), s
			break
		}
		if f.hasSection(s) {
			section = s
			switch {
			case strings.Contains(s, "addon"):
				v.Type = VariantAddon
			case strings.Contains(v.ID, "optional"):
				v.Type = VariantOptional
			default:
				v.Type = VariantVariant
			}
			break
		}
	}
	if v.Type == "" {
		v.Type = VariantVariant
		if addon {
			v.Type = VariantAddon
		}
	}
	v.Name = v.ID
	if section == "" {
		section = "variant-" + v.ID // productmd looks for a name there
	}
	if f.has(section, "name") {
		v.Name = r.get(section, "name")
	}
	lookup := func(def string, keys ...[2]string) (string, bool) {
		for _, k := range keys {
			if f.has(k[0], k[1]) {
				return r.get(k[0], k[1]), true
			}
		}
		return def, false
	}
	major := MajorVersion(t.Release.Version)
	rhel := t.Release.Short == "RHEL"
	repo, _ := lookup(".", [2]string{"variant-" + v.ID, "repository"}, [2]string{"addon-" + v.ID, "repository"}, [2]string{"general", "repository"})
	repo = strings.TrimRight(repo, "/")
	if repo == "" {
		repo = "."
	}
	repo = strings.TrimSuffix(repo, "/repodata")
	if repo == "." && rhel && (major == "5" || major == "6") {
		repo = v.ID
	}
	if repo == "." && rhel && (major == "3" || major == "4") {
		repo = ""
	}
	var keys [][2]string
	for _, s := range []string{"variant-" + v.UID, "addon-" + v.UID, "variant-" + v.ID, "addon-" + v.ID} {
		keys = append(keys, [2]string{s, "packages"}, [2]string{s, "packagedir"})
	}
	keys = append(keys, [2]string{"general", "packages"}, [2]string{"general", "packagedir"}, [2]string{"general", "packagedirs"})
	pk, _ := lookup(repo, keys...)
	pk = strings.TrimRight(pk, "/")
	if pk == "" {
		pk = "."
	}
	switch {
	case rhel && major == "5":
		pk = v.ID
	case rhel && (major == "3" || major == "4"):
		pk = "RedHat/RPMS"
	case t.Release.Short == "Fedora" && pk == ".":
		pk = "Packages"
	}
	v.Paths.Repository, v.Paths.Packages = repo, pk
	if t.Tree.Arch == "src" {
		v.Paths.SourceRepository, v.Paths.SourcePackages = repo, pk
		v.Paths.Repository, v.Paths.Packages = "", ""
	}
	v.Paths.Identity, _ = lookup("", [2]string{"variant-" + v.UID, "identity"}, [2]string{"addon-" + v.UID, "identity"},
		[2]string{"variant-" + v.ID, "identity"}, [2]string{"addon-" + v.ID, "identity"}, [2]string{"general", "identity"})
	if v.Type != VariantVariant {
		return
	}
	adds, _ := lookup("", [2]string{section, "addons"}, [2]string{section, "variants"}, [2]string{"general", "addons"})
	for _, a := range splitList(adds) {
		if !strings.HasPrefix(a, v.UID+"-") {
			a = v.UID + "-" + a
		}
		c := &TreeVariant{}
		r.legacyVariant(h, t, c, a, true, depth+1)
		if depth+1 > 16 {
			return
		}
		c.Type = VariantAddon
		v.Variants = append(v.Variants, c)
	}
}
