package compose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/modkit/modkit/koji"
)

// The koji cache keeps, per complete module build, what a compose reads
// about it from the hub and the top URL: the build's module typeinfo, its
// modulemd.<arch>.txt files, the RPM components of each, and the RPM
// builds behind them with their source RPMs. A complete koji build does
// not change (its archives, their components and its RPMs are fixed at
// import), so a repeated compose (a nightly) reads these from disk and
// asks the hub only which builds the tag holds. What can change is not
// cached: tag contents, signatures (queryRPMSigs), the RPM files, and
// draft builds (promoting one changes its release) or modules built from
// them.
//
// Layout: DIR/v1/<first 16 hex digits of sha256(hub URL)>/module-<build
// id>.json, each file the SHA-256 of its JSON body on the first line and
// the body after it. Files are written to a temporary name and renamed,
// so concurrent composes sharing DIR see whole files only; a file whose
// checksum, format or build does not match is ignored and rewritten.

// kojiCacheFormat is the record format; other values are misses.
const kojiCacheFormat = 1

// kojiCache is an open cache directory for one hub.
type kojiCache struct {
	dir string
	hub string // the hub's URL, as records carry it
}

// cachedModule is the record of one complete module build.
type cachedModule struct {
	Format int    `json:"format"`
	Hub    string `json:"hub"`
	// Build is the hub's build info; extra keeps typeinfo.module without
	// modulemd_str (a compose reads the per-arch files).
	Build koji.Build `json:"build"`
	// Archives is set when the build's archives were read: then
	// ModulemdFiles counts its modulemd*.txt archives (Pungi skips builds
	// with one: too old for per-arch metadata) and Arches and RPMBuilds
	// hold what a compose reads. Without it the record holds only the
	// build info of a build that a compose listed but did not select.
	Archives      bool              `json:"archives"`
	ModulemdFiles int               `json:"modulemd_files"`
	Arches        []cachedArch      `json:"arches"`
	RPMBuilds     []cachedRPMBuilds `json:"rpm_builds"`
}

// cachedArch is one modulemd.<arch>.txt archive.
type cachedArch struct {
	Arch      string      `json:"arch"`
	ArchiveID int64       `json:"archive_id"`
	Filename  string      `json:"filename"`
	Modulemd  string      `json:"modulemd"`
	RPMs      []cachedRPM `json:"rpms"`
}

// cachedRPMBuilds is an RPM build behind components, with its source RPMs.
type cachedRPMBuilds struct {
	Build   koji.Build  `json:"build"`
	Sources []cachedRPM `json:"sources"`
}

// cachedRPM is what a compose reads of a koji RPM.
type cachedRPM struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Release string `json:"release"`
	Epoch   *int   `json:"epoch"`
	Arch    string `json:"arch"`
	BuildID int64  `json:"build_id"`
}

func toCachedRPMs(rs []koji.RPM) []cachedRPM {
	out := make([]cachedRPM, len(rs))
	for i, r := range rs {
		out[i] = cachedRPM{ID: r.ID, Name: r.Name, Version: r.Version, Release: r.Release, Epoch: r.Epoch, Arch: r.Arch, BuildID: r.BuildID}
	}
	return out
}

func fromCachedRPMs(rs []cachedRPM) []koji.RPM {
	out := make([]koji.RPM, len(rs))
	for i, r := range rs {
		out[i] = koji.RPM{ID: r.ID, Name: r.Name, Version: r.Version, Release: r.Release, Epoch: r.Epoch, Arch: r.Arch, BuildID: r.BuildID}
	}
	return out
}

func openKojiCache(root, hub string) (*kojiCache, error) {
	sum := sha256.Sum256([]byte(strings.TrimRight(hub, "/")))
	dir := filepath.Join(root, "v1", hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("compose: koji cache: %w", err)
	}
	return &kojiCache{dir: dir, hub: hub}, nil
}

func (c *kojiCache) path(id int64) string {
	return filepath.Join(c.dir, "module-"+strconv.FormatInt(id, 10)+".json")
}

// load returns the record of build id, or nil when there is none or it
// is damaged.
func (c *kojiCache) load(id int64) *cachedModule {
	data, err := os.ReadFile(c.path(id))
	if err != nil {
		return nil
	}
	rec, err := decodeCacheRecord(data)
	if err != nil || rec.Build.ID != id || rec.Hub != c.hub {
		return nil
	}
	return rec
}

// decodeCacheRecord checks and decodes a record file.
func decodeCacheRecord(data []byte) (*cachedModule, error) {
	head, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok || len(head) != 64 {
		return nil, errors.New("no checksum line")
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != string(head) {
		return nil, errors.New("checksum mismatch")
	}
	var rec cachedModule
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, err
	}
	if rec.Format != kojiCacheFormat || rec.Build.State != koji.BuildComplete || rec.Build.Draft || rec.Build.ModuleInfo() == nil {
		return nil, errors.New("not a record of a complete module build")
	}
	return &rec, nil
}

// store writes rec atomically (writeFileAtomic): the SHA-256 of the body
// on the first line, the JSON body after it.
func (c *kojiCache) store(rec *cachedModule) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	data := append([]byte(hex.EncodeToString(sum[:])+"\n"), body...)
	if err := writeFileAtomic(c.path(rec.Build.ID), data); err != nil {
		return fmt.Errorf("compose: koji cache: %w", err)
	}
	return nil
}

// cacheableBuild is kb with its extra reduced to what a compose reads
// (typeinfo.module without modulemd_str).
func cacheableBuild(kb *koji.Build) koji.Build {
	out := *kb
	out.TagID, out.TagName, out.TagEvent = 0, "", 0
	ti, _ := kb.Extra["typeinfo"].(map[string]any)
	if m, ok := ti["module"].(map[string]any); ok {
		mod := make(map[string]any, len(m))
		for k, v := range m {
			if k != "modulemd_str" {
				mod[k] = v
			}
		}
		out.Extra = map[string]any{"typeinfo": map[string]any{"module": mod}}
	}
	return out
}
