package compose

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
)

// KojiSource finds module builds on a koji hub, as Pungi's koji package
// set does, with every query pinned to one koji event.
type KojiSource struct {
	Client *koji.Client
	// TopURL serves the hub's files (packages/N/V/R/...); http(s) or file.
	TopURL string
	// Event pins queries; 0 means the hub's last event at the first query.
	Event int64
	// Sigkeys in order of preference; "" (or an empty list) allows
	// unsigned copies.
	Sigkeys []string
	// HTTP downloads files; nil means a client with a 5-minute timeout.
	HTTP *http.Client
	// CacheDir, when set, keeps what the hub and the top URL say about
	// complete module builds (build info, per-arch modulemd files, their
	// RPM components and the RPM builds behind them) in this directory, so
	// that later composes (nightlies) ask the hub only which builds a tag
	// holds. Builds are immutable once complete; tag contents, signatures
	// and RPM files are never cached. Composes may share the directory.
	CacheDir string

	once      sync.Once
	onceErr   error
	eventTime time.Time
	mu        sync.Mutex
	builds    map[int64]*koji.Build
	sources   map[int64][]koji.RPM
	converted map[int64]*Build

	cacheOnce  sync.Once
	cache      *kojiCache
	cacheErr   error
	recs       map[int64]*cachedModule
	unstored   map[int64]*koji.Build // build info from getBuild not in the cache yet
	cacheStats CacheStats
}

// CacheStats counts what the koji cache (CacheDir) did.
type CacheStats struct {
	// Hits are module builds read from the cache, Stored those written
	// to it.
	Hits, Stored int
	// Err is the first error writing to the cache (a compose goes on
	// without it).
	Err error
}

// CacheStats reports what the koji cache did so far.
func (k *KojiSource) CacheStats() CacheStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cacheStats
}

// openCache opens CacheDir (nil without one).
func (k *KojiSource) openCache() (*kojiCache, error) {
	k.cacheOnce.Do(func() {
		if k.CacheDir != "" {
			k.cache, k.cacheErr = openKojiCache(k.CacheDir, k.Client.URL())
		}
	})
	return k.cache, k.cacheErr
}

// cachedModule returns the cached record of module build id (nil when the
// cache is off or does not hold it), reading each file once.
func (k *KojiSource) cachedModule(c *kojiCache, id int64) *cachedModule {
	if c == nil {
		return nil
	}
	k.mu.Lock()
	rec, ok := k.recs[id]
	k.mu.Unlock()
	if ok {
		return rec
	}
	rec = c.load(id)
	k.mu.Lock()
	if k.recs == nil {
		k.recs = map[int64]*cachedModule{}
	}
	k.recs[id] = rec
	if rec != nil {
		k.cacheStats.Hits++
	}
	k.mu.Unlock()
	return rec
}

// storeListed writes the build info of the builds that identities asked
// the hub for and that no compose read yet (older versions in a tag), so
// that a later listing of the tag needs no getBuild for them.
func (k *KojiSource) storeListed() {
	if k.cache == nil {
		return
	}
	k.mu.Lock()
	var list []*koji.Build
	for _, kb := range k.unstored {
		list = append(list, kb)
	}
	k.unstored = nil
	k.mu.Unlock()
	for _, kb := range list {
		rec := &cachedModule{Format: kojiCacheFormat, Hub: k.Client.URL(), Build: cacheableBuild(kb)}
		err := k.cache.store(rec)
		k.mu.Lock()
		if err != nil && k.cacheStats.Err == nil {
			k.cacheStats.Err = err
		}
		k.mu.Unlock()
	}
}

// storeModule writes the record of a complete module build read from the
// hub: files are its per-arch modulemd archives (with their text and
// components), count its modulemd*.txt archives.
func (k *KojiSource) storeModule(c *kojiCache, kb *koji.Build, count int, files []*archFile) {
	rec := &cachedModule{Format: kojiCacheFormat, Hub: k.Client.URL(), Build: cacheableBuild(kb), Archives: true, ModulemdFiles: count}
	k.mu.Lock()
	delete(k.unstored, kb.ID)
	// A draft build gets another release when it is promoted: neither it
	// nor a module built from drafts is kept.
	draft := kb.Draft
	seen := map[int64]bool{}
	for _, f := range files {
		rec.Arches = append(rec.Arches, cachedArch{Arch: f.arch, ArchiveID: f.id, Filename: f.name, Modulemd: string(f.text), RPMs: toCachedRPMs(f.rpms)})
		for _, r := range f.rpms {
			if rb, ok := k.builds[r.BuildID]; ok && !seen[r.BuildID] {
				seen[r.BuildID] = true
				draft = draft || rb.Draft
				rec.RPMBuilds = append(rec.RPMBuilds, cachedRPMBuilds{Build: cacheableBuild(rb), Sources: toCachedRPMs(k.sources[r.BuildID])})
			}
		}
	}
	k.mu.Unlock()
	if draft {
		return
	}
	err := c.store(rec)
	k.mu.Lock()
	if err == nil {
		k.cacheStats.Stored++
	} else if k.cacheStats.Err == nil {
		k.cacheStats.Err = err
	}
	k.mu.Unlock()
}

