package modulemd

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// MergeConflictSentinel is the default stream libmodulemd stores when a merge
// finds two different default streams of equal priority and modified time.
// Such defaults read and emit as having no default stream; this package
// never exposes the sentinel in [Defaults.Stream].
const MergeConflictSentinel = "__merge_conflict__"

// DefaultStream returns the default stream, or "" when there is none or a
// merge left it in conflict.
func (d *Defaults) DefaultStream() string {
	if d == nil || d.conflict {
		return ""
	}
	return d.Stream
}

// Conflicted reports whether a merge found incompatible default streams for
// this module; the defaults then have no default stream.
func (d *Defaults) Conflicted() bool { return d != nil && d.conflict }

// DefaultProfiles returns the default profiles for stream and whether the
// defaults mention the stream at all (an empty, present list means
// "explicitly no default profiles").
func (d *Defaults) DefaultProfiles(stream string) ([]string, bool) {
	if d == nil {
		return nil, false
	}
	p, ok := d.Profiles[stream]
	return p, ok
}

// MinPriority and MaxPriority bound the priorities a [Merger] accepts.
const (
	MinPriority = 0
	MaxPriority = 1000
)

// MergeOptions tune [Merger.Resolve]. A nil *MergeOptions means defaults.
type MergeOptions struct {
	// StrictDefaultStreams makes two different default streams with equal
	// modified values at one priority level an [ErrConflict] error instead of
	// leaving the module without a default stream.
	StrictDefaultStreams bool
	// Now is the clock of the resulting index (see [IndexOptions]); nil
	// means time.Now.
	Now func() time.Time
	// Logger receives the streams skipped because they conflict with a
	// stream already merged; nil means slog.Default().
	Logger *slog.Logger
}

// Merger combines several indexes, as libmodulemd's ModuleIndexMerger does
// for the repositories a client has enabled. Indexes are grouped by
// priority; higher priorities override lower ones.
type Merger struct {
	levels map[int][]*Index
}

// NewMerger returns an empty merger.
func NewMerger() *Merger { return &Merger{levels: make(map[int][]*Index)} }

// Add associates idx with a priority between [MinPriority] and
// [MaxPriority]. Unlike libmodulemd, which silently drops an index with an
// out-of-range priority, this is an [ErrInvalid] error.
func (m *Merger) Add(idx *Index, priority int) error {
	if idx == nil {
		return errors.New("modulemd: Merger.Add: nil index")
	}
	if priority < MinPriority || priority > MaxPriority {
		return fmt.Errorf("modulemd: Merger.Add: priority %d out of range, want %d..%d: %w",
			priority, MinPriority, MaxPriority, ErrInvalid)
	}
	m.levels[priority] = append(m.levels[priority], idx)
	return nil
}

