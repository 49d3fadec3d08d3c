package compose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"

	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/pungi"
	"github.com/modkit/modkit/pungi/productmd"
)

// Compose states written to STATUS.
const (
	StatusStarted            = "STARTED"
	StatusFinished           = "FINISHED"
	StatusFinishedIncomplete = "FINISHED_INCOMPLETE"
	StatusDoomed             = "DOOMED"
	// StatusTerminated is written when the compose was cancelled (its
	// context ended), as Pungi writes it when killed by a signal.
	StatusTerminated = "TERMINATED"
)

// Options tune Run. A nil *Options means defaults.
type Options struct {
	// TargetDir overrides the configuration's target_dir.
	TargetDir string
	// KojiURL overrides the configuration's koji url.
	KojiURL string
	// Koji is the client to use (built from the URL when nil).
	Koji *koji.Client
	// HTTP downloads koji files; nil means a default client.
	HTTP *http.Client
	// KojiCache overrides the configuration's koji cache_dir (see
	// KojiSource.CacheDir).
	KojiCache string
	// OpenStore opens the orchestrator store of a local state directory
	// (cmd/modkit opens SQLite); needed for a config with local.
	OpenStore func(ctx context.Context, stateDir string) (orchestrator.Store, error)
	// Now is the clock (compose date, timestamps); nil means time.Now.
	Now func() time.Time
	// Jobs is how many repositories are written at once; 0 means the
	// number of CPUs.
	Jobs int
	// Progress, when set, receives progress events.
	Progress func(Progress)
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
	// OldComposes overrides the configuration's old_composes.
	OldComposes []string
	// NoLatestLink leaves the latest-… link alone.
	NoLatestLink bool
	// Arches, when set, overrides the configuration's arches.
	Arches []string
	// StateDir, when set, overrides local.state_dir (and adds the local
	// source when the configuration has none).
	StateDir string
}

// Progress is a progress event.
type Progress struct {
	Phase string // init, pkgset, fetch, gather, extra_files, createrepo, metadata, done
	// Msg says what happened.
	Msg string
	// Done and Total count the phase's units (0 when not counted).
	Done, Total int
}

// Result describes a finished compose.
type Result struct {
	ID      string `json:"id"`
	Dir     string `json:"dir"`
	Status  string `json:"status"`
	Latest  string `json:"latest_link,omitempty"`
	Compose productmd.Compose
	// Modules are the selected module builds per variant UID and arch.
	Modules map[string]map[string][]string `json:"modules"`
	// Repos are the written repositories, relative to Dir/compose.
	Repos []RepoResult `json:"repos"`
	// Warnings are non-fatal problems.
	Warnings []string `json:"warnings,omitempty"`
	// KojiEvent is the event a koji source was pinned to.
	KojiEvent int64  `json:"koji_event,omitempty"`
	Timing    Timing `json:"timing"`
}

// RepoResult is one repository of the compose.
type RepoResult struct {
	Variant  string `json:"variant"`
	Arch     string `json:"arch"` // "src" for the source tree
	Kind     string `json:"kind"` // os, debug or source
	Path     string `json:"path"`
	Packages int    `json:"packages"`
	Modules  int    `json:"modules"`
	// Reused is set when the repodata came from an older compose.
	Reused string `json:"reused,omitempty"`
	// Platforms are the platform streams the repository's modules run on
	// (what dnf's module_platform_id must name), sorted.
	Platforms []string `json:"platforms,omitempty"`
}

// Timing splits the wall time.
type Timing struct {
	Total  time.Duration            `json:"total_ns"`
	Phases map[string]time.Duration `json:"phases_ns"`
	// Tools is the wall time during which createrepo_c or modifyrepo_c
	// ran; PerTool sums each program's runs.
	Tools   time.Duration            `json:"tools_ns"`
	PerTool map[string]time.Duration `json:"per_tool_ns"`
	// ToolsCPU is the CPU time (user and system) createrepo_c and
	// modifyrepo_c used, summed over their runs.
	ToolsCPU time.Duration `json:"tools_cpu_ns"`
	// CPU is the CPU time of this process during the compose (user and
	// system, the programs it ran not included; 0 where unknown). In a
	// process that also serves other work (tests) it counts that too.
	CPU time.Duration `json:"cpu_ns"`
}

// Error is a compose failure; Dir is the doomed compose (empty when none
// was created).
type Error struct {
	Dir string
	Err error
}

func (e *Error) Error() string {
	if e.Dir == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (compose %s did not finish; see its STATUS)", e.Err, e.Dir)
}

func (e *Error) Unwrap() error { return e.Err }

type run struct {
	cfg      *Config
	opts     *Options
	log      *slog.Logger
	now      time.Time
	tools    toolClock
	variants *VariantsFile
	sources  []Source
	koji     *KojiSource
	dir      string // <target>/<ID>
	res      *Result
	phases   map[string]time.Duration
	// selected builds: variant UID → arch → builds
	sel map[string]map[string][]*Build
	// defaults and obsoletes by module name
	// extra are the extra files copied (nil without extra_files).
	extra     *productmd.ExtraFiles
	defaults  map[string]*modulemd.Defaults
	obsoletes map[string][]*modulemd.Obsoletes
	warnMu    sync.Mutex
}

func (r *run) progress(phase, format string, args ...any) {
	if r.opts.Progress != nil {
		r.opts.Progress(Progress{Phase: phase, Msg: fmt.Sprintf(format, args...)})
	}
}

