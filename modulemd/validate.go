package modulemd

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Limits on contexts, as in libmodulemd.
const (
	// MaxStaticContextLen is the longest context a stream with
	// static_context may have.
	MaxStaticContextLen = 13
	// MaxConfigurationContextLen is the longest context of a packager v3
	// build configuration.
	MaxConfigurationContextLen = 10
)

// ValidateOptions select how [ValidateWith] judges a document. A nil
// *ValidateOptions judges it as repository metadata.
type ValidateOptions struct {
	// Source judges a stream as a dist-git source document, which the build
	// system completes: only libmodulemd's validation rules apply, as in
	// [Validate]. When false the stream is judged as repository metadata and
	// must also have a module name and a stream name, which adding it to an
	// index requires.
	Source bool
}

// Validate checks doc against every semantic rule libmodulemd enforces for
// its type and reports all problems at once: nil, or an [errors.Join] of
// [*ParseError] values in libmodulemd's order, each with the field path (and
// line and column when the document was decoded) and what was expected. It
// does not require a stream's name and stream name; see [ValidateWith].
func Validate(doc Document) error { return ValidateWith(doc, &ValidateOptions{Source: true}) }

// ValidateWith is [Validate] with options.
func ValidateWith(doc Document, opts *ValidateOptions) error {
	if opts == nil {
		opts = &ValidateOptions{}
	}
	v := &validator{}
	switch d := doc.(type) {
	case *Stream:
		if d == nil {
			return errors.New("modulemd: Validate: nil stream")
		}
		v.pos = d.pos
		v.stream(d, !opts.Source)
	case *Defaults:
		if d == nil {
			return errors.New("modulemd: Validate: nil defaults")
		}
		v.pos = d.pos
		v.defaults(d)
	case *Obsoletes:
		if d == nil {
			return errors.New("modulemd: Validate: nil obsoletes")
		}
		v.pos = d.pos
		v.obsoletes(d)
	case *Translations:
		if d == nil {
			return errors.New("modulemd: Validate: nil translations")
		}
		v.pos = d.pos
		v.translations(d)
	case *Packager:
		if d == nil {
			return errors.New("modulemd: Validate: nil packager")
		}
		v.pos = d.pos
		v.packager(d)
	case nil:
		return errors.New("modulemd: Validate: nil document")
	default:
		return fmt.Errorf("modulemd: Validate: unsupported document type %T: %w", doc, ErrUnknownDocument)
	}
	return v.err()
}

type validator struct {
	pos  *positions
	errs []error
}

func (v *validator) add(path string, sentinel error, format string, args ...any) {
	v.errs = append(v.errs, docError(v.pos, path, sentinel, format, args...))
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return errors.Join(v.errs...)
}

// present reports whether the decoder saw path, for fields whose empty value
// differs from absence.
func (v *validator) present(path string) bool {
	return v.pos.has(path)
}

func (v *validator) stream(s *Stream, repository bool) {
	// 1. Metadata version.
	switch s.MDVersionNumber {
	case 1, 2:
	case 0:
		v.add("version", ErrMissingHeader, "the metadata version is unset; expected 1 or 2")
		return
	default:
		v.add("version", ErrUnknownDocument, "unknown stream metadata version %d; expected 1 or 2", s.MDVersionNumber)
		return
	}
	v2 := s.MDVersionNumber == 2

	if repository {
		if s.Name == "" {
			v.add("data.name", ErrMissingField, "the module name is missing; repository metadata needs it (it is required to add the stream to an index)")
		}
		if s.Stream == "" {
			v.add("data.stream", ErrMissingField, "the stream name is missing; repository metadata needs it (it is required to add the stream to an index)")
		}
	}

	// 2. Static context.
	if v2 && s.StaticContext && (s.Context != "" || v.present("data.context")) {
		v.staticContext(s.Context)
	}

	// 3. Required text and licence.
	v.commonText(s.Summary, s.Description, s.License.Module, "data.license.module")

	// 4. Components.
	v.components(s.Components)

	// 5. Component arches within buildopts.arches (v2).
	if v2 && s.BuildOpts != nil {
		v.componentArches(s.Components, s.BuildOpts.Arches, "data.buildopts.arches")
	}

	// 6. Artifacts.
	for _, a := range s.Artifacts.RPMs {
		if !ValidArtifact(a) {
			v.add("data.artifacts.rpms", ErrInvalid,
				"artifact %q is not in N-E:V-R.A form (name-epoch:version-release.arch; the epoch is required)", a)
		}
	}
	v.rpmMap(s.Artifacts.RPMMap)

	// 7. Dependencies (v2).
	if v2 {
		v.dependencies(s.Dependencies, "data.dependencies")
	}
}