func (k *KojiSource) Name() string { return "koji " + k.Client.URL() }

// PinEvent fixes the koji event (the hub's last one when Event is 0) and
// returns it.
func (k *KojiSource) PinEvent(ctx context.Context) (int64, error) {
	k.once.Do(func() {
		if k.Event == 0 {
			ev, err := k.Client.GetLastEvent(ctx)
			if err != nil {
				k.onceErr = fmt.Errorf("compose: koji getLastEvent: %w", err)
				return
			}
			k.Event, k.eventTime = ev.ID, ev.Time
			return
		}
		var ev koji.Event
		if err := k.Client.Call(ctx, "getEvent", &ev, k.Event); err != nil {
			k.onceErr = fmt.Errorf("compose: koji event %d: %w", k.Event, err)
			return
		}
		k.eventTime = ev.Time
	})
	return k.Event, k.onceErr
}

// Find searches module builds by NVR pattern
// name-stream(- → _)-version-or-*.context-or-*, as Pungi does, keeping
// complete builds that existed at the event.
func (k *KojiSource) Find(ctx context.Context, spec ModuleSpec) ([]*Build, error) {
	ev, err := k.PinEvent(ctx)
	if err != nil {
		return nil, err
	}
	or := func(s string) string {
		if s == "" {
			return "*"
		}
		return s
	}
	pattern := fmt.Sprintf("%s-%s-%s.%s", spec.Name, strings.ReplaceAll(spec.Stream, "-", "_"), or(spec.Version), or(spec.Context))
	complete := koji.BuildComplete
	found, err := k.Client.ListBuilds(ctx, &koji.ListBuildsOptions{Pattern: pattern, Type: "module", State: &complete})
	if err != nil {
		return nil, fmt.Errorf("compose: koji listBuilds %s: %w", pattern, err)
	}
	var keep []*koji.Build
	for i := range found {
		kb := &found[i]
		if kb.CreationEventID > ev || (!k.eventTime.IsZero() && kb.CompletionTime.After(k.eventTime)) {
			continue // completed after the compose's event
		}
		keep = append(keep, kb)
	}
	ids, err := k.identities(ctx, keep)
	if err != nil {
		return nil, err
	}
	// Only the chosen builds' metadata and RPMs are read, as Pungi reads
	// them.
	return k.Load(ctx, selectExplicit(spec, ids))
}

// identities are the module builds among kbs with only what the hub's
// build info says (name, stream, version, context, content tag); builds
// without module typeinfo, or not complete, are left out.
func (k *KojiSource) identities(ctx context.Context, kbs []*koji.Build) ([]*Build, error) {
	cache, err := k.openCache()
	if err != nil {
		return nil, err
	}
	full := slices.Clone(kbs)
	var need []int
	for i, kb := range kbs {
		if kb.Extra != nil {
			continue
		}
		// A listing without extra (the cache is on): the typeinfo of a
		// cached build comes from the cache, of the others from getBuild.
		if rec := k.cachedModule(cache, kb.ID); rec != nil {
			c := *kb
			c.Extra = rec.Build.Extra
			full[i] = &c
			continue
		}
		need = append(need, i)
	}
	got := make([]koji.Build, len(need))
	if err := multicall(ctx, k.Client, "getBuild", len(need), func(j int) []any { return []any{kbs[need[j]].ID} }, got); err != nil {
		return nil, fmt.Errorf("compose: koji getBuild: %w", err)
	}
	for j, i := range need {
		full[i] = &got[j]
	}
	if cache != nil {
		k.mu.Lock()
		if k.unstored == nil {
			k.unstored = map[int64]*koji.Build{}
		}
		for j := range got {
			if got[j].State == koji.BuildComplete && !got[j].Draft && got[j].ModuleInfo() != nil {
				k.unstored[got[j].ID] = &got[j]
			}
		}
		k.mu.Unlock()
	}
	var out []*Build
	for i, kb := range full {
		info := kb.ModuleInfo()
		if info == nil || kb.State != koji.BuildComplete {
			continue
		}
		version, err := strconv.ParseUint(info.Version, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("compose: koji build %s: module version %q: %w", kb.NVR, info.Version, err)
		}
		out = append(out, &Build{Name: info.Name, Stream: info.Stream, Version: version, Context: info.Context, KojiTag: info.ContentKojiTag,
			Completed: kb.CompletionTime, Origin: "koji build " + kb.NVR, Tag: kbs[i].TagName, koji: kb})
	}
	return out, nil
}