func (r *run) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.warnMu.Lock()
	r.res.Warnings = append(r.res.Warnings, msg)
	r.warnMu.Unlock()
	r.log.Warn(msg)
}

func (r *run) phase(name string, fn func() error) error {
	t0 := time.Now()
	r.progress(name, "%s: started", name)
	err := fn()
	r.phases[name] += time.Since(t0)
	if err == nil {
		r.progress(name, "%s: done in %s", name, time.Since(t0).Round(time.Millisecond))
	}
	return err
}

// Run makes a compose from cfg: it selects module builds per variant and
// arch, writes Pungi's layout under the target directory with productmd
// metadata, and marks it FINISHED (or DOOMED on failure, returning an
// *Error).
func Run(ctx context.Context, cfg *Config, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	cfgCopy := *cfg
	r := &run{cfg: &cfgCopy, opts: opts, log: opts.Logger, now: now().UTC(), phases: map[string]time.Duration{}, res: &Result{}}
	if r.log == nil {
		r.log = slog.Default()
	}
	t0 := time.Now()
	cpu0 := processCPU()
	err := r.phase("init", func() error { return r.init(ctx) })
	if err == nil {
		err = r.phase("pkgset", func() error { return r.pkgset(ctx) })
	}
	if err == nil {
		err = r.phase("fetch", func() error { return r.fetch(ctx) })
	}
	var repos []*repoJob
	if err == nil {
		err = r.phase("gather", func() error { var e error; repos, e = r.gather(); return e })
	}
	if err == nil && len(r.cfg.ExtraFiles) > 0 {
		err = r.phase("extra_files", func() error { return r.extraFiles(repos) })
	}
	if err == nil {
		err = r.phase("createrepo", func() error { return r.createrepos(ctx, repos) })
	}
	if err == nil {
		err = r.phase("metadata", func() error { return r.metadata(repos) })
	}
	r.res.Timing = Timing{Total: time.Since(t0), Phases: r.phases, Tools: r.tools.busy, PerTool: maps.Clone(r.tools.per), ToolsCPU: r.tools.cpu, CPU: processCPU() - cpu0}
	if err != nil {
		if r.dir != "" {
			status := StatusDoomed
			if ctx.Err() != nil {
				status = StatusTerminated
			}
			_ = os.WriteFile(filepath.Join(r.dir, "STATUS"), []byte(status+"\n"), 0o644)
			r.res.Status = status
		}
		return r.res, &Error{Dir: r.dir, Err: err}
	}
	if err := os.WriteFile(filepath.Join(r.dir, "STATUS"), []byte(StatusFinished+"\n"), 0o644); err != nil {
		return r.res, &Error{Dir: r.dir, Err: err}
	}
	r.res.Status = StatusFinished
	if !opts.NoLatestLink && (cfg.LatestLink == nil || *cfg.LatestLink) {
		link, err := r.latestLink()
		if err != nil {
			r.warn("latest link: %v", err)
		}
		r.res.Latest = link
	}
	r.progress("done", "compose %s %s", r.res.ID, r.res.Status)
	return r.res, nil
}

// ---- init ----

func (r *run) init(ctx context.Context) error {
	f, err := os.Open(r.cfg.VariantsFile)
	if err != nil {
		return fmt.Errorf("compose: variants file: %w", err)
	}
	vf, warns, err := ParseVariants(r.cfg.VariantsFile, f)
	f.Close()
	for _, w := range warns {
		r.warn("%s:%d:%d: %s", r.cfg.VariantsFile, w.Line, w.Column, w.Msg)
	}
	if err != nil {
		return err
	}
	if len(vf.Variants) == 0 {
		return fmt.Errorf("compose: %s defines no top-level variant", r.cfg.VariantsFile)
	}
	arches := r.cfg.Arches
	if len(r.opts.Arches) > 0 {
		arches = r.opts.Arches
	}
	if len(arches) > 0 {
		for _, v := range vf.All() {
			v.Arches = slices.DeleteFunc(v.Arches, func(a string) bool { return !slices.Contains(arches, a) })
		}
		var prune func([]*Variant) []*Variant
		prune = func(vs []*Variant) []*Variant {
			vs = slices.DeleteFunc(vs, func(v *Variant) bool {
				if len(v.Arches) == 0 {
					r.warn("variant %s has none of the arches %s; left out", v.UID(), strings.Join(arches, ", "))
					return true
				}
				return false
			})
			for _, v := range vs {
				v.Variants = prune(v.Variants)
			}
			return vs
		}
		vf.Variants = prune(vf.Variants)
	}
	for _, v := range vf.All() {
		for _, a := range v.Arches {
			if !productmd.IsRPMArch(a) || a == "src" || a == "nosrc" || a == "noarch" {
				return fmt.Errorf("compose: %s:%d:%d: variant %s: %q is not a binary RPM arch", r.cfg.VariantsFile, v.Line, v.Column, v.UID(), a)
			}
		}
	}
	r.variants = vf
	if err := r.loadModuleMetadata(ctx); err != nil {
		return err
	}
	if err := r.openSources(ctx); err != nil {
		return err
	}
	target := r.cfg.TargetDir
	if r.opts.TargetDir != "" {
		target = r.opts.TargetDir
	}
	if target == "" {
		return errors.New("compose: no target directory (target_dir in the configuration or --target-dir)")
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	date := r.now.Format("20060102")
	var id string
	for respin := 0; ; respin++ {
		id, err = productmd.ComposeIDFor(r.cfg.Release, r.cfg.BaseProduct, date, r.cfg.ComposeType, respin)
		if err != nil {
			return err
		}
		d := filepath.Join(target, id)
		err := os.Mkdir(d, 0o755)
		if err == nil {
			r.dir = d
			r.res.Compose = productmd.Compose{ID: id, Type: r.cfg.ComposeType, Date: date, Respin: respin, Label: r.cfg.Label, Final: r.cfg.Final}
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("compose: %w", err)
		}
		if respin > 10000 {
			return fmt.Errorf("compose: no free respin for %s", id)
		}
	}
	r.res.ID, r.res.Dir = id, r.dir
	if err := os.WriteFile(filepath.Join(r.dir, "STATUS"), []byte(StatusStarted+"\n"), 0o644); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "COMPOSE_ID"), []byte(id), 0o644); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	r.progress("init", "compose id %s in %s", id, r.dir)
	ci := r.composeInfo()
	base, err := ci.MarshalJSON()
	if err != nil {
		return err
	}
	global := filepath.Join(r.dir, "work", "global")
	if err := writeFileAtomic(filepath.Join(global, "composeinfo-base.json"), base); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	vx, err := os.ReadFile(r.cfg.VariantsFile)
	if err == nil {
		err = writeFileAtomic(filepath.Join(global, "variants.xml"), vx)
	}
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	return nil
}

