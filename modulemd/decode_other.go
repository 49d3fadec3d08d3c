package modulemd

import (
	"go.yaml.in/yaml/v3"
)

var (
	defaultsKeys     = []string{"module", "modified", "stream", "profiles", "intents"}
	intentKeys       = []string{"stream", "profiles"}
	obsoletesKeys    = []string{"modified", "reset", "module", "stream", "context", "eol_date", "message", "obsoleted_by"}
	translationsKeys = []string{"module", "stream", "modified", "translations"}
	translationKeys  = []string{"summary", "description", "profiles"}
	packagerV3Keys   = []string{"name", "stream", "summary", "description", "license", "xmd", "configurations",
		"references", "profiles", "api", "filter", "demodularized", "components"}
	configurationKeys = []string{"context", "platform", "buildrequires", "requires", "buildopts"}
)

func (r *docReader) defaults(m *yaml.Node) *Defaults {
	d := &Defaults{MDVersionNumber: 1, pos: r.pos}
	const p = "data"
	var seenModule, seenStream bool
	for _, e := range r.entries(m, p) {
		path := p + "." + e.key
		switch e.key {
		case "module":
			if r.once(&seenModule, e.kn, path, "module name") {
				d.Module, _ = r.str(e.v, path)
			}
		case "modified":
			d.Modified, _ = r.uint64(e.v, path)
		case "stream":
			if r.once(&seenStream, e.kn, path, "default stream") {
				d.Stream, _ = r.str(e.v, path)
			}
		case "profiles":
			d.Profiles = r.defaultProfiles(e.v, path)
		case "intents":
			d.Intents = r.intents(e.v, path)
		default:
			r.unknown(e, p, defaultsKeys)
		}
	}
	return d
}

// defaultProfiles reads stream → profile set. A stream listed twice is an
// error; an empty list is kept as a present, empty (non-nil) entry.
func (r *docReader) defaultProfiles(n *yaml.Node, path string) map[string][]string {
	return keyed(r, n, path, "a mapping of stream names to profile lists",
		"stream %q is listed twice in the profile defaults; expected each stream once", (*docReader).setAt)
}

func (r *docReader) intents(n *yaml.Node, path string) map[string]Intent {
	return keyed(r, n, path, "a mapping of intent names to intents",
		"intent %q is listed twice; expected each intent once", (*docReader).intent)
}

func (r *docReader) intent(e entry, ip string) (Intent, bool) {
	var it Intent
	im := r.item(e, ip, "an intent")
	if im == nil {
		return it, false
	}
	var seenStream bool
	for _, f := range r.entries(im, ip) {
		fp := ip + "." + f.key
		switch f.key {
		case "stream":
			if r.once(&seenStream, f.kn, fp, "intent default stream") {
				it.Stream, _ = r.str(f.v, fp)
			}
		case "profiles":
			it.Profiles = r.defaultProfiles(f.v, fp)
		default:
			r.unknown(f, ip, intentKeys)
		}
	}
	return it, true
}

func (r *docReader) obsoletes(m *yaml.Node) *Obsoletes {
	o := &Obsoletes{MDVersionNumber: 1, pos: r.pos}
	const p = "data"
	for _, e := range r.entries(m, p) {
		path := p + "." + e.key
		switch e.key {
		case "modified", "eol_date":
			s := r.scalar(e.v, path, "a UTC timestamp YYYY-MM-DDTHH:MMZ")
			if s == nil {
				continue
			}
			t, msg := parseObsoletesTime(s.Value)
			if msg != "" {
				r.fail(s, path, ErrType, "%s", msg)
				continue
			}
			if e.key == "modified" {
				o.Modified = t
			} else {
				o.EOLDate = t
			}
		case "reset":
			o.Reset = r.bool(e.v, path)
		case "module":
			o.Module, _ = r.str(e.v, path)
		case "stream":
			o.Stream, _ = r.str(e.v, path)
		case "context":
			o.Context, _ = r.str(e.v, path)
		case "message":
			o.Message, _ = r.str(e.v, path)
		case "obsoleted_by":
			o.ObsoletedBy = r.obsoletedBy(e.v, path)
		default:
			r.unknown(e, p, obsoletesKeys)
		}
	}
	return o
}

// obsoletedBy reads {module, stream}. As in libmodulemd, other keys are
// ignored even in strict mode, and a repeated key is an error.
func (r *docReader) obsoletedBy(n *yaml.Node, path string) *ObsoletedBy {
	m := r.mapAt(n, path, "a mapping with module and stream")
	if m == nil {
		return nil
	}
	ob := &ObsoletedBy{}
	var seenM, seenS bool
	for _, e := range r.entries(m, path) {
		fp := path + "." + e.key
		switch e.key {
		case "module":
			if r.once(&seenM, e.kn, fp, "obsoleted_by module") {
				ob.Module, _ = r.str(e.v, fp)
			}
		case "stream":
			if r.once(&seenS, e.kn, fp, "obsoleted_by stream") {
				ob.Stream, _ = r.str(e.v, fp)
			}
		}
	}
	return ob
}

