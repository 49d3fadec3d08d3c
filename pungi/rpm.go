package pungi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/modkit/modkit/internal/systool"
	"github.com/modkit/modkit/modulemd"
)

// RPM is what a repository writer needs to know about one RPM file.
type RPM struct {
	Path    string // the file it was read from
	Name    string
	Epoch   uint64
	Version string
	Release string
	// Arch is "src" for a source RPM, as in artifacts and repositories.
	Arch      string
	License   string
	SourceRPM string // file name of the source RPM; empty for a source RPM
	// ModularityLabel is the RPM's ModularityLabel header, when set.
	ModularityLabel string
	// Provides lists the capabilities the package provides, as rpm prints
	// them ("name", "name = 0:1.0-1").
	Provides []string
	// Requires lists the package's requirements as rpm prints them,
	// without the rpmlib() ones.
	Requires []string
	// SHA256 is the hex checksum of the file (the one createrepo_c records
	// and artifacts.rpm-map refers to).
	SHA256 string
}

// IsSource reports whether r is a source RPM.
func (r *RPM) IsSource() bool { return r.Arch == "src" }

// NEVRA returns r's identity.
func (r *RPM) NEVRA() modulemd.NEVRA {
	return modulemd.NEVRA{Name: r.Name, Epoch: r.Epoch, Version: r.Version, Release: r.Release, Arch: r.Arch}
}

// NVR returns "name-version-release".
func (r *RPM) NVR() string { return r.Name + "-" + r.Version + "-" + r.Release }

// rpmQueryFormat prints one line per package: tab-separated fields, the
// provides separated by vertical tabs.
const rpmQueryFormat = `%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%|SOURCERPM?{%{ARCH}}:{src}|\t%{LICENSE}\t%|SOURCERPM?{%{SOURCERPM}}:{}|\t%|MODULARITYLABEL?{%{MODULARITYLABEL}}:{}|\t[%{PROVIDENEVRS}\v]\t[%{REQUIRENEVRS}\v]\n`

// ReadRPMs reads the headers of the given RPM files with `rpm -qp` and
// checksums the files. The result is in the order of paths. Headers are
// cached by file checksum, so reading the same packages again (a builder
// reading its results, then the batch repository, then the final
// repository) runs rpm only for files it has not seen.
func ReadRPMs(ctx context.Context, paths []string) ([]RPM, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	out := make([]RPM, len(paths))
	var missIdx []int
	var miss []string
	for i, p := range paths {
		sum, err := fileSHA256(p)
		if err != nil {
			return nil, fmt.Errorf("pungi: checksum %s: %w", p, err)
		}
		if r, ok := headers.get(sum); ok {
			r.Path = p
			out[i] = r
			continue
		}
		out[i] = RPM{Path: p, SHA256: sum}
		missIdx = append(missIdx, i)
		miss = append(miss, p)
	}
	if len(miss) == 0 {
		return out, nil
	}
	if err := systool.Check("rpm"); err != nil {
		return nil, fmt.Errorf("pungi: read RPM headers: %w", err)
	}
	const chunk = 200
	for i := 0; i < len(miss); i += chunk {
		part := miss[i:min(i+chunk, len(miss))]
		got, err := queryRPMs(ctx, part)
		if err != nil {
			return nil, err
		}
		for j, r := range got {
			k := missIdx[i+j]
			r.SHA256 = out[k].SHA256
			out[k] = r
			headers.put(r)
		}
	}
	return out, nil
}

// headerCache maps file checksums to the headers read from them.
type headerCache struct {
	mu sync.Mutex
	m  map[string]RPM
}

// maxCachedHeaders bounds the cache of a long-running service; when full it
// starts over.
const maxCachedHeaders = 20000

var headers = &headerCache{m: map[string]RPM{}}

func (c *headerCache) get(sum string) (RPM, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[sum]
	if ok {
		// Callers own their slices.
		r.Provides, r.Requires = slices.Clone(r.Provides), slices.Clone(r.Requires)
	}
	return r, ok
}

func (c *headerCache) put(r RPM) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedHeaders {
		clear(c.m)
	}
	r.Provides, r.Requires = slices.Clone(r.Provides), slices.Clone(r.Requires)
	c.m[r.SHA256] = r
}

// rpmQueries counts rpm -qp runs, for tests.
var rpmQueries atomic.Int64

func queryRPMs(ctx context.Context, paths []string) ([]RPM, error) {
	rpmQueries.Add(1)
	args := append([]string{"-qp", "--nosignature", "--nodigest", "--queryformat", rpmQueryFormat, "--"}, paths...)
	cmd := exec.CommandContext(ctx, "rpm", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if err != nil || len(lines) != len(paths) {
		if len(paths) > 1 {
			// Find the file rpm did not like.
			for _, p := range paths {
				if _, err := queryRPMs(ctx, []string{p}); err != nil {
					return nil, err
				}
			}
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" && err != nil {
			msg = err.Error()
		}
		return nil, fmt.Errorf("pungi: %s: not a readable RPM: %s", paths[0], msg)
	}
	out := make([]RPM, len(paths))
	for i, line := range lines {
		f := strings.Split(line, "\t")
		if len(f) != 10 {
			return nil, fmt.Errorf("pungi: %s: unexpected rpm query output %q", paths[i], line)
		}
		r := RPM{Path: paths[i], Name: f[0], Version: f[2], Release: f[3], Arch: f[4], License: f[5], SourceRPM: f[6], ModularityLabel: f[7]}
		if f[1] != "(none)" {
			e, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("pungi: %s: epoch %q: %w", paths[i], f[1], err)
			}
			r.Epoch = e
		}
		for _, p := range strings.Split(f[8], "\v") {
			if p != "" {
				r.Provides = append(r.Provides, p)
			}
		}
		for _, p := range strings.Split(f[9], "\v") {
			if p != "" && !strings.HasPrefix(p, "rpmlib(") {
				r.Requires = append(r.Requires, p)
			}
		}
		out[i] = r
	}
	return out, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
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