func (r *run) loadModuleMetadata(ctx context.Context) error {
	r.defaults = map[string]*modulemd.Defaults{}
	r.obsoletes = map[string][]*modulemd.Obsoletes{}
	tmp, err := os.MkdirTemp("", "modkit-compose-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if !r.cfg.ModuleDefaultsDir.IsZero() {
		dir, err := resolveDir(ctx, r.cfg.ModuleDefaultsDir, tmp)
		if err != nil {
			return err
		}
		idx := modulemd.NewIndex(nil)
		if err := idx.MergeDefaultsDirectory(dir, "", true); err != nil {
			return fmt.Errorf("compose: module_defaults_dir: %w", err)
		}
		for _, n := range idx.ModuleNames() {
			if d := idx.Defaults(n); d != nil {
				r.defaults[n] = d
			}
		}
	}
	if !r.cfg.ModuleObsoletesDir.IsZero() {
		dir, err := resolveDir(ctx, r.cfg.ModuleObsoletesDir, tmp)
		if err != nil {
			return err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("compose: module_obsoletes_dir: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
				continue
			}
			idx, err := modulemd.ReadIndexFile(filepath.Join(dir, e.Name()), &modulemd.LoadOptions{Strict: true})
			if err != nil {
				return fmt.Errorf("compose: module_obsoletes_dir: %w", err)
			}
			for _, m := range idx.Modules() {
				r.obsoletes[m.Name()] = append(r.obsoletes[m.Name()], m.Obsoletes()...)
			}
		}
	}
	return nil
}

func (r *run) openSources(ctx context.Context) error {
	if r.cfg.Koji != nil || r.opts.KojiURL != "" {
		c := r.opts.Koji
		hub := r.opts.KojiURL
		if hub == "" && r.cfg.Koji != nil {
			hub = r.cfg.Koji.URL
		}
		if c == nil {
			var err error
			if c, err = koji.NewClient(hub, koji.WithUserAgent("modkit-compose")); err != nil {
				return fmt.Errorf("compose: koji: %w", err)
			}
		}
		ks := &KojiSource{Client: c, Sigkeys: r.cfg.Sigkeys, HTTP: r.opts.HTTP}
		if r.cfg.Koji != nil {
			ks.TopURL, ks.Event, ks.CacheDir = r.cfg.Koji.TopURL, r.cfg.Koji.Event, r.cfg.Koji.CacheDir
		}
		if r.opts.KojiCache != "" {
			ks.CacheDir = r.opts.KojiCache
		}
		if ks.TopURL == "" {
			ks.TopURL = strings.TrimSuffix(strings.TrimRight(hub, "/"), "/kojihub") + "/kojifiles"
		}
		ev, err := ks.PinEvent(ctx)
		if err != nil {
			return err
		}
		r.res.KojiEvent = ev
		r.progress("init", "koji %s pinned to event %d", hub, ev)
		r.koji = ks
		r.sources = append(r.sources, ks)
	}
	if r.opts.StateDir != "" {
		r.cfg.Local = &LocalConfig{StateDir: r.opts.StateDir}
	}
	if r.cfg.Local != nil {
		if r.opts.OpenStore == nil {
			return errors.New("compose: local: no way to open the build store (Options.OpenStore)")
		}
		st, err := r.opts.OpenStore(ctx, r.cfg.Local.StateDir)
		if err != nil {
			return fmt.Errorf("compose: local state %s: %w", r.cfg.Local.StateDir, err)
		}
		dirs, err := LocalBuildDirs(ctx, st)
		st.Close()
		if err != nil {
			return err
		}
		rs, err := NewRepoSource(ctx, "local builds in "+r.cfg.Local.StateDir, dirs)
		if err != nil {
			return err
		}
		for _, w := range rs.Warnings {
			r.warn("%s", w)
		}
		r.progress("init", "%d local module builds in %s", len(rs.All()), r.cfg.Local.StateDir)
		r.sources = append(r.sources, rs)
	}
	if len(r.cfg.Repos) > 0 {
		rs, err := NewRepoSource(ctx, "repositories", r.cfg.Repos)
		if err != nil {
			return err
		}
		for _, w := range rs.Warnings {
			r.warn("%s", w)
		}
		r.sources = append(r.sources, rs)
	}
	return nil
}

