package resolver

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modkit/modkit/modulemd"
)

// State is a client's module state, as dnf records it in
// /etc/dnf/modules.d: enabled streams, disabled modules and installed
// profiles. The zero State has every module in its default state.
type State struct {
	// Enabled maps a module to its enabled stream.
	Enabled map[string]string
	// Disabled lists disabled modules: none of their streams is active.
	Disabled []string
	// Installed maps a module to its installed profiles (reported only).
	Installed map[string][]string
}

// ChooseOptions adjust [Choose]; nil means defaults.
type ChooseOptions struct {
	// Platform is dnf's module_platform_id ("platform:f39"): the virtual base
	// module the client provides. Empty means none, so streams that require
	// a platform stream are unusable unless the index itself has it.
	Platform string
	// Arch is the client's architecture; builds with another non-noarch arch
	// are unusable. Empty accepts every arch.
	Arch string
	// Obsoletes applies module_obsoletes and module_stream_switch: a default
	// or enabled stream with an active obsoletes naming a successor is
	// replaced by the successor.
	Obsoletes bool
	// Now is the clock for obsoletes activeness; nil means time.Now.
	Now func() time.Time
}

// Choice is the outcome of dnf-like stream selection.
type Choice struct {
	// Streams maps each active module to its active stream.
	Streams map[string]string
	// Active lists the usable builds of the active streams, sorted by NSVC.
	Active []*modulemd.Stream
	// Problems are dnf's "Modular dependency problems": enabled or default
	// streams that cannot be used, and why. Sorted.
	Problems []string
	// Switched maps name:stream to the name:stream that replaced it through
	// an obsoletes.
	Switched map[string]string
	// EOL lists active name:streams with an active end-of-life obsoletes
	// that names no successor.
	EOL []string

	include map[string]bool // NEVRAs of active artifacts
	exclude map[string]bool // NEVRAs of inactive artifacts
	names   map[string]bool // package names of active artifacts
}

