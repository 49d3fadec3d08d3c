package compose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

	once      sync.Once
	onceErr   error
	eventTime time.Time
	mu        sync.Mutex
	builds    map[int64]*koji.Build
	converted map[int64]*Build
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
	var out []*Build
	for i := range found {
		kb := &found[i]
		if kb.CreationEventID > ev || (!k.eventTime.IsZero() && kb.CompletionTime.After(k.eventTime)) {
			continue // completed after the compose's event
		}
		b, err := k.convert(ctx, kb)
		if err != nil {
			return nil, err
		}
		if b != nil {
			out = append(out, b)
		}
	}
	return selectExplicit(spec, out), nil
}

// Tagged lists the module builds of tag (with inheritance) at the event;
// for each name:stream only builds of the topmost tag that has any count.
func (k *KojiSource) Tagged(ctx context.Context, tag string) ([]*Build, error) {
	ev, err := k.PinEvent(ctx)
	if err != nil {
		return nil, err
	}
	tagged, err := k.Client.ListTagged(ctx, koji.Name(tag), &koji.ListTaggedOptions{Event: ev, Inherit: true, Type: "module"})
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
	top := map[string]int{}
	var all []*Build
	for i := range tagged {
		kb := &tagged[i]
		b, err := k.convert(ctx, kb)
		if err != nil {
			return nil, err
		}
		if b == nil {
			continue
		}
		c := *b
		c.Tag = kb.TagName
		ns := c.Name + ":" + c.Stream
		d, ok := depth[kb.TagName]
		if !ok {
			d = 1 << 20
		}
		if cur, seen := top[ns]; !seen || d < cur {
			top[ns] = d
		}
		all = append(all, &c)
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

// convert reads a koji module build: its typeinfo, its modulemd.<arch>.txt
// archives and the RPMs of each arch. It returns nil for builds Pungi
// skips (no module typeinfo, only one modulemd file).
func (k *KojiSource) convert(ctx context.Context, kb *koji.Build) (*Build, error) {
	k.mu.Lock()
	if b, ok := k.converted[kb.ID]; ok {
		k.mu.Unlock()
		return b, nil
	}
	k.mu.Unlock()
	full := kb
	if kb.Extra == nil {
		var err error
		if full, err = k.Client.GetBuild(ctx, koji.ID(kb.ID)); err != nil {
			return nil, fmt.Errorf("compose: koji getBuild %d: %w", kb.ID, err)
		}
	}
	info := full.ModuleInfo()
	if info == nil || full.State != koji.BuildComplete {
		return nil, nil
	}
	version, err := strconv.ParseUint(info.Version, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("compose: koji build %s: module version %q: %w", full.NVR, info.Version, err)
	}
	archives, err := k.Client.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: full.ID, Type: "module"})
	if err != nil {
		return nil, fmt.Errorf("compose: koji listArchives %s: %w", full.NVR, err)
	}
	b := &Build{Name: info.Name, Stream: info.Stream, Version: version, Context: info.Context, KojiTag: info.ContentKojiTag,
		Streams: map[string]*modulemd.Stream{}, Completed: full.CompletionTime, Origin: "koji build " + full.NVR}
	seen := map[modulemd.NEVRA]bool{}
	srcBuilds := map[int64]bool{}
	modFiles := 0
	for _, a := range archives {
		if !strings.HasPrefix(a.Filename, "modulemd.") || !strings.HasSuffix(a.Filename, ".txt") {
			continue
		}
		modFiles++
		arch := strings.TrimSuffix(strings.TrimPrefix(a.Filename, "modulemd."), ".txt")
		if arch == "" || arch == "txt" || arch == "src" || strings.Contains(arch, ".") {
			continue
		}
		u := k.fileURL(full, "files/module/"+a.Filename)
		data, err := k.get(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("compose: koji build %s: %w", full.NVR, err)
		}
		docs, err := modulemd.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("compose: koji build %s: %s: %w", full.NVR, a.Filename, err)
		}
		var st *modulemd.Stream
		for _, d := range docs {
			if s, ok := d.(*modulemd.Stream); ok {
				st = s
			}
		}
		if st == nil {
			return nil, fmt.Errorf("compose: koji build %s: %s holds no module stream", full.NVR, a.Filename)
		}
		if st.Arch == "" {
			st.Arch = arch
		}
		b.Streams[arch] = st
		comps, err := k.Client.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: a.ID})
		if err != nil {
			return nil, fmt.Errorf("compose: koji listRPMs of %s %s: %w", full.NVR, a.Filename, err)
		}
		for _, r := range comps {
			f, err := k.rpmFile(ctx, r)
			if err != nil {
				return nil, err
			}
			if !seen[f.NEVRA] {
				seen[f.NEVRA] = true
				b.RPMs = append(b.RPMs, f)
			}
			srcBuilds[r.BuildID] = true
		}
	}
	if modFiles <= 1 {
		return nil, nil // too old: no per-arch metadata (Pungi skips these)
	}
	for _, id := range slices.Sorted(func(yield func(int64) bool) {
		for id := range srcBuilds {
			if !yield(id) {
				return
			}
		}
	}) {
		srcs, err := k.Client.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: id, Arches: []string{"src", "nosrc"}})
		if err != nil {
			return nil, fmt.Errorf("compose: koji listRPMs of build %d: %w", id, err)
		}
		for _, r := range srcs {
			f, err := k.rpmFile(ctx, r)
			if err != nil {
				return nil, err
			}
			if !seen[f.NEVRA] {
				seen[f.NEVRA] = true
				b.RPMs = append(b.RPMs, f)
			}
		}
	}
	k.mu.Lock()
	if k.converted == nil {
		k.converted = map[int64]*Build{}
	}
	k.converted[kb.ID] = b
	k.mu.Unlock()
	return b, nil
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
		if k.builds == nil {
			k.builds = map[int64]*koji.Build{}
		}
		k.builds[r.BuildID] = kb
		k.mu.Unlock()
	}
	n := modulemd.NEVRA{Name: r.Name, Version: r.Version, Release: r.Release, Arch: r.Arch}
	if r.Epoch != nil {
		n.Epoch = uint64(*r.Epoch)
	}
	f := &RPMFile{NEVRA: n}
	key, err := k.sigkey(ctx, r)
	if err != nil {
		return nil, err
	}
	f.Sigkey = key
	rel := r.Arch + "/" + f.FileName()
	if key != "" {
		rel = "data/signed/" + key + "/" + rel
	}
	f.URL = k.fileURL(kb, rel)
	if r.Arch != "src" && r.Arch != "nosrc" {
		epoch := 0
		if kb.Epoch != nil {
			epoch = *kb.Epoch
		}
		f.SourceRPM = fmt.Sprintf("%s-%d:%s-%s.src", kb.Name, epoch, kb.Version, kb.Release)
	}
	return f, nil
}