// Load reads the metadata (modulemd.<arch>.txt) and RPMs of builds that
// Tagged or Find found, batching the hub calls; builds Pungi skips (only
// one modulemd file: too old) are left out of the result. Builds that
// are loaded already are returned as they are.
func (k *KojiSource) Load(ctx context.Context, builds []*Build) ([]*Build, error) {
	var kbs []*koji.Build
	for _, b := range builds {
		if b.koji != nil {
			kbs = append(kbs, b.koji)
		}
	}
	if _, err := k.convertMany(ctx, kbs); err != nil {
		return nil, err
	}
	k.storeListed()
	var out []*Build
	for _, b := range builds {
		if b.koji == nil {
			out = append(out, b)
			continue
		}
		k.mu.Lock()
		c := k.converted[b.koji.ID]
		k.mu.Unlock()
		if c == nil {
			continue
		}
		l := *c
		l.Tag = b.Tag
		out = append(out, &l)
	}
	return out, nil
}

// Tagged lists the module builds of tag (with inheritance) at the event;
// for each name:stream only builds of the topmost tag that has any count.
// It reads every build's metadata and RPMs; a compose reads only those of
// the builds it selects.
func (k *KojiSource) Tagged(ctx context.Context, tag string) ([]*Build, error) {
	bs, err := k.taggedIdentities(ctx, tag)
	if err != nil {
		return nil, err
	}
	return k.Load(ctx, bs)
}

// taggedIdentities is Tagged without reading the builds' metadata and
// RPMs (see Load).
func (k *KojiSource) taggedIdentities(ctx context.Context, tag string) ([]*Build, error) {
	ev, err := k.PinEvent(ctx)
	if err != nil {
		return nil, err
	}
	// With the cache on, the listing leaves out the builds' extra (each
	// holds the whole modulemd): the cache or getBuild supplies it for
	// the builds it lacks.
	tagged, err := k.Client.ListTagged(ctx, koji.Name(tag), &koji.ListTaggedOptions{Event: ev, Inherit: true, Type: "module", Extra: k.CacheDir == ""})
	if err != nil {
		return nil, fmt.Errorf("compose: koji listTagged %s (event %d): %w", tag, ev, err)
	}
	depth := map[string]int{tag: 0}
	if chain, err := k.Client.GetFullInheritance(ctx, koji.Name(tag), &koji.FullInheritanceOptions{Event: ev}); err == nil {
		for _, l := range chain {
			if _, ok := depth[l.Name]; !ok {
				depth[l.Name] = l.CurrDepth
			}
		}
	} else {
		return nil, fmt.Errorf("compose: koji getFullInheritance %s: %w", tag, err)
	}
	kbs := make([]*koji.Build, len(tagged))
	for i := range tagged {
		kbs[i] = &tagged[i]
	}
	all, err := k.identities(ctx, kbs)
	if err != nil {
		return nil, err
	}
	top := map[string]int{}
	for _, b := range all {
		d, ok := depth[b.Tag]
		if !ok {
			d = 1 << 20
		}
		if cur, seen := top[b.Name+":"+b.Stream]; !seen || d < cur {
			top[b.Name+":"+b.Stream] = d
		}
	}
	var out []*Build
	for _, b := range all {
		d, ok := depth[b.Tag]
		if !ok {
			d = 1 << 20
		}
		if top[b.Name+":"+b.Stream] == d {
			out = append(out, b)
		}
	}
	return out, nil
}

// Builds reads the given koji module builds as a compose does (their
// per-arch module metadata and the RPM files of every arch, with the
// preferred signed copies), without pinning an event: for callers that
// already chose the builds, such as an updates push. Builds Pungi skips
// (not complete, no module typeinfo, no per-arch modulemd.<arch>.txt) are
// left out; compare the result's length with the input's.
func (k *KojiSource) Builds(ctx context.Context, kbs ...*koji.Build) ([]*Build, error) {
	return k.convertMany(ctx, kbs)
}

