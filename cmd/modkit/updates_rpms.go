package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/pungi/compose"
)

// kojiRPMs finds and downloads the RPMs of module builds for updates push,
// with the compose's koji code (per-arch module metadata, the RPMs of each
// arch, preferred signed copies).
type kojiRPMs struct {
	src      *compose.KojiSource
	arch     string
	dir      string // download directory
	progress func(string)

	mu    sync.Mutex
	files int
	bytes int64
}

// rpmFiles returns the paths of the RPM files of module build b that the
// repository for f.arch carries: its binary RPMs of that arch and noarch,
// and its source RPMs (which go into the module's artifacts).
func (f *kojiRPMs) rpmFiles(ctx context.Context, b *koji.Build) ([]string, error) {
	bs, err := f.src.Builds(ctx, b)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("koji build %s: not a complete module build with per-arch module metadata (files/module/modulemd.<arch>.txt), so its RPMs cannot be found (Pungi skips such builds)", b.NVR)
	}
	mb := bs[0]
	if _, ok := mb.Streams[f.arch]; !ok {
		return nil, fmt.Errorf("koji build %s: not built for %s (its arches: %s)", b.NVR, f.arch, strings.Join(slices.Sorted(maps.Keys(mb.Streams)), ", "))
	}
	var want []*compose.RPMFile
	for _, r := range mb.RPMs {
		switch r.NEVRA.Arch {
		case f.arch, "noarch", "src", "nosrc":
			want = append(want, r)
		}
	}
	start := time.Now()
	if f.progress != nil {
		f.progress(fmt.Sprintf("downloading %d RPM(s) of %s from %s", len(want), b.NVR, f.src.TopURL))
	}
	if err := f.src.Fetch(ctx, want, f.dir); err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(want))
	var size int64
	for _, r := range want {
		if r.Path == "" {
			return nil, fmt.Errorf("koji build %s: %s was not downloaded", b.NVR, r.FileName())
		}
		if fi, err := os.Stat(r.Path); err == nil {
			size += fi.Size()
		}
		paths = append(paths, r.Path)
	}
	f.mu.Lock()
	f.files += len(paths)
	f.bytes += size
	f.mu.Unlock()
	if f.progress != nil {
		f.progress(fmt.Sprintf("downloaded %d RPM(s) of %s (%s) in %s", len(paths), b.NVR, humanBytes(size), time.Since(start).Round(time.Millisecond)))
	}
	return paths, nil
}

// defaultTopURL is koji's file server for a hub URL: $KOJI_TOPURL, the
// local hub's top directory ($KOJI_TOPDIR, as koji-hub up prints it), or
// the hub URL with /kojihub replaced by /kojifiles (Fedora's layout).
func defaultTopURL(hub string) string {
	if v := os.Getenv("KOJI_TOPURL"); v != "" {
		return v
	}
	if v := os.Getenv("KOJI_TOPDIR"); v != "" && os.Getenv("KOJI_HUB_URL") == hub {
		return "file://" + v
	}
	return strings.TrimSuffix(strings.TrimRight(hub, "/"), "/kojihub") + "/kojifiles"
}

// humanBytes writes n as kB or MB (powers of 1000) with one decimal.
func humanBytes(n int64) string {
	if n < 1_000_000 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