func (v *validator) staticContext(ctx string) {
	const path = "data.context"
	if ctx == "" {
		v.add(path, ErrInvalid, "the stream context is empty; with static_context: true it must be 1 to %d characters from [a-zA-Z0-9_]", MaxStaticContextLen)
		return
	}
	if len(ctx) > MaxStaticContextLen {
		v.add(path, ErrInvalid, "stream context %q is %d characters long; with static_context: true it may have at most %d",
			ctx, len(ctx), MaxStaticContextLen)
	}
	if i := strings.IndexFunc(ctx, func(r rune) bool { return !isContextChar(r, true) }); i >= 0 {
		v.add(path, ErrInvalid, "stream context %q contains %q; with static_context: true it may only contain [a-zA-Z0-9_]",
			ctx, []rune(ctx[i:])[0])
	}
}

func isContextChar(r rune, underscore bool) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || underscore && r == '_'
}

// commonText checks the required summary, description and module licence.
// As in libmodulemd, a summary or description that is present but empty is
// accepted (Lint reports it); only an absent one is an error.
func (v *validator) commonText(summary, description string, license []string, licensePath string) {
	if summary == "" && !v.present("data.summary") {
		v.add("data.summary", ErrMissingField, "the summary is missing; expected a one-line description of the module")
	}
	if description == "" && !v.present("data.description") {
		v.add("data.description", ErrMissingField, "the description is missing; expected a paragraph describing the module")
	}
	if len(license) == 0 {
		v.add(licensePath, ErrMissingField, "the module licence is missing; expected at least one licence for the module metadata itself")
	}
}