// batchSize bounds the calls of one multicall request.
const batchSize = 400

// multicall runs method once per item (args(i) its arguments) in
// multicall batches and decodes each result into out[i]; narrow row
// types (archiveRow, rpmRow) are decoded straight from the answer.
func multicall[T any](ctx context.Context, c *koji.Client, method string, n int, args func(i int) []any, out []T) error {
	if n == 0 {
		return nil
	}
	all := make([][]any, n)
	for i := range n {
		all[i] = args(i)
	}
	return koji.MulticallEach(ctx, c, method, all, out, &koji.MulticallOptions{BatchSize: batchSize})
}

// archiveRow is what a compose reads of a listArchives answer.
type archiveRow struct {
	ID       int64  `xmlrpc:"id"`
	Filename string `xmlrpc:"filename"`
}

// rpmRow is what a compose reads of a listRPMs answer.
type rpmRow struct {
	ID      int64  `xmlrpc:"id"`
	Name    string `xmlrpc:"name"`
	Version string `xmlrpc:"version"`
	Release string `xmlrpc:"release"`
	Arch    string `xmlrpc:"arch"`
	Epoch   any    `xmlrpc:"epoch"` // nil or an integer
	BuildID int64  `xmlrpc:"build_id"`
}

// rpms converts listRPMs rows.
func rpms(rows []rpmRow) ([]koji.RPM, error) {
	out := make([]koji.RPM, len(rows))
	for i, r := range rows {
		out[i] = koji.RPM{ID: r.ID, Name: r.Name, Version: r.Version, Release: r.Release, Arch: r.Arch, BuildID: r.BuildID}
		switch e := r.Epoch.(type) {
		case nil:
		case int64:
			n := int(e)
			out[i].Epoch = &n
		default:
			return nil, fmt.Errorf("rpm %d (%s): epoch %v is not an integer", r.ID, r.Name, e)
		}
	}
	return out, nil
}

// archFile is one modulemd.<arch>.txt archive of a module build being
// read.
type archFile struct {
	mod    int // index into the module builds
	arch   string
	id     int64  // archive id
	name   string // file name
	text   []byte // the file (from the cache, or once downloaded)
	cached bool   // text and rpms came from the cache
	st     *modulemd.Stream
	rpms   []koji.RPM
}