func (r *run) composeInfo() *productmd.ComposeInfo {
	ci := &productmd.ComposeInfo{Compose: r.res.Compose, Release: r.cfg.Release, BaseProduct: r.cfg.BaseProduct}
	var conv func(v *Variant) *productmd.Variant
	conv = func(v *Variant) *productmd.Variant {
		pv := &productmd.Variant{ID: v.ProductmdID(), UID: v.UID(), Name: v.Name, Type: v.Type, Arches: slices.Clone(v.Arches)}
		if v.Release != nil {
			pv.Release = &productmd.Release{Name: v.Release.Name, Short: v.Release.Short, Version: v.Release.Version, Type: "ga", IsLayered: true}
		}
		if !v.IsEmpty {
			for _, a := range v.Arches {
				p := layoutOf(v, a)
				pv.SetPath("os_tree", a, p.osTree)
				pv.SetPath("repository", a, p.repo)
				pv.SetPath("packages", a, p.repo+"/Packages")
				pv.SetPath("debug_tree", a, p.debug)
				pv.SetPath("debug_repository", a, p.debug)
				pv.SetPath("debug_packages", a, p.debug+"/Packages")
				pv.SetPath("source_tree", a, p.source)
				pv.SetPath("source_repository", a, p.source)
				pv.SetPath("source_packages", a, p.source+"/Packages")
			}
		}
		for _, c := range v.Variants {
			pv.Variants = append(pv.Variants, conv(c))
		}
		return pv
	}
	for _, v := range r.variants.Variants {
		ci.Variants = append(ci.Variants, conv(v))
	}
	return ci
}

// layout are a variant's paths for one arch, relative to compose/.
type layout struct{ osTree, repo, debug, source string }

func layoutOf(v *Variant, arch string) layout {
	if v.Type == "addon" && v.Parent != nil {
		p := layoutOf(v.Parent, arch)
		return layout{osTree: p.osTree, repo: p.osTree + "/addons/" + v.ID,
			debug: v.UID() + "/" + arch + "/debug/tree", source: v.UID() + "/source/tree"}
	}
	u := v.UID()
	return layout{osTree: u + "/" + arch + "/os", repo: u + "/" + arch + "/os", debug: u + "/" + arch + "/debug/tree", source: u + "/source/tree"}
}

// ---- pkgset: choosing module builds ----