// sigkey picks the preferred signature of an RPM: the first of Sigkeys
// the hub has for it; "" for an unsigned copy when that is allowed.
func (k *KojiSource) sigkey(ctx context.Context, r koji.RPM) (string, error) {
	allowUnsigned := len(k.Sigkeys) == 0 || slices.Contains(k.Sigkeys, "")
	if len(k.Sigkeys) == 0 || (len(k.Sigkeys) == 1 && k.Sigkeys[0] == "") {
		return "", nil
	}
	var sigs []struct {
		Sigkey string `xmlrpc:"sigkey"`
	}
	if err := k.Client.Call(ctx, "queryRPMSigs", &sigs, r.ID); err != nil {
		return "", fmt.Errorf("compose: koji queryRPMSigs %s: %w", r.NEVRA(), err)
	}
	for _, want := range k.Sigkeys {
		for _, s := range sigs {
			if want != "" && strings.EqualFold(s.Sigkey, want) {
				return strings.ToLower(want), nil
			}
		}
	}
	if allowUnsigned {
		return "", nil
	}
	return "", fmt.Errorf("compose: %s is not signed with any of the keys %s", r.NEVRA(), strings.Join(k.Sigkeys, ", "))
}

func (k *KojiSource) fileURL(b *koji.Build, rel string) string {
	return strings.TrimRight(k.TopURL, "/") + "/packages/" + path.Join(url.PathEscape(b.Name), url.PathEscape(b.Version), url.PathEscape(b.Release)) + "/" + rel
}

func (k *KojiSource) httpClient() *http.Client {
	if k.HTTP != nil {
		return k.HTTP
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

// get reads a (small) file from the top URL.
func (k *KojiSource) get(ctx context.Context, u string) ([]byte, error) {
	var buf strings.Builder
	if _, err := k.copyURL(ctx, u, &buf); err != nil {
		return nil, err
	}
	return []byte(buf.String()), nil
}

func (k *KojiSource) copyURL(ctx context.Context, u string, w io.Writer) (int64, error) {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		return io.Copy(w, f)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := k.httpClient().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return io.Copy(w, resp.Body)
}

// Fetch downloads the files (four at a time) into dir/<sha-free name>,
// computing their SHA-256; a file already there from an earlier run is
// reused when its size matches.
func (k *KojiSource) Fetch(ctx context.Context, files []*RPMFile, dir string) error {
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
	for _, f := range files {
		if f.Path == "" && f.URL != "" {
			work <- f
		}
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

func (k *KojiSource) fetchOne(ctx context.Context, f *RPMFile, dir string) error {
	sub := f.Sigkey
	if sub == "" {
		sub = "unsigned"
	}
	dst := filepath.Join(dir, sub, f.FileName())
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".dl-")
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := k.copyURL(ctx, f.URL, io.MultiWriter(tmp, h)); err != nil {
		tmp.Close()
		return fmt.Errorf("compose: downloading %s: %w", f.FileName(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	f.Path, f.SHA256 = dst, hex.EncodeToString(h.Sum(nil))
	return nil
}