// convertMany reads koji module builds: their typeinfo, their
// modulemd.<arch>.txt archives and the RPMs of each arch, batching the hub
// calls in multicalls, or from the koji cache (CacheDir) for the builds it
// holds. Builds Pungi skips (no module typeinfo, only one modulemd file)
// are left out.
func (k *KojiSource) convertMany(ctx context.Context, kbs []*koji.Build) ([]*Build, error) {
	out := make([]*Build, len(kbs))
	var todo []int
	k.mu.Lock()
	for i, kb := range kbs {
		if b, ok := k.converted[kb.ID]; ok {
			out[i] = b
		} else {
			todo = append(todo, i)
		}
	}
	k.mu.Unlock()
	cache, err := k.openCache()
	if err != nil {
		return nil, err
	}
	// Full build info (extra) where the listing lacked it, from the cache
	// or the hub.
	full := make([]*koji.Build, len(kbs))
	recs := make([]*cachedModule, len(kbs))
	var need []int
	for _, i := range todo {
		if rec := k.cachedModule(cache, kbs[i].ID); rec != nil {
			full[i] = &rec.Build
			if rec.Archives {
				recs[i] = rec
			}
			continue
		}
		full[i] = kbs[i]
		if kbs[i].Extra == nil {
			need = append(need, i)
		}
	}
	got := make([]koji.Build, len(need))
	if err := multicall(ctx, k.Client, "getBuild", len(need), func(j int) []any { return []any{kbs[need[j]].ID} }, got); err != nil {
		return nil, fmt.Errorf("compose: koji getBuild: %w", err)
	}
	for j, i := range need {
		full[i] = &got[j]
	}
	var mods []int
	for _, i := range todo {
		if full[i].ModuleInfo() != nil && full[i].State == koji.BuildComplete {
			mods = append(mods, i)
		}
	}
	// The archives of the builds the cache does not hold.
	var ask []int // indexes into mods
	for j, i := range mods {
		if recs[i] == nil {
			ask = append(ask, j)
		}
	}
	archives := make([][]archiveRow, len(ask))
	if err := multicall(ctx, k.Client, "listArchives", len(ask), func(x int) []any {
		return []any{koji.Kwargs{"buildID": full[mods[ask[x]]].ID, "type": "module"}}
	}, archives); err != nil {
		return nil, fmt.Errorf("compose: koji listArchives: %w", err)
	}
	var files []*archFile
	counts := make([]int, len(mods))
	for x, as := range archives {
		j := ask[x]
		for _, a := range as {
			if !strings.HasPrefix(a.Filename, "modulemd.") || !strings.HasSuffix(a.Filename, ".txt") {
				continue
			}
			counts[j]++
			arch := strings.TrimSuffix(strings.TrimPrefix(a.Filename, "modulemd."), ".txt")
			if arch == "" || arch == "txt" || arch == "src" || strings.Contains(arch, ".") {
				continue
			}
			files = append(files, &archFile{mod: j, arch: arch, id: a.ID, name: a.Filename})
		}
	}
	for j, i := range mods {
		if rec := recs[i]; rec != nil {
			counts[j] = rec.ModulemdFiles
			for _, ca := range rec.Arches {
				files = append(files, &archFile{mod: j, arch: ca.Arch, id: ca.ArchiveID, name: ca.Filename, text: []byte(ca.Modulemd), rpms: fromCachedRPMs(ca.RPMs), cached: true})
			}
		}
	}
	// The components of every per-arch archive the cache does not hold
	// (one multicall), while the per-arch metadata is downloaded (or read
	// from the cache) and parsed, eight files at a time.
	var useful []*archFile
	for _, f := range files {
		if counts[f.mod] > 1 && !f.cached {
			useful = append(useful, f)
		}
	}
	comps := make([][]rpmRow, len(useful))
	compsErr := make(chan error, 1)
	go func() {
		compsErr <- multicall(ctx, k.Client, "listRPMs", len(useful), func(j int) []any {
			return []any{koji.Kwargs{"imageID": useful[j].id}}
		}, comps)
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 8)
	for _, f := range files {
		if counts[f.mod] <= 1 {
			continue // too old: no per-arch metadata (Pungi skips these)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			b := full[mods[f.mod]]
			var err error
			if f.text == nil {
				f.text, err = k.get(ctx, k.fileURL(b, "files/module/"+f.name))
			}
			if err == nil {
				var docs []modulemd.Document
				if docs, err = modulemd.Parse(f.text); err == nil {
					for _, d := range docs {
						if st, ok := d.(*modulemd.Stream); ok {
							f.st = st
						}
					}
					if f.st == nil {
						err = errors.New("holds no module stream")
					}
				}
			}
			if err != nil {
				where := f.name
				if f.cached {
					where += " (from the koji cache " + cache.dir + ")"
				}
				mu.Lock()
				errs = append(errs, fmt.Errorf("compose: koji build %s: %s: %w", b.NVR, where, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := <-compsErr; err != nil {
		errs = append(errs, fmt.Errorf("compose: koji listRPMs: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for j := range useful {
		rs, err := rpms(comps[j])
		if err != nil {
			return nil, fmt.Errorf("compose: koji listRPMs of %s: %w", useful[j].name, err)
		}
		useful[j].rpms = rs
	}
	// The RPM builds behind the components, and their source RPMs: from
	// the cache records, then from the hub.
	k.mu.Lock()
	if k.builds == nil {
		k.builds = map[int64]*koji.Build{}
		k.sources = map[int64][]koji.RPM{}
	}
	for _, i := range mods {
		if recs[i] == nil {
			continue
		}
		for _, rb := range recs[i].RPMBuilds {
			if _, ok := k.builds[rb.Build.ID]; !ok {
				b := rb.Build
				k.builds[b.ID], k.sources[b.ID] = &b, fromCachedRPMs(rb.Sources)
			}
		}
	}
	var ids []int64
	seenID := map[int64]bool{}
	for _, f := range files {
		if counts[f.mod] <= 1 {
			continue
		}
		for _, r := range f.rpms {
			if _, ok := k.builds[r.BuildID]; !ok && !seenID[r.BuildID] {
				seenID[r.BuildID] = true
				ids = append(ids, r.BuildID)
			}
		}
	}
	k.mu.Unlock()
	rbs := make([]koji.Build, len(ids))
	if err := multicall(ctx, k.Client, "getBuild", len(ids), func(j int) []any { return []any{ids[j]} }, rbs); err != nil {
		return nil, fmt.Errorf("compose: koji getBuild: %w", err)
	}
	srcs := make([][]rpmRow, len(ids))
	if err := multicall(ctx, k.Client, "listRPMs", len(ids), func(j int) []any {
		return []any{koji.Kwargs{"buildID": ids[j], "arches": []string{"src", "nosrc"}}}
	}, srcs); err != nil {
		return nil, fmt.Errorf("compose: koji listRPMs: %w", err)
	}
	for j, id := range ids {
		rs, err := rpms(srcs[j])
		if err != nil {
			return nil, fmt.Errorf("compose: koji listRPMs of build %d: %w", id, err)
		}
		k.mu.Lock()
		k.builds[id] = &rbs[j]
		k.sources[id] = rs
		k.mu.Unlock()
	}
	// Assemble.
	byMod := map[int][]*archFile{}
	for _, f := range files {
		if counts[f.mod] > 1 {
			byMod[f.mod] = append(byMod[f.mod], f)
		}
	}
	for j, i := range mods {
		kb := full[i]
		if cache != nil && recs[i] == nil {
			k.storeModule(cache, kb, counts[j], byMod[j])
		}
		if counts[j] <= 1 {
			continue
		}
		info := kb.ModuleInfo()
		version, err := strconv.ParseUint(info.Version, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("compose: koji build %s: module version %q: %w", kb.NVR, info.Version, err)
		}
		b := &Build{Name: info.Name, Stream: info.Stream, Version: version, Context: info.Context, KojiTag: info.ContentKojiTag,
			Streams: map[string]*modulemd.Stream{}, Completed: kb.CompletionTime, Origin: "koji build " + kb.NVR}
		seen := map[modulemd.NEVRA]bool{}
		srcBuilds := map[int64]bool{}
		add := func(r koji.RPM) error {
			f, err := k.rpmFile(ctx, r)
			if err != nil {
				return err
			}
			if !seen[f.NEVRA] {
				seen[f.NEVRA] = true
				b.RPMs = append(b.RPMs, f)
			}
			return nil
		}
		for _, f := range byMod[j] {
			if f.st.Arch == "" {
				f.st.Arch = f.arch
			}
			b.Streams[f.arch] = f.st
			for _, r := range f.rpms {
				if err := add(r); err != nil {
					return nil, err
				}
				srcBuilds[r.BuildID] = true
			}
		}
		for _, id := range slices.Sorted(maps.Keys(srcBuilds)) {
			k.mu.Lock()
			list := k.sources[id]
			k.mu.Unlock()
			for _, r := range list {
				if err := add(r); err != nil {
					return nil, err
				}
			}
		}
		out[i] = b
		k.mu.Lock()
		if k.converted == nil {
			k.converted = map[int64]*Build{}
		}
		k.converted[kbs[i].ID] = b
		k.mu.Unlock()
	}
	var res []*Build
	for _, b := range out {
		if b != nil {
			res = append(res, b)
		}
	}
	return res, nil
}

// kojiRef is what the hub said about an RPM and its build.
type kojiRef struct {
	rpm   koji.RPM
	build *koji.Build
}

func (k *KojiSource) rpmFile(ctx context.Context, r koji.RPM) (*RPMFile, error) {
	k.mu.Lock()
	kb, ok := k.builds[r.BuildID]
	k.mu.Unlock()
	if !ok {
		var err error
		kb, err = k.Client.GetBuild(ctx, koji.ID(r.BuildID))
		if err != nil {
			return nil, fmt.Errorf("compose: koji getBuild %d (of %s): %w", r.BuildID, r.NEVRA(), err)
		}
		k.mu.Lock()
		k.builds[r.BuildID] = kb
		k.mu.Unlock()
	}
	n := modulemd.NEVRA{Name: r.Name, Version: r.Version, Release: r.Release, Arch: r.Arch}
	if r.Epoch != nil {
		n.Epoch = uint64(*r.Epoch)
	}
	f := &RPMFile{NEVRA: n, koji: &kojiRef{rpm: r, build: kb}}
	f.URL = k.fileURL(kb, r.Arch+"/"+f.FileName())
	if r.Arch != "src" && r.Arch != "nosrc" {
		epoch := 0
		if kb.Epoch != nil {
			epoch = *kb.Epoch
		}
		f.SourceRPM = fmt.Sprintf("%s-%d:%s-%s.src", kb.Name, epoch, kb.Version, kb.Release)
	}
	return f, nil
}

// allowUnsigned reports whether Sigkeys allow unsigned copies: no keys,
// or "" among them (Pungi's None).
func (k *KojiSource) allowUnsigned() bool {
	return len(k.Sigkeys) == 0 || slices.Contains(k.Sigkeys, "")
}

// SigkeyError reports the RPMs of a compose that have no copy signed with
// any of the configured keys, when unsigned copies are not allowed.
type SigkeyError struct {
	Sigkeys []string
	// RPMs are N-E:V-R.A strings, sorted.
	RPMs []string
}

func (e *SigkeyError) Error() string {
	return fmt.Sprintf("compose: %d RPM(s) not signed with any of the keys %s (unsigned copies are not allowed): %s",
		len(e.RPMs), strings.Join(e.Sigkeys, ", "), strings.Join(e.RPMs, ", "))
}

// chooseCopies decides, for every RPM from this hub, which copies the
// compose may take, as Pungi does with its sigkeys: the signed copy
// (packages/N/V/R/data/signed/<key>/<arch>/<file>) of each key the hub
// has recorded for the RPM (queryRPMSigs, batched in multicalls), in the
// order of Sigkeys, then the unsigned copy when allowed. RPMs left with
// no copy are reported together in a *SigkeyError.
func (k *KojiSource) chooseCopies(ctx context.Context, files []*RPMFile) error {
	var mine []*RPMFile
	for _, f := range files {
		if f.koji != nil && f.copies == nil {
			mine = append(mine, f)
		}
	}
	signed := slices.ContainsFunc(k.Sigkeys, func(s string) bool { return s != "" })
	has := map[int64][]string{}
	if signed && len(mine) > 0 {
		var ids []int64
		seen := map[int64]bool{}
		for _, f := range mine {
			if id := f.koji.rpm.ID; !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		type sig struct {
			Sigkey string `xmlrpc:"sigkey"`
		}
		sigs := make([][]sig, len(ids))
		if err := multicall(ctx, k.Client, "queryRPMSigs", len(ids), func(j int) []any {
			return []any{koji.Kwargs{"rpm_id": ids[j]}}
		}, sigs); err != nil {
			return fmt.Errorf("compose: koji queryRPMSigs: %w", err)
		}
		for j, id := range ids {
			for _, s := range sigs[j] {
				has[id] = append(has[id], strings.ToLower(s.Sigkey))
			}
		}
	}
	var missing []string
	for _, f := range mine {
		var copies []rpmCopy
		for _, key := range k.Sigkeys {
			if key == "" || !slices.Contains(has[f.koji.rpm.ID], key) || slices.ContainsFunc(copies, func(c rpmCopy) bool { return c.Sigkey == key }) {
				continue
			}
			copies = append(copies, rpmCopy{Sigkey: key, URL: k.fileURL(f.koji.build, "data/signed/"+key+"/"+f.koji.rpm.Arch+"/"+f.FileName())})
		}
		if k.allowUnsigned() {
			copies = append(copies, rpmCopy{URL: k.fileURL(f.koji.build, f.koji.rpm.Arch+"/"+f.FileName())})
		}
		if len(copies) == 0 {
			missing = append(missing, f.NEVRA.String())
			continue
		}
		f.copies = copies
		f.Sigkey, f.URL = copies[0].Sigkey, copies[0].URL
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return &SigkeyError{Sigkeys: slices.Clone(k.Sigkeys), RPMs: slices.Compact(missing)}
	}
	return nil
}

func (k *KojiSource) fileURL(b *koji.Build, rel string) string {
	return strings.TrimRight(k.TopURL, "/") + "/packages/" + path.Join(url.PathEscape(b.Name), url.PathEscape(b.Version), url.PathEscape(b.Release)) + "/" + rel
}

func (k *KojiSource) httpClient() *http.Client {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.HTTP == nil {
		// Keep a connection per download worker alive between files.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		k.HTTP = &http.Client{Timeout: 5 * time.Minute, Transport: t}
	}
	return k.HTTP
}

// get reads a (small) file from the top URL, into one buffer of the
// announced size.
func (k *KojiSource) get(ctx context.Context, u string) ([]byte, error) {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		return os.ReadFile(p)
	}
	resp, err := k.open(ctx, u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n < 64<<20 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// copyBufs are the buffers of copyURL (one per download worker at a time).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func (k *KojiSource) copyURL(ctx context.Context, u string, w io.Writer) (int64, error) {
	var r io.Reader
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		r = f
	} else {
		resp, err := k.open(ctx, u)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		r = resp.Body
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	return io.CopyBuffer(w, r, *buf)
}

// open GETs u; a status other than 200 is an error (wrapping
// os.ErrNotExist for 404).
func (k *KojiSource) open(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err := fmt.Errorf("GET %s: %s", u, resp.Status)
		if resp.StatusCode == http.StatusNotFound {
			err = fmt.Errorf("%w (%w)", err, os.ErrNotExist)
		}
		return nil, err
	}
	return resp, nil
}

// Fetch downloads the files (four at a time) into dir/<sigkey or
// "unsigned">/<file name>, computing their SHA-256. The copies of koji
// RPMs are chosen by Sigkeys first (a *SigkeyError names every RPM
// without an allowed copy), unless a compose already chose them.
func (k *KojiSource) Fetch(ctx context.Context, files []*RPMFile, dir string) error {
	if err := k.chooseCopies(ctx, files); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	work := make(chan *RPMFile)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := k.fetchOne(ctx, f, dir); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	// Builds that share an RPM (a source RPM behind many modules) have
	// their own RPMFile for it: each file is downloaded once.
	dups := map[string][]*RPMFile{}
	for _, f := range files {
		if f.Path != "" || f.URL == "" {
			continue
		}
		key := f.URL
		if f.koji != nil {
			key = strconv.FormatInt(f.koji.rpm.ID, 10)
		}
		dups[key] = append(dups[key], f)
		if len(dups[key]) == 1 {
			work <- f
		}
	}
	close(work)
	wg.Wait()
	for _, fs := range dups {
		for _, d := range fs[1:] {
			d.Path, d.SHA256, d.Sigkey, d.URL = fs[0].Path, fs[0].SHA256, fs[0].Sigkey, fs[0].URL
		}
	}
	return errors.Join(errs...)
}

func (k *KojiSource) fetchOne(ctx context.Context, f *RPMFile, dir string) error {
	copies := f.copies
	if len(copies) == 0 {
		copies = []rpmCopy{{Sigkey: f.Sigkey, URL: f.URL}}
	}
	var tried []string
	for i, c := range copies {
		err := k.download(ctx, f, c, dir)
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) || ctx.Err() != nil {
			return err
		}
		// As Pungi does, a copy that is not there gives way to the next
		// one in the order of the sigkeys.
		tried = append(tried, c.URL)
		if i == len(copies)-1 {
			return fmt.Errorf("compose: no copy of %s could be downloaded (tried %s): %w", f.FileName(), strings.Join(tried, ", "), err)
		}
	}
	return nil
}

// download fetches one copy of f into dir/<sigkey or "unsigned">/.
func (k *KojiSource) download(ctx context.Context, f *RPMFile, c rpmCopy, dir string) error {
	sub := c.Sigkey
	if sub == "" {
		sub = "unsigned"
	}
	dst := filepath.Join(dir, sub, f.FileName())
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	// A top URL on a mounted koji volume (file://): the file is linked, as
	// Pungi links from the volume (its hardlink-or-copy), and only read for
	// its checksum; it is copied when it cannot be linked (another file
	// system). A missing file stays os.ErrNotExist (the next copy is
	// tried).
	if p, ok := strings.CutPrefix(c.URL, "file://"); ok {
		err := os.Link(p, dst)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("compose: downloading %s: %w", f.FileName(), err)
		}
		if err == nil {
			sum, err := fileSHA256(dst)
			if err != nil {
				os.Remove(dst)
				return fmt.Errorf("compose: downloading %s: %w", f.FileName(), err)
			}
			f.Path, f.SHA256, f.Sigkey, f.URL = dst, sum, c.Sigkey, c.URL
			return nil
		}
	}
	// The download directory belongs to this compose alone: a file is
	// written in place and removed when the download fails.
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	h := sha256.New()
	_, err = k.copyURL(ctx, c.URL, io.MultiWriter(out, h))
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("compose: downloading %s: %w", f.FileName(), err)
	}
	f.Path, f.SHA256, f.Sigkey, f.URL = dst, hex.EncodeToString(h.Sum(nil)), c.Sigkey, c.URL
	return nil
}

// RPMFiles describes koji RPMs (of any builds, modular or not) as files
// to Fetch: the preferred signed copy by Sigkeys, its URL under TopURL
// and its source RPM. On-demand composes of koji tags and builds use it.
func (k *KojiSource) RPMFiles(ctx context.Context, rpms []koji.RPM) ([]*RPMFile, error) {
	k.mu.Lock()
	if k.builds == nil {
		k.builds = map[int64]*koji.Build{}
		k.sources = map[int64][]koji.RPM{}
	}
	k.mu.Unlock()
	out := make([]*RPMFile, 0, len(rpms))
	for _, r := range rpms {
		f, err := k.rpmFile(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