func (r *run) pkgset(ctx context.Context) error {
	r.sel = map[string]map[string][]*Build{}
	r.res.Modules = map[string]map[string][]string{}
	var errs []error
	for _, v := range r.variants.All() {
		if v.IsEmpty {
			continue
		}
		builds, err := r.selectFor(ctx, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.sel[v.UID()] = map[string][]*Build{}
		r.res.Modules[v.UID()] = map[string][]string{}
		for _, a := range v.Arches {
			var keep []*Build
			for _, b := range builds {
				if r.filtered(v, a, b) {
					continue
				}
				if b.Streams[a] == nil {
					errs = append(errs, fmt.Errorf("compose: variant %s: module %s (%s) has no metadata for arch %s (it has %s); drop the arch or filter the module with filter_modules",
						v.UID(), b.NSVC(), b.Origin, a, strings.Join(slices.Sorted(maps.Keys(b.Streams)), ", ")))
					continue
				}
				keep = append(keep, b)
				r.res.Modules[v.UID()][a] = append(r.res.Modules[v.UID()][a], b.NSVC())
			}
			r.sel[v.UID()][a] = keep
		}
		r.progress("pkgset", "variant %s: %d module builds", v.UID(), len(builds))
	}
	if r.koji != nil && r.koji.CacheDir != "" {
		st := r.koji.CacheStats()
		r.progress("pkgset", "koji cache %s: %d module builds read from it, %d stored", r.koji.CacheDir, st.Hits, st.Stored)
		if st.Err != nil {
			r.warn("koji cache %s not written (the compose goes on without it): %v", r.koji.CacheDir, st.Err)
		}
	}
	return errors.Join(errs...)
}

// selectFor applies Pungi's two modes to one variant.
func (r *run) selectFor(ctx context.Context, v *Variant) ([]*Build, error) {
	where := func(s ModuleSpec) string {
		if s.Line == 0 {
			return r.cfg.VariantsFile
		}
		return fmt.Sprintf("%s:%d:%d", r.cfg.VariantsFile, s.Line, s.Column)
	}
	tags := slices.Clone(v.KojiTags)
	if r.cfg.Koji != nil {
		tags = append(tags, r.cfg.Koji.ModuleTags...)
	}
	if len(tags) > 0 {
		if r.koji == nil {
			return nil, fmt.Errorf("compose: %s:%d:%d: variant %s reads koji tags but no koji hub is configured", r.cfg.VariantsFile, v.Line, v.Column, v.UID())
		}
		var all []*Build
		for _, t := range tags {
			bs, err := r.koji.taggedIdentities(ctx, t)
			if err != nil {
				return nil, err
			}
			all = append(all, bs...)
		}
		if len(v.Modules) > 0 && !slices.ContainsFunc(v.Modules, func(s ModuleSpec) bool { return s.All }) {
			var keep []*Build
			for _, s := range v.Modules {
				n := 0
				for _, b := range all {
					if s.matches(b) {
						keep = append(keep, b)
						n++
					}
				}
				if n == 0 {
					r.warn("%s: module %s of variant %s is in none of the tags %s", where(s), s, v.UID(), strings.Join(tags, ", "))
				}
			}
			all = keep
		}
		// Only the selected builds' metadata and RPMs are read, as Pungi
		// reads them.
		chosen := latestContexts(all)
		loaded, err := r.koji.Load(ctx, chosen)
		if err != nil {
			return nil, err
		}
		have := make(map[string]bool, len(loaded))
		for _, l := range loaded {
			have[l.NSVC()] = true
		}
		for _, b := range chosen {
			if !have[b.NSVC()] {
				r.warn("variant %s: module build %s (%s) has no per-arch modulemd files (too old for a compose); left out, as Pungi leaves it out", v.UID(), b.NSVC(), b.Origin)
			}
		}
		return loaded, nil
	}
	var out []*Build
	var errs []error
	for _, s := range v.Modules {
		var found []*Build
		for _, src := range r.sources {
			if s.All {
				rs, ok := src.(*RepoSource)
				if !ok {
					errs = append(errs, fmt.Errorf("compose: %s: module * of variant %s needs <kojitag> (or a local/repos source)", where(s), v.UID()))
					continue
				}
				found = append(found, latestContexts(rs.All())...)
				continue
			}
			bs, err := src.Find(ctx, s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			found = append(found, bs...)
		}
		if !s.All {
			found = selectExplicit(s, found)
		}
		if len(found) == 0 {
			var names []string
			for _, src := range r.sources {
				names = append(names, src.Name())
			}
			errs = append(errs, fmt.Errorf("compose: %s: variant %s: module %s: %w in %s", where(s), v.UID(), s, ErrNoModules, strings.Join(names, ", ")))
		}
		out = append(out, found...)
	}
	sortBuilds(out)
	out = slices.CompactFunc(out, func(a, b *Build) bool { return a.NSVC() == b.NSVC() })
	return out, errors.Join(errs...)
}

// filtered applies filter_modules: NAME[:STREAM] globs per variant and
// arch ("*" for every arch).
func (r *run) filtered(v *Variant, arch string, b *Build) bool {
	for _, f := range r.cfg.FilterModules {
		re, err := compileVariantRE(f.Variant)
		if err != nil || !re.MatchString(v.UID()) {
			continue
		}
		for _, key := range []string{arch, "*"} {
			for _, pat := range f.Modules[key] {
				n, s, ok := strings.Cut(pat, ":")
				if !ok {
					s = "*"
				}
				okN, _ := path.Match(n, b.Name)
				okS, _ := path.Match(s, b.Stream)
				if okN && okS {
					return true
				}
			}
		}
	}
	return false
}

// ---- fetch ----

func (r *run) fetch(ctx context.Context) error {
	if r.koji == nil {
		return nil
	}
	var files []*RPMFile
	seen := map[*RPMFile]bool{}
	for _, arches := range r.sel {
		for _, bs := range arches {
			for _, b := range bs {
				for _, f := range b.RPMs {
					if f.Path == "" && f.URL != "" && !seen[f] {
						seen[f] = true
						files = append(files, f)
					}
				}
			}
		}
	}
	if err := r.koji.chooseCopies(ctx, files); err != nil {
		return err
	}
	r.progress("fetch", "downloading %d RPMs from %s", len(files), r.koji.TopURL)
	return r.koji.Fetch(ctx, files, filepath.Join(r.dir, "work", "global", "download"))
}

// ---- gather ----

// repoJob is one repository to write.
type repoJob struct {
	variant *Variant
	arch    string // "src" for the source tree
	kind    string // os, debug, source
	rel     string // relative to compose/
	rpms    []*RPMFile
	streams []*modulemd.Stream
	builds  []*Build
	// results
	modulesYAML []byte
	modulesHref string
	reused      string
	key         string
}

func isDebug(name string) bool {
	return strings.HasSuffix(name, "-debuginfo") || strings.HasSuffix(name, "-debugsource") || strings.Contains(name, "-debuginfo-")
}

// rpmsFor returns the RPMs of build b for arch: its arch modulemd's
// artifacts, or (for metadata without artifacts) its arch, noarch and
// source RPMs.
func rpmsFor(b *Build, arch string) []*RPMFile {
	st := b.Streams[arch]
	if st != nil && len(st.Artifacts.RPMs) > 0 {
		want := map[string]bool{}
		for _, a := range st.Artifacts.RPMs {
			if n, _, err := productmd.NormalizeNEVRA(withEpoch(a)); err == nil {
				want[n] = true
			}
		}
		var out []*RPMFile
		for _, f := range b.RPMs {
			if want[f.NEVRA.String()] || want[withEpoch(f.NEVRA.String())] {
				out = append(out, f)
			}
		}
		return out
	}
	var out []*RPMFile
	for _, f := range b.RPMs {
		if a := f.NEVRA.Arch; a == arch || a == "noarch" || a == "src" || a == "nosrc" {
			out = append(out, f)
		}
	}
	return out
}

// withEpoch adds "0:" to an N-V-R.A without an epoch.
func withEpoch(nevra string) string {
	if strings.Contains(nevra, ":") {
		return nevra
	}
	i := strings.LastIndexByte(nevra, '-')
	j := strings.LastIndexByte(nevra[:max(i, 0)], '-')
	if i < 0 || j < 0 {
		return nevra
	}
	return nevra[:j+1] + "0:" + nevra[j+1:]
}

func (r *run) gather() ([]*repoJob, error) {
	var jobs []*repoJob
	for _, v := range r.variants.All() {
		if v.IsEmpty {
			continue
		}
		src := &repoJob{variant: v, arch: "src", kind: "source", rel: layoutOf(v, v.Arches[0]).source}
		srcSeen := map[modulemd.NEVRA]bool{}
		for _, a := range v.Arches {
			p := layoutOf(v, a)
			osj := &repoJob{variant: v, arch: a, kind: "os", rel: p.repo}
			dbg := &repoJob{variant: v, arch: a, kind: "debug", rel: p.debug}
			for _, b := range r.sel[v.UID()][a] {
				osj.streams = append(osj.streams, b.Streams[a])
				osj.builds = append(osj.builds, b)
				for _, f := range rpmsFor(b, a) {
					switch {
					case f.NEVRA.Arch == "src" || f.NEVRA.Arch == "nosrc":
						if !srcSeen[f.NEVRA] {
							srcSeen[f.NEVRA] = true
							src.rpms = append(src.rpms, f)
						}
					case isDebug(f.NEVRA.Name):
						dbg.rpms = append(dbg.rpms, f)
					default:
						osj.rpms = append(osj.rpms, f)
					}
				}
			}
			jobs = append(jobs, osj, dbg)
		}
		jobs = append(jobs, src)
	}
	// Link the packages into the trees.
	made := map[string]bool{} // Packages/<letter> directories created
	for _, j := range jobs {
		slices.SortFunc(j.rpms, func(a, b *RPMFile) int { return strings.Compare(a.FileName(), b.FileName()) })
		j.rpms = slices.CompactFunc(j.rpms, func(a, b *RPMFile) bool { return a.FileName() == b.FileName() })
		dir := filepath.Join(r.dir, "compose", filepath.FromSlash(j.rel))
		if err := os.MkdirAll(filepath.Join(dir, "Packages"), 0o755); err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		for _, f := range j.rpms {
			if f.Path == "" {
				return nil, fmt.Errorf("compose: %s was not downloaded", f.FileName())
			}
			sub := filepath.Join(dir, "Packages", packageSubdir(f))
			if !made[sub] {
				if err := os.MkdirAll(sub, 0o755); err != nil {
					return nil, fmt.Errorf("compose: %w", err)
				}
				made[sub] = true
			}
			if err := linkFile(f.Path, filepath.Join(sub, f.FileName())); err != nil {
				return nil, fmt.Errorf("compose: %w", err)
			}
		}
	}
	r.progress("gather", "%d repositories, packages linked", len(jobs))
	return jobs, nil
}

// packageSubdir is Packages/<first letter, lower case>.
func packageSubdir(f *RPMFile) string {
	n := strings.ToLower(f.NEVRA.Name)
	if n == "" {
		return "_"
	}
	return n[:1]
}

// relPackage is the path of an RPM relative to compose/.
func (j *repoJob) relPackage(f *RPMFile) string {
	return j.rel + "/Packages/" + packageSubdir(f) + "/" + f.FileName()
}

// ---- createrepo ----

func (r *run) createrepos(ctx context.Context, jobs []*repoJob) error {
	old := r.oldRepoKeys()
	n := r.opts.Jobs
	if n <= 0 {
		n = runtime.NumCPU()
	}
	work := make(chan *repoJob)
	var mu sync.Mutex
	var errs []error
	done := 0
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				err := r.createrepo(ctx, j, old)
				mu.Lock()
				done++
				if err != nil {
					errs = append(errs, err)
				}
				d := done
				mu.Unlock()
				if r.opts.Progress != nil {
					msg := fmt.Sprintf("%s (%d packages, %d modules)", j.rel, len(j.rpms), len(j.streams))
					if j.reused != "" {
						msg += ", repodata reused from " + j.reused
					}
					r.opts.Progress(Progress{Phase: "createrepo", Msg: msg, Done: d, Total: len(jobs)})
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	keys := map[string]string{}
	for _, j := range jobs {
		keys[j.rel] = j.key
		var plats []string
		for _, st := range j.streams {
			for _, d := range st.Dependencies {
				for _, p := range d.Requires["platform"] {
					if !strings.HasPrefix(p, "-") && !slices.Contains(plats, p) {
						plats = append(plats, p)
					}
				}
			}
		}
		slices.Sort(plats)
		r.res.Repos = append(r.res.Repos, RepoResult{Variant: j.variant.UID(), Arch: j.arch, Kind: j.kind, Path: j.rel,
			Packages: len(j.rpms), Modules: len(j.streams), Reused: j.reused, Platforms: plats})
	}
	data, _ := json.MarshalIndent(keys, "", "  ")
	return writeFileAtomic(filepath.Join(r.dir, "work", "global", "repo-keys.json"), data)
}

// modulesYAML builds a repository's modules.yaml: the streams, plus the
// defaults and obsoletes of the modules present, merged with
// modulemd.Merger as a client merges repositories.
func (r *run) modulesYAML(j *repoJob) ([]byte, error) {
	if len(j.streams) == 0 {
		return nil, nil
	}
	streams := modulemd.NewIndex(&modulemd.IndexOptions{Now: func() time.Time { return r.now }})
	meta := modulemd.NewIndex(&modulemd.IndexOptions{Now: func() time.Time { return r.now }})
	present := map[string]bool{}
	for _, st := range j.streams {
		if err := streams.AddStream(st); err != nil {
			return nil, fmt.Errorf("compose: %s: module %s: %w", j.rel, st.NSVC(), err)
		}
		present[st.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(present)) {
		if d := r.defaults[name]; d != nil {
			if err := meta.AddDefaults(d); err != nil {
				return nil, fmt.Errorf("compose: defaults of %s: %w", name, err)
			}
		}
		for _, o := range r.obsoletes[name] {
			if err := meta.AddObsoletes(o); err != nil {
				return nil, fmt.Errorf("compose: obsoletes of %s: %w", name, err)
			}
		}
	}
	m := modulemd.NewMerger()
	if err := m.Add(streams, 0); err != nil {
		return nil, err
	}
	if err := m.Add(meta, 0); err != nil {
		return nil, err
	}
	merged, err := m.Resolve(&modulemd.MergeOptions{Now: func() time.Time { return r.now }, Logger: r.log})
	if err != nil {
		return nil, fmt.Errorf("compose: %s: merging module metadata: %w", j.rel, err)
	}
	return merged.Dump()
}

func (r *run) createrepo(ctx context.Context, j *repoJob, old map[string]map[string]string) error {
	dir := filepath.Join(r.dir, "compose", filepath.FromSlash(j.rel))
	if j.kind == "os" {
		y, err := r.modulesYAML(j)
		if err != nil {
			return err
		}
		j.modulesYAML = y
	}
	h := sha256.New()
	fmt.Fprintf(h, "modkit-repo-1\n")
	for _, f := range j.rpms {
		fmt.Fprintf(h, "%s %s\n", packageSubdir(f)+"/"+f.FileName(), f.SHA256)
	}
	fmt.Fprintf(h, "modules %x\n", sha256.Sum256(j.modulesYAML))
	j.key = hex.EncodeToString(h.Sum(nil))
	for _, oc := range slices.Sorted(maps.Keys(old)) {
		if old[oc][j.rel] != j.key || j.key == "" {
			continue
		}
		if err := reuseRepodata(filepath.Join(oc, "compose", filepath.FromSlash(j.rel), "repodata"), filepath.Join(dir, "repodata")); err == nil {
			j.reused = filepath.Base(oc)
			break
		}
	}
	if j.reused == "" {
		args := []string{"--quiet", "--no-database", "--general-compress-type=gz", "--", dir}
		if err := r.tools.run(ctx, "createrepo_c", args...); err != nil {
			return fmt.Errorf("compose: %s: %w", j.rel, err)
		}
		if j.modulesYAML != nil {
			tmp := filepath.Join(r.dir, "work", "global", "tmp", strings.ReplaceAll(j.rel, "/", "_"))
			if err := os.MkdirAll(tmp, 0o755); err != nil {
				return err
			}
			p := filepath.Join(tmp, "modules.yaml")
			if err := os.WriteFile(p, j.modulesYAML, 0o644); err != nil {
				return err
			}
			if err := r.tools.run(ctx, "modifyrepo_c", "--mdtype=modules", "--compress-type=gz", p, filepath.Join(dir, "repodata")); err != nil {
				return fmt.Errorf("compose: %s: %w", j.rel, err)
			}
		}
	}
	if j.modulesYAML != nil {
		href, err := pungi.RepoDataHref(dir, "modules")
		if err != nil {
			return err
		}
		if href == "" {
			return fmt.Errorf("compose: %s: repomd.xml lists no modules data", j.rel)
		}
		j.modulesHref = j.rel + "/" + href
	}
	return nil
}

// reuseRepodata links an older compose's repodata into dst.
func reuseRepodata(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if err := linkOrCopy(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			os.RemoveAll(dst)
			return err
		}
	}
	return nil
}

// oldRepoKeys reads the repository keys of the older composes: each
// old_composes entry is a compose or a directory of composes; only
// FINISHED ones of the same release count.
func (r *run) oldRepoKeys() map[string]map[string]string {
	dirs := r.cfg.OldComposes
	if len(r.opts.OldComposes) > 0 {
		dirs = r.opts.OldComposes
	}
	out := map[string]map[string]string{}
	prefix := r.cfg.Release.Short + "-" + r.cfg.Release.Version + "-"
	add := func(c string) {
		if c == r.dir || !strings.HasPrefix(filepath.Base(c), prefix) {
			return
		}
		st, err := os.ReadFile(filepath.Join(c, "STATUS"))
		if err != nil || !strings.HasPrefix(string(st), StatusFinished) {
			return
		}
		data, err := os.ReadFile(filepath.Join(c, "work", "global", "repo-keys.json"))
		if err != nil {
			return
		}
		var keys map[string]string
		if json.Unmarshal(data, &keys) == nil {
			out[c] = keys
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "STATUS")); err == nil {
			add(d)
			continue
		}
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.IsDir() {
				add(filepath.Join(d, e.Name()))
			}
		}
	}
	return out
}

// ---- metadata ----

func (r *run) metadata(jobs []*repoJob) error {
	c := r.res.Compose
	meta := filepath.Join(r.dir, "compose", "metadata")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	rpms := &productmd.RPMs{Compose: c, RPMs: map[string]map[string]map[string]map[string]productmd.RPMEntry{}}
	mods := &productmd.Modules{Compose: c, Modules: map[string]map[string]map[string]productmd.ModuleEntry{}}
	srcJob := map[string]*repoJob{}
	for _, j := range jobs {
		if j.kind == "source" {
			srcJob[j.variant.UID()] = j
		}
	}
	var errs []error
	for _, j := range jobs {
		if j.kind == "source" {
			continue
		}
		uid := j.variant.UID()
		cat := productmd.CategoryBinary
		if j.kind == "debug" {
			cat = productmd.CategoryDebug
		}
		if rpms.RPMs[uid] == nil {
			rpms.RPMs[uid] = map[string]map[string]map[string]productmd.RPMEntry{}
		}
		if rpms.RPMs[uid][j.arch] == nil {
			rpms.RPMs[uid][j.arch] = map[string]map[string]productmd.RPMEntry{}
		}
		srcs := map[string]bool{}
		for _, f := range j.rpms {
			srpm := f.SourceRPM
			if srpm == "" {
				errs = append(errs, fmt.Errorf("compose: %s: no source RPM known for %s", j.rel, f.FileName()))
				continue
			}
			if err := rpms.Add(uid, j.arch, f.NEVRA.String(), j.relPackage(f), f.Sigkey, cat, srpm); err != nil {
				errs = append(errs, err)
			}
			srcs[srpm] = true
		}
		if j.kind == "os" {
			// Source RPMs go under the binary arch, as Pungi records them.
			if sj := srcJob[uid]; sj != nil {
				for _, f := range sj.rpms {
					if srcs[f.NEVRA.String()] || r.buildsHave(j.builds, f) {
						if err := rpms.Add(uid, j.arch, f.NEVRA.String(), sj.relPackage(f), f.Sigkey, productmd.CategorySource, ""); err != nil {
							errs = append(errs, err)
						}
					}
				}
			}
			for i, b := range j.builds {
				st := j.streams[i]
				tag := b.KojiTag
				if tag == "" {
					tag = "DUMMY"
				}
				arts := slices.Clone(st.Artifacts.RPMs)
				for k, a := range arts {
					arts[k] = withEpoch(a)
				}
				if arts == nil {
					arts = []string{}
				}
				if err := mods.Add(uid, j.arch, b.NSVC(), tag, j.modulesHref, productmd.CategoryBinary, arts); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	ci := r.composeInfo()
	files := map[string]any{"composeinfo.json": ci, "rpms.json": rpms, "modules.json": mods,
		"images.json": &productmd.Images{Compose: c, Images: map[string]map[string][]productmd.Image{}}}
	if r.extra != nil {
		files["extra_files.json"] = r.extra
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := productmd.Save(filepath.Join(meta, name), files[name]); err != nil {
			return fmt.Errorf("compose: %w", err)
		}
	}
	// .treeinfo of every os tree: the variant and its addons.
	for _, j := range jobs {
		if j.kind != "os" || j.variant.Type == "addon" {
			continue
		}
		if err := r.treeinfo(j); err != nil {
			return err
		}
	}
	r.progress("metadata", "metadata/composeinfo.json, rpms.json, modules.json, images.json and .treeinfo written")
	return nil
}

func (r *run) buildsHave(builds []*Build, f *RPMFile) bool {
	for _, b := range builds {
		if slices.Contains(b.RPMs, f) {
			return true
		}
	}
	return false
}

func (r *run) treeinfo(j *repoJob) error {
	v := j.variant
	dir := filepath.Join(r.dir, "compose", filepath.FromSlash(j.rel))
	sum, err := fileSHA256(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	tv := &productmd.TreeVariant{ID: v.ProductmdID(), UID: v.UID(), Name: v.Name, Type: v.Type,
		Paths: productmd.TreePaths{Packages: "Packages", Repository: "."}}
	if tv.Type == "layered-product" {
		tv.Type = "variant"
	}
	for _, c := range v.Variants {
		if c.Type == "addon" && slices.Contains(c.Arches, j.arch) {
			tv.Variants = append(tv.Variants, &productmd.TreeVariant{ID: c.ID, UID: c.UID(), Name: c.Name, Type: "addon",
				Paths: productmd.TreePaths{Packages: "addons/" + c.ID + "/Packages", Repository: "addons/" + c.ID}})
		}
	}
	ti := &productmd.TreeInfo{
		Release:   productmd.TreeRelease{Name: r.cfg.Release.Name, Short: r.cfg.Release.Short, Version: r.cfg.Release.Version, IsLayered: r.cfg.Release.IsLayered},
		Tree:      productmd.Tree{Arch: j.arch, BuildTimestamp: r.now.Unix(), Platforms: []string{j.arch}},
		Variants:  []*productmd.TreeVariant{tv},
		Checksums: map[string]productmd.Checksum{"repodata/repomd.xml": {Type: "sha256", Value: sum}},
	}
	if bp := r.cfg.BaseProduct; bp != nil {
		ti.BaseProduct = &productmd.TreeBaseProduct{Name: bp.Name, Short: bp.Short, Version: bp.Version}
	}
	return productmd.Save(filepath.Join(dir, ".treeinfo"), ti)
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// latestLink points <target>/latest-SHORT-VERSION[-BASE...] at the compose.
func (r *run) latestLink() (string, error) {
	name := "latest-" + r.cfg.Release.Short + "-" + r.cfg.Release.Version
	if bp := r.cfg.BaseProduct; bp != nil {
		name += "-" + bp.Short + "-" + bp.Version
	}
	target := filepath.Dir(r.dir)
	link := filepath.Join(target, name)
	tmp := link + ".tmp-" + r.res.ID
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(r.dir), tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return link, nil
}
