package modulemd

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Lint codes reported by [Lint] and [Index.Lint]. The decoder adds its own
// findings, such as "buildorder-overflow".
//
// A lint is a finding that is right or it is absent: every rule was checked
// against real repository metadata and module sources, and rules that fire
// on valid, common metadata were dropped. Three were: a profile or api RPM
// that is not among the stream's artifacts (profiles install RPMs from other
// modules and the base system, and RHEL 8's own metadata lists api RPMs that
// are built only on other architectures; 206,400 and 225 findings in a 50 MiB
// index), and a summary that ends with a period (RHEL 8 ships dozens; the
// convention is RPM's, not modulemd's).
const (
	LintMissingRationale      = "missing-rationale"
	LintBuildorderInt32       = "buildorder-int32"
	LintArtifactMalformed     = "artifact-malformed"
	LintSummaryFormat         = "summary-format"
	LintDescriptionBlank      = "description-blank"
	LintSummaryEmpty          = "summary-empty"
	LintDeprecatedV1          = "deprecated-v1"
	LintDefaultsPlaceholder   = "defaults-no-module"
	LintDefaultStreamMissing  = "default-stream-missing"
	LintDefaultProfileMissing = "default-profile-missing"
	LintObsoletesSelf         = "obsoletes-self"
	LintTranslationNoStream   = "translations-unknown-stream"
	LintProfileDefaultFlag    = "profile-default-flag"
	// LintUnknownKey is a key the format does not define, which a lenient
	// decoder skips (a strict one fails); the decoder reports it.
	LintUnknownKey = "unknown-key"
)

// Lint reports things in doc that are valid but probably mistakes. It never
// fails; findings the decoder recorded (for example a buildorder written as
// 18446744073709551615) are included. Findings come in a stable order, each
// with a stable [Warning.Code].
func Lint(doc Document) []Warning {
	l := &linter{}
	switch d := doc.(type) {
	case *Stream:
		if d == nil {
			return nil
		}
		l.pos = d.pos
		l.stream(d)
	case *Packager:
		if d == nil {
			return nil
		}
		l.pos = d.pos
		l.text(d.Summary, d.Description)
		l.components(d.Components)
	case *Defaults:
		if d == nil {
			return nil
		}
		l.pos = d.pos
		if d.Module == "" {
			l.add("data.module", LintDefaultsPlaceholder,
				"the defaults name no module; libmodulemd files them under %q", DefaultsPlaceholder)
		}
	case *Obsoletes:
		if d == nil {
			return nil
		}
		l.pos = d.pos
		if by := d.ObsoletedBy; by != nil && by.Module == d.Module && by.Stream == d.Stream {
			l.add("data.obsoleted_by", LintObsoletesSelf, "stream %s:%s is obsoleted by itself", d.Module, d.Stream)
		}
	case *Translations:
		if d == nil {
			return nil
		}
		l.pos = d.pos
	default:
		return nil
	}
	var out []Warning
	if l.pos != nil {
		out = append(out, l.pos.warnings...)
	}
	return append(out, l.warns...)
}

type linter struct {
	pos   *positions
	warns []Warning
}

func (l *linter) add(path, code, format string, args ...any) {
	at := l.pos.pos(path)
	src := l.pos.source()
	l.warns = append(l.warns, Warning{File: src.File, Doc: src.Doc, Line: at.Line, Column: at.Column,
		Path: path, Msg: fmt.Sprintf(format, args...), Code: code})
}

func (l *linter) stream(s *Stream) {
	if s.MDVersionNumber == 1 {
		l.add("version", LintDeprecatedV1, "modulemd version 1 is deprecated; write version 2 (see UpgradeStream)")
	}
	l.text(s.Summary, s.Description)
	l.components(s.Components)
	for _, name := range slices.Sorted(maps.Keys(s.Profiles)) {
		if s.Profiles[name].Default {
			l.add("data.profiles."+name+".default", LintProfileDefaultFlag,
				"profile %q is marked default inside the stream; dnf takes default profiles from modulemd-defaults documents", name)
		}
	}
	// Artifacts libmodulemd accepts but that are not complete NEVRAs.
	for _, a := range s.Artifacts.RPMs {
		if _, err := ParseNEVRA(a); err != nil && ValidArtifact(a) {
			l.add("data.artifacts.rpms", LintArtifactMalformed, "artifact %q passes libmodulemd's check but is not a complete NEVRA: %v", a, err)
		}
	}
}