// components checks buildorder/buildafter over the rpm components (module
// components are not validated, as in libmodulemd).
func (v *validator) components(c Components) {
	names := slices.Sorted(maps.Keys(c.RPMs))
	var withOrder, withAfter []string
	for _, name := range names {
		r := c.RPMs[name]
		if r == nil {
			continue
		}
		p := "data.components.rpms." + name
		if r.BuildOrder != 0 {
			withOrder = append(withOrder, name)
		}
		if len(r.BuildAfter) > 0 {
			withAfter = append(withAfter, name)
		}
		if r.BuildOrder != 0 && len(r.BuildAfter) > 0 {
			v.add(p+".buildafter", ErrInvalid,
				"component %q has both buildorder (%d) and buildafter; use only one of them", name, r.BuildOrder)
		}
	}
	// Stream level: a buildorder in one component and a buildafter in
	// another (a single component with both is reported above).
	if len(withOrder) > 0 && len(withAfter) > 0 && !(len(withOrder) == 1 && len(withAfter) == 1 && withOrder[0] == withAfter[0]) {
		v.add("data.components.rpms", ErrInvalid,
			"buildorder (in %s) and buildafter (in %s) cannot be mixed in the same stream; use only one of them",
			quoteList(withOrder), quoteList(withAfter))
	}
	for _, name := range withAfter {
		for _, dep := range c.RPMs[name].BuildAfter {
			if _, ok := c.RPMs[dep]; !ok {
				v.add("data.components.rpms."+name+".buildafter", ErrInvalid,
					"buildafter entry %q of component %q is not an rpm component of this stream", dep, name)
			}
		}
	}
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func (v *validator) componentArches(c Components, arches []string, archesPath string) {
	if len(arches) == 0 {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(c.RPMs)) {
		r := c.RPMs[name]
		if r == nil {
			continue
		}
		for _, a := range r.Arches {
			if !slices.Contains(arches, a) {
				v.add("data.components.rpms."+name+".arches", ErrInvalid,
					"component %q arch %q is not in %s %v; expected a subset of the module's arches", name, a, archesPath, arches)
			}
		}
	}
}

func (v *validator) rpmMap(m map[string]map[string]RPMMapEntry) {
	for _, digest := range slices.Sorted(maps.Keys(m)) {
		for _, sum := range slices.Sorted(maps.Keys(m[digest])) {
			e := m[digest][sum]
			p := "data.artifacts.rpm-map." + digest + "." + sum
			for _, f := range []struct{ key, val string }{{"name", e.Name}, {"version", e.Version}, {"release", e.Release}, {"arch", e.Arch}} {
				if f.val == "" {
					v.add(p+"."+f.key, ErrMissingField, "rpm-map entry is missing %s", f.key)
				}
			}
			want := NEVRA{Name: e.Name, Epoch: e.Epoch, Version: e.Version, Release: e.Release, Arch: e.Arch}.String()
			if e.NEVRA != want {
				v.add(p+".nevra", ErrInvalid, "nevra %q differs from the exploded fields, which give %q", e.NEVRA, want)
			}
		}
	}
}

func (v *validator) dependencies(deps []Dependency, path string) {
	for i, d := range deps {
		ip := path + "." + strconv.Itoa(i)
		v.depMap(d.BuildRequires, ip+".buildrequires", "build-time")
		v.depMap(d.Requires, ip+".requires", "run-time")
	}
}

func (v *validator) depMap(m map[string][]string, path, kind string) {
	for _, mod := range slices.Sorted(maps.Keys(m)) {
		streams := m[mod]
		neg := 0
		for _, s := range streams {
			if strings.HasPrefix(s, "-") {
				neg++
			}
		}
		if neg > 0 && neg < len(streams) {
			v.add(path+"."+mod, ErrInvalid,
				"%s dependency on %s mixes streams and excluded (-) streams %v; list either only streams or only exclusions",
				kind, mod, streams)
		}
	}
}

func (v *validator) defaults(d *Defaults) {
	// libmodulemd's defaults v1 validation always succeeds (a missing module
	// name becomes a placeholder); only the version is checked here.
	if d.MDVersionNumber != 1 {
		v.add("version", ErrUnknownDocument, "invalid metadata version %d for a defaults document; expected 1", d.MDVersionNumber)
	}
}

func (v *validator) obsoletes(o *Obsoletes) {
	if o.MDVersionNumber != 1 {
		v.add("version", ErrUnknownDocument, "unknown obsoletes metadata version %d; expected 1", o.MDVersionNumber)
		return
	}
	if o.Modified.IsZero() {
		v.add("data.modified", ErrMissingField, "the obsoletes modified time is missing; expected YYYY-MM-DDTHH:MMZ")
	}
	if o.Module == "" {
		v.add("data.module", ErrMissingField, "the obsoleted module name is missing")
	}
	if o.Stream == "" {
		v.add("data.stream", ErrMissingField, "the obsoleted stream name is missing")
	}
	if o.Message == "" {
		v.add("data.message", ErrMissingField, "the obsoletes message is missing; expected a human-readable explanation")
	}
	if o.Reset && !o.EOLDate.IsZero() {
		v.add("data.reset", ErrInvalid, "an obsoletes cannot have both eol_date and reset set; a reset cancels earlier obsoletes at once")
	}
	if o.Reset && o.ObsoletedBy != nil {
		v.add("data.reset", ErrInvalid, "an obsoletes cannot have both obsoleted_by and reset set")
	}
	if by := o.ObsoletedBy; by != nil && (by.Module == "") != (by.Stream == "") {
		v.add("data.obsoleted_by", ErrInvalid,
			"obsoleted_by module %q and stream %q must be set together; expected both or neither", by.Module, by.Stream)
	}
}

func (v *validator) translations(t *Translations) {
	// The metadata version is not checked, as in libmodulemd.
	if t.Module == "" {
		v.add("data.module", ErrMissingField, "the translated module name is missing")
	}
	if t.Stream == "" {
		v.add("data.stream", ErrMissingField, "the translated stream name is missing")
	}
	if t.Modified == 0 {
		v.add("data.modified", ErrMissingField, "the translations modified value is missing or 0; expected a positive integer (YYYYMMDDHHMM)")
	}
}

func (v *validator) packager(p *Packager) {
	switch p.MDVersionNumber {
	case 2:
		// A packager v2 is validated as the stream it becomes.
		s := p.v2Stream()
		v.stream(s, false)
	case 3:
		// The format's mandatory fields, as libmodulemd reads them: an
		// absent summary or description fails to parse (an empty one is
		// accepted), no build configuration fails the conversion to
		// streams. The licence is optional (MIT when absent) and a
		// missing rationale is only a lint finding.
		if p.Summary == "" && !v.present("data.summary") {
			v.add("data.summary", ErrMissingField, "the summary is missing; expected a one-line description of the module")
		}
		if p.Description == "" && !v.present("data.description") {
			v.add("data.description", ErrMissingField, "the description is missing; expected a paragraph describing the module")
		}
		if len(p.Configurations) == 0 {
			v.add("data.configurations", ErrMissingField, "there is no build configuration; expected at least one entry with a context and a platform")
		}
		v.configurations(p.Configurations)
		v.components(p.Components)
		for i, c := range p.Configurations {
			if c.BuildOpts != nil {
				v.componentArches(p.Components, c.BuildOpts.Arches, "data.configurations."+strconv.Itoa(i)+".buildopts.arches")
			}
		}
	default:
		v.add("version", ErrUnknownDocument, "unknown packager metadata version %d; expected 2 or 3", p.MDVersionNumber)
	}
}

func (v *validator) configurations(cs []Configuration) {
	seen := make(map[string]int, len(cs))
	for i, c := range cs {
		p := "data.configurations." + strconv.Itoa(i)
		switch {
		case c.Context == "":
			v.add(p+".context", ErrMissingField, "the build configuration context is missing; expected 1 to %d characters from [a-zA-Z0-9]", MaxConfigurationContextLen)
		default:
			if strings.IndexFunc(c.Context, func(r rune) bool { return !isContextChar(r, false) }) >= 0 {
				v.add(p+".context", ErrInvalid, "build configuration context %q may only contain [a-zA-Z0-9] (no underscore)", c.Context)
			}
			if len(c.Context) > MaxConfigurationContextLen {
				v.add(p+".context", ErrInvalid, "build configuration context %q is %d characters long; at most %d are allowed",
					c.Context, len(c.Context), MaxConfigurationContextLen)
			}
			if first, dup := seen[c.Context]; dup {
				v.add(p+".context", ErrDuplicate, "build configuration context %q is already used by configuration %d; contexts must be unique",
					c.Context, first)
			} else {
				seen[c.Context] = i
			}
		}
		if c.Platform == "" {
			v.add(p+".platform", ErrMissingField, "the build configuration platform is missing; expected a platform stream such as f40")
		}
	}
}