// Resolve merges the associated indexes into a new one. Priority levels are
// merged in ascending order: within a level, indexes merge in the order they
// were added, without overriding each other; each level then merges over the
// accumulated result, overriding it.
//
// Per module: streams are added with [Index.AddStream]'s rules, so at equal
// NSVCA the copy merged first (lowest priority, earliest added) wins and a
// conflicting stream is skipped (logged). Defaults from a higher level
// replace lower ones wholesale; within a level they merge field by field: a
// newer modified value wins, equal modified values with different default
// streams leave the module without a default stream (or fail with
// [ErrConflict] when StrictDefaultStreams is set), and equal modified values
// with different default profiles for a stream always fail with
// [ErrConflict]. A translation replaces another only when its modified value
// is strictly newer. Obsoletes accumulate ([Index.AddObsoletes]).
//
// The inputs are not modified; the result shares their streams, obsoletes
// and translations.
func (m *Merger) Resolve(opts *MergeOptions) (*Index, error) {
	if opts == nil {
		opts = &MergeOptions{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	final := NewIndex(&IndexOptions{Now: opts.Now})
	for _, prio := range slices.Sorted(maps.Keys(m.levels)) {
		level := NewIndex(&IndexOptions{Now: opts.Now})
		for _, idx := range m.levels[prio] {
			if err := mergeInto(level, idx, false, opts.StrictDefaultStreams, log); err != nil {
				return nil, fmt.Errorf("modulemd: merging priority %d: %w", prio, err)
			}
		}
		if err := mergeInto(final, level, true, opts.StrictDefaultStreams, log); err != nil {
			return nil, fmt.Errorf("modulemd: merging priority %d: %w", prio, err)
		}
	}
	return final, nil
}

// mergeInto merges from into into, as libmodulemd's modulemd_module_index_merge.
func mergeInto(into, from *Index, override, strict bool, log *slog.Logger) error {
	if from.mdversion > into.mdversion {
		if err := into.UpgradeStreams(from.mdversion); err != nil {
			return err
		}
	}
	var errs []error
	for _, name := range from.ModuleNames() {
		fm := from.modules[name]
		for _, s := range fm.streams {
			if err := into.AddStream(s); err != nil {
				log.Info("modulemd: merge skipped a stream", "nsvca", s.NSVCA().String(), "err", err)
			}
		}
		if fm.defaults != nil {
			im := into.module(name)
			switch {
			case im.defaults == nil || override:
				im.defaults = fm.defaults.Clone()
			default:
				d, err := mergeDefaults(im.defaults, fm.defaults, strict)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				im.defaults = d
			}
		}
		if len(fm.translations) > 0 {
			im := into.module(name)
			for stream, t := range fm.translations {
				if cur := im.translations[stream]; cur == nil || t.Modified > cur.Modified {
					im.translations[stream] = t
				}
			}
		}
		for _, o := range fm.obsoletes {
			if err := into.AddObsoletes(o); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// mergeDefaults merges two defaults of one module at the same priority
// level, returning a new object.
func mergeDefaults(into, from *Defaults, strict bool) (*Defaults, error) {
	out := into.Clone()
	if from.Modified > out.Modified {
		out.Modified = from.Modified
	}
	module := into.moduleName()

	// Default stream.
	intoS, fromS := into.rawStream(), from.rawStream()
	switch {
	case into.conflict, fromS == "", fromS == intoS:
		// Keep into's (a conflict stays a conflict at this level).
	case intoS == "":
		out.Stream, out.conflict = from.Stream, from.conflict
	case from.Modified > into.Modified:
		out.Stream, out.conflict = from.Stream, from.conflict
	case from.Modified < into.Modified:
	default:
		if strict {
			return nil, fmt.Errorf("modulemd: default stream mismatch in module %s: %s != %s: %w", module, intoS, fromS, ErrConflict)
		}
		out.Stream, out.conflict = "", true
	}

	// Default profiles per stream.
	var err error
	out.Profiles, err = mergeProfileDefaults(out.Profiles, from.Profiles, into.Modified, from.Modified, func(stream string) error {
		return fmt.Errorf("modulemd: profile default mismatch in module %s stream %s: %w", module, stream, ErrConflict)
	})
	if err != nil {
		return nil, err
	}

	// Deprecated intents.
	for name, fi := range from.Intents {
		if out.Intents == nil {
			out.Intents = make(map[string]Intent)
		}
		ii, ok := out.Intents[name]
		if !ok {
			out.Intents[name] = Intent{Stream: fi.Stream, Profiles: cloneSetMap(fi.Profiles)}
			continue
		}
		if ii.Stream != fi.Stream {
			switch {
			case from.Modified > into.Modified:
				ii.Stream = fi.Stream
			case from.Modified < into.Modified:
			default:
				return nil, fmt.Errorf("modulemd: default stream mismatch in module %s intent %s: %s != %s: %w",
					module, name, ii.Stream, fi.Stream, ErrConflict)
			}
		}
		ii.Profiles, err = mergeProfileDefaults(ii.Profiles, fi.Profiles, into.Modified, from.Modified, func(stream string) error {
			return fmt.Errorf("modulemd: profile default mismatch in module %s intent %s stream %s: %w", module, name, stream, ErrConflict)
		})
		if err != nil {
			return nil, err
		}
		out.Intents[name] = ii
	}
	return out, nil
}

// rawStream is the default stream including the conflict sentinel.
func (d *Defaults) rawStream() string {
	if d.conflict {
		return MergeConflictSentinel
	}
	return d.Stream
}

func mergeProfileDefaults(into, from map[string][]string, intoMod, fromMod uint64, mismatch func(string) error) (map[string][]string, error) {
	for _, stream := range slices.Sorted(maps.Keys(from)) {
		fp := from[stream]
		ip, ok := into[stream]
		switch {
		case !ok:
			if into == nil {
				into = make(map[string][]string)
			}
			into[stream] = slices.Clone(fp)
		case slices.Equal(ip, fp):
		case fromMod > intoMod:
			into[stream] = slices.Clone(fp)
		case fromMod < intoMod:
		default:
			return nil, mismatch(stream)
		}
	}
	return into, nil
}