func (l *linter) text(summary, description string) {
	switch {
	case summary == "":
		if l.pos.has("data.summary") {
			l.add("data.summary", LintSummaryEmpty, "the summary is empty; libmodulemd accepts it, but tools show nothing")
		}
	case strings.TrimSpace(summary) != summary:
		l.add("data.summary", LintSummaryFormat, "the summary has leading or trailing white space")
	case strings.ContainsAny(summary, "\n\r"):
		l.add("data.summary", LintSummaryFormat, "the summary spans several lines; keep it to one")
	}
	if description == "" && l.pos.has("data.description") {
		l.add("data.description", LintDescriptionBlank, "the description is empty; libmodulemd accepts it, but tools show nothing")
	} else if description != "" && strings.TrimSpace(description) == "" {
		l.add("data.description", LintDescriptionBlank, "the description is only white space")
	}
}

func (l *linter) components(c Components) {
	for _, name := range slices.Sorted(maps.Keys(c.RPMs)) {
		if r := c.RPMs[name]; r != nil {
			l.component("rpm", "data.components.rpms.", name, r.Rationale, r.BuildOrder)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Modules)) {
		if m := c.Modules[name]; m != nil {
			l.component("module", "data.components.modules.", name, m.Rationale, m.BuildOrder)
		}
	}
}

// component checks one rpm or module component (kind) found at prefix+name.
func (l *linter) component(kind, prefix, name, rationale string, order int64) {
	p := prefix + name
	if rationale == "" {
		l.add(p, LintMissingRationale, "%s component %q has no rationale; the format requires one", kind, name)
	}
	if order > math.MaxInt32 || order < math.MinInt32 {
		l.add(p+".buildorder", LintBuildorderInt32,
			"buildorder %d does not fit in 32 bits; libmodulemd stores it in a C int and would read %d", order, int32(order))
	}
}

// lintBatch is how many documents a lintAll worker takes at a time.
const lintBatch = 64

// lintAll lints docs, on up to GOMAXPROCS goroutines for a large index
// (each document's findings depend on it alone), and returns the findings
// per document in order.
func lintAll(docs []Document) [][]Warning {
	res := make([][]Warning, len(docs))
	workers := min(runtime.GOMAXPROCS(0), (len(docs)+lintBatch-1)/lintBatch)
	if workers <= 1 {
		for i, d := range docs {
			res[i] = Lint(d)
		}
		return res
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(lintBatch)) - lintBatch
				if start >= len(docs) {
					return
				}
				for i := start; i < min(start+lintBatch, len(docs)); i++ {
					res[i] = Lint(docs[i])
				}
			}
		})
	}
	wg.Wait()
	return res
}

// Lint reports the findings of [Lint] for every document of the index, in
// [Index.Documents] order, followed by checks across documents: a default
// stream or default profile that no stream of the module has, and
// translations for streams the index does not hold. Modules without streams
// (defaults-only repositories) are not cross-checked.
func (idx *Index) Lint() []Warning {
	var out []Warning
	for _, ws := range lintAll(idx.Documents()) {
		out = append(out, ws...)
	}
	for _, m := range idx.Modules() {
		if len(m.streams) == 0 {
			// A defaults-only repository (fedora-module-defaults) is
			// normal; cross checks need the streams.
			continue
		}
		if d := m.defaults; d != nil {
			l := &linter{pos: d.pos}
			if s := d.DefaultStream(); s != "" && len(m.byStream[s]) == 0 {
				l.add("data.stream", LintDefaultStreamMissing,
					"default stream %q of module %s is not in the index (streams: %s)", s, m.name, strings.Join(m.streamNames(), ", "))
			}
			for _, stream := range slices.Sorted(maps.Keys(d.Profiles)) {
				ss := m.byStream[stream]
				if len(ss) == 0 {
					continue
				}
				for _, p := range d.Profiles[stream] {
					found := false
					for _, s := range ss {
						if _, ok := s.Profiles[p]; ok {
							found = true
							break
						}
					}
					if !found {
						l.add("data.profiles."+stream, LintDefaultProfileMissing,
							"default profile %q of %s:%s is not a profile of that stream", p, m.name, stream)
					}
				}
			}
			out = append(out, l.warns...)
		}
		for _, t := range m.Translations() {
			if len(m.byStream[t.Stream]) == 0 {
				l := &linter{pos: t.pos}
				l.add("data.stream", LintTranslationNoStream, "translations are for stream %s:%s, which is not in the index", m.name, t.Stream)
				out = append(out, l.warns...)
			}
		}
	}
	return out
}

func (m *Module) streamNames() []string {
	return slices.Sorted(maps.Keys(m.byStream))
}