func (r *docReader) translations(m *yaml.Node, version uint64) *Translations {
	t := &Translations{MDVersionNumber: version, pos: r.pos}
	const p = "data"
	for _, e := range r.entries(m, p) {
		path := p + "." + e.key
		switch e.key {
		case "module":
			t.Module, _ = r.str(e.v, path)
		case "stream":
			t.Stream, _ = r.str(e.v, path)
		case "modified":
			t.Modified, _ = r.uint64(e.v, path)
		case "translations":
			t.Entries = r.translationEntries(e.v, path)
		default:
			r.unknown(e, p, translationsKeys)
		}
	}
	return t
}

func (r *docReader) translationEntries(n *yaml.Node, path string) map[string]TranslationEntry {
	return keyed(r, n, path, "a mapping of locales to translations", "", (*docReader).translationEntry)
}

func (r *docReader) translationEntry(e entry, lp string) (TranslationEntry, bool) {
	var te TranslationEntry
	lm := r.item(e, lp, "a translation entry")
	if lm == nil {
		return te, false
	}
	for _, f := range r.entries(lm, lp) {
		fp := lp + "." + f.key
		switch f.key {
		case "summary":
			te.Summary, _ = r.str(f.v, fp)
		case "description":
			te.Description, _ = r.str(f.v, fp)
		case "profiles":
			for _, g := range r.mapEntries(f.v, fp, "a mapping of profile names to descriptions") {
				if s, ok := r.str(g.v, fp+"."+g.key); ok {
					if te.Profiles == nil {
						te.Profiles = make(map[string]string)
					}
					te.Profiles[r.in.get(g.key)] = s
				}
			}
		default:
			r.unknown(f, lp, translationKeys)
		}
	}
	return te, true
}

// packagerV2 reads a modulemd-packager v2: the stream v2 reader with the
// build-system keys treated as unknown.
func (r *docReader) packagerV2(m *yaml.Node) *Packager {
	s := r.streamV2(m, true)
	return &Packager{
		MDVersionNumber: 2,
		Summary:         s.Summary,
		Description:     s.Description,
		License:         s.License.Module,
		StaticContext:   s.StaticContext,
		Dependencies:    s.Dependencies,
		References:      s.References,
		Profiles:        s.Profiles,
		API:             s.API,
		Filter:          s.Filter,
		Demodularized:   s.Demodularized,
		Components:      s.Components,
		pos:             r.pos,
	}
}

// packagerV3 reads a modulemd-packager v3, which is always parsed strictly.
func (r *docReader) packagerV3(m *yaml.Node) *Packager {
	saved := r.strict
	r.strict = true
	defer func() { r.strict = saved }()
	pk := &Packager{MDVersionNumber: 3, pos: r.pos}
	const p = "data"
	for _, e := range r.entries(m, p) {
		path := p + "." + e.key
		switch e.key {
		case "name":
			pk.Name, _ = r.str(e.v, path)
		case "stream":
			pk.Stream, _ = r.str(e.v, path)
		case "summary":
			pk.Summary, _ = r.str(e.v, path)
		case "description":
			pk.Description, _ = r.str(e.v, path)
		case "license":
			pk.License = r.set(e.v, path)
		case "xmd":
			pk.XMD = r.xmd(e.v, path)
		case "configurations":
			pk.Configurations = r.configurations(e.v, path)
		case "references":
			pk.References = r.references(e.v, path)
		case "profiles":
			pk.Profiles = r.profiles(e.v, path)
		case "api":
			pk.API = r.rpmsSet(e.v, path)
		case "filter":
			pk.Filter = r.rpmsSet(e.v, path)
		case "demodularized":
			pk.Demodularized = r.rpmsSet(e.v, path)
		case "components":
			pk.Components = r.components(e.v, path)
		default:
			r.unknownStrict(e, p, packagerV3Keys)
		}
	}
	return pk
}

func (r *docReader) configurations(n *yaml.Node, path string) []Configuration {
	n = r.list(n, path, "build configurations")
	if n == nil {
		return nil
	}
	out := make([]Configuration, 0, len(n.Content))
	for i, c := range n.Content {
		cp := path + "." + itoa(i)
		m := r.mapping(c, cp, "a build configuration")
		if m == nil {
			continue
		}
		r.at(cp, m)
		var cf Configuration
		for _, e := range r.entries(m, cp) {
			fp := cp + "." + e.key
			switch e.key {
			case "context":
				cf.Context, _ = r.str(e.v, fp)
			case "platform":
				cf.Platform, _ = r.str(e.v, fp)
			case "buildrequires":
				cf.BuildRequires = r.singleStreams(e.v, fp)
			case "requires":
				cf.Requires = r.singleStreams(e.v, fp)
			case "buildopts":
				cf.BuildOpts = r.buildopts(e.v, fp, true)
			default:
				r.unknownStrict(e, cp, configurationKeys)
			}
		}
		out = append(out, cf)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// singleStreams reads a packager v3 dependency map: module → a list holding
// exactly one stream.
func (r *docReader) singleStreams(n *yaml.Node, path string) map[string]string {
	return keyed(r, n, path, "a mapping of module names to one-stream lists",
		"module %q is listed twice; expected each module once", (*docReader).singleStream)
}

func (r *docReader) singleStream(e entry, mp string) (string, bool) {
	r.at(mp, e.kn)
	streams := r.set(e.v, mp)
	if len(streams) != 1 {
		r.fail(e.kn, mp, ErrInvalid, "dependency %s lists %d streams; expected exactly one stream", e.key, len(streams))
		return "", false
	}
	return streams[0], true
}