// Choose computes which module streams a dnf client (libdnf 0.69 semantics)
// treats as active for idx and state: enabled streams, default streams of
// modules in their default state, and the streams their module requires pull
// in (the enabled stream, else the default stream, else the highest
// admitted one), dropping builds whose requires cannot be met (unknown
// platform, disabled or conflicting modules, foreign arch). The returned
// [Choice] also answers the modular filter ([Choice.Hidden]).
func Choose(idx *modulemd.Index, state *State, opts *ChooseOptions) (*Choice, error) {
	if idx == nil {
		return nil, fmt.Errorf("%w: no index", ErrInput)
	}
	if state == nil {
		state = &State{}
	}
	if opts == nil {
		opts = &ChooseOptions{}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	var platName, platStream string
	if opts.Platform != "" {
		var ok bool
		platName, platStream, ok = strings.Cut(opts.Platform, ":")
		if !ok || platName == "" || platStream == "" {
			return nil, fmt.Errorf("%w: platform %q: expected name:stream", ErrInput, opts.Platform)
		}
	}
	disabled := map[string]bool{}
	for _, d := range state.Disabled {
		disabled[d] = true
	}
	defaults := idx.DefaultStreams()
	builds := map[string][]*modulemd.Stream{} // name:stream -> builds
	streamsOf := map[string][]string{}
	for _, s := range idx.Streams() {
		key := s.Name + ":" + s.Stream
		if len(builds[key]) == 0 {
			streamsOf[s.Name] = append(streamsOf[s.Name], s.Stream)
		}
		builds[key] = append(builds[key], s)
	}
	c := &Choice{Streams: map[string]string{}, Switched: map[string]string{}}
	hard := map[string]bool{}
	// Starting points: enabled streams, then defaults.
	for _, name := range idx.ModuleNames() {
		if disabled[name] {
			continue
		}
		if st, ok := state.Enabled[name]; ok {
			c.Streams[name], hard[name] = st, true
		} else if st, ok := defaults[name]; ok {
			c.Streams[name] = st
		}
	}
	for name, st := range state.Enabled {
		if _, ok := c.Streams[name]; !ok && !disabled[name] {
			c.Streams[name], hard[name] = st, true
		}
	}
	if opts.Obsoletes {
		for _, name := range sortedKeys(c.Streams) {
			st := c.Streams[name]
			m := idx.Module(name)
			if m == nil {
				continue
			}
			o := m.ActiveObsoletesAt(st, "", now())
			if o == nil || o.ObsoletedBy == nil {
				continue
			}
			delete(c.Streams, name)
			to := o.ObsoletedBy
			if !disabled[to.Module] {
				c.Streams[to.Module] = to.Stream
				hard[to.Module] = hard[name]
			}
			c.Switched[name+":"+st] = to.Module + ":" + to.Stream
		}
	}
	archOK := func(s *modulemd.Stream) bool {
		return opts.Arch == "" || s.Arch == "" || s.Arch == "noarch" || s.Arch == opts.Arch
	}
	problems := map[string]string{}
	var usable map[string][]*modulemd.Stream
	// Fixed point: pull in required modules, drop unusable streams.
	for round := 0; round < 1000; round++ {
		changed := false
		// An enabled stream's requires override default streams.
		for _, name := range sortedKeys(c.Streams) {
			if !hard[name] {
				continue
			}
			for _, b := range builds[name+":"+c.Streams[name]] {
				if !archOK(b) || len(b.Dependencies) != 1 {
					continue
				}
				req := b.Dependencies[0].Requires
				for _, rn := range sortedKeys(req) {
					if st, ok := c.Streams[rn]; ok && !hard[rn] && !admits(req[rn], st) {
						if pick := pickStream(req[rn], streamsOf[rn], ""); pick != "" {
							c.Streams[rn], hard[rn] = pick, true
							changed = true
						}
					}
				}
			}
		}
		usable = map[string][]*modulemd.Stream{}
		var whyNot = map[string]string{}
		for _, name := range sortedKeys(c.Streams) {
			st := c.Streams[name]
			var reasons []string
			for _, b := range builds[name+":"+st] {
				if !archOK(b) {
					reasons = append(reasons, fmt.Sprintf("%s is for arch %s", b.NSVCA(), b.Arch))
					continue
				}
				ok, why := usableBuild(b, c.Streams, disabled, platName, platStream)
				if ok {
					usable[name] = append(usable[name], b)
				} else {
					reasons = append(reasons, why)
				}
			}
			if len(builds[name+":"+st]) == 0 {
				reasons = append(reasons, fmt.Sprintf("nothing provides requested module(%s:%s)", name, st))
			}
			if len(usable[name]) == 0 {
				slices.Sort(reasons)
				whyNot[name] = strings.Join(slices.Compact(reasons), "; ")
			}
		}
		// Pull in the modules that usable builds require.
		for _, name := range sortedKeys(usable) {
			for _, b := range usable[name] {
				for _, d := range b.Dependencies {
					for _, rn := range sortedKeys(d.Requires) {
						if _, ok := c.Streams[rn]; ok || disabled[rn] || rn == platName {
							continue
						}
						if pick := pickStream(d.Requires[rn], streamsOf[rn], defaults[rn]); pick != "" {
							c.Streams[rn] = pick
							changed = true
						}
					}
				}
			}
		}
		// Drop the streams with no usable build.
		for _, name := range sortedKeys(whyNot) {
			problems[name+":"+c.Streams[name]] = whyNot[name]
			delete(c.Streams, name)
			changed = true
		}
		if !changed {
			break
		}
	}
	for _, ns := range sortedKeys(problems) {
		c.Problems = append(c.Problems, "module "+ns+": "+problems[ns])
	}
	c.include, c.exclude, c.names = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, name := range sortedKeys(usable) {
		for _, b := range usable[name] {
			c.Active = append(c.Active, b)
			for _, a := range b.Artifacts.RPMs {
				c.include[a] = true
				if n, err := modulemd.ParseNEVRA(a); err == nil && n.Arch != "src" {
					c.names[n.Name] = true
				}
			}
			if m := idx.Module(name); m != nil && opts.Obsoletes {
				if o := m.ActiveObsoletesAt(b.Stream, b.Context, now()); o != nil && o.ObsoletedBy == nil {
					c.EOL = append(c.EOL, name+":"+b.Stream)
				}
			}
		}
	}
	slices.SortFunc(c.Active, func(a, b *modulemd.Stream) int { return strings.Compare(a.NSVC(), b.NSVC()) })
	slices.Sort(c.EOL)
	c.EOL = slices.Compact(c.EOL)
	for _, s := range idx.Streams() {
		for _, a := range s.Artifacts.RPMs {
			if !c.include[a] {
				c.exclude[a] = true
			}
		}
	}
	// Demodularized packages of active builds are ordinary packages again.
	for _, b := range c.Active {
		for _, d := range b.Demodularized {
			delete(c.names, d)
		}
	}
	return c, nil
}

// usableBuild reports whether one of b's dependency blocks is met by the
// chosen streams and the platform.
func usableBuild(b *modulemd.Stream, chosen map[string]string, disabled map[string]bool, platName, platStream string) (bool, string) {
	if len(b.Dependencies) == 0 {
		return true, ""
	}
	var why []string
	for _, d := range b.Dependencies {
		ok := true
		for _, rn := range sortedKeys(d.Requires) {
			list := d.Requires[rn]
			switch st, isChosen := chosen[rn]; {
			case rn == platName:
				if !admits(list, platStream) {
					ok = false
					why = append(why, fmt.Sprintf("%s requires %s:[%s], the platform is %s:%s", b.NSVC(), rn, strings.Join(list, ", "), platName, platStream))
				}
			case disabled[rn]:
				ok = false
				why = append(why, fmt.Sprintf("%s requires %s, which is disabled", b.NSVC(), rn))
			case !isChosen:
				ok = false
				why = append(why, fmt.Sprintf("nothing provides module(%s) needed by %s", rn, b.NSVC()))
			case !admits(list, st):
				ok = false
				why = append(why, fmt.Sprintf("%s requires %s:[%s], but %s:%s is active", b.NSVC(), rn, strings.Join(list, ", "), rn, st))
			}
		}
		if ok {
			return true, ""
		}
	}
	return false, strings.Join(why, "; ")
}

// pickStream chooses the stream of a module pulled in by a requirement: the
// default stream when admitted, else the highest admitted stream.
func pickStream(list, available []string, def string) string {
	if def != "" && admits(list, def) && slices.Contains(available, def) {
		return def
	}
	cands := ExpandStreamList(list, available)
	for i := len(cands) - 1; i >= 0; i-- {
		if slices.Contains(available, cands[i]) {
			return cands[i]
		}
	}
	return ""
}

// Hidden reports whether the modular filter hides the package with this NEVRA
// ("name-epoch:version-release.arch", epoch optional): an artifact of a build
// that is not active, or a non-modular package whose name an active build
// ships.
func (c *Choice) Hidden(nevra string) bool {
	n, err := modulemd.ParseNEVRA(nevra)
	if err != nil {
		return false
	}
	full := n.String()
	if c.include[full] || c.include[nevra] {
		return false
	}
	if c.exclude[full] || c.exclude[nevra] {
		return true
	}
	return c.names[n.Name]
}

// Filter splits package NEVRAs into those a client sees and those the
// modular filter hides, each in input order.
func (c *Choice) Filter(nevras []string) (visible, hidden []string) {
	for _, p := range nevras {
		if c.Hidden(p) {
			hidden = append(hidden, p)
		} else {
			visible = append(visible, p)
		}
	}
	return visible, hidden
}
