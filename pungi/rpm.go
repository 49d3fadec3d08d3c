package pungi

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/cavaliergopher/rpm"

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

// ReadRPMs reads the headers of the given RPM files (in Go, with
// github.com/cavaliergopher/rpm: no rpm process) and checksums the files,
// reading each file once. The result is in the order of paths. The
// signatures and digests are not verified, as `rpm -qp --nosignature
// --nodigest` does not.
func ReadRPMs(ctx context.Context, paths []string) ([]RPM, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	out := make([]RPM, len(paths))
	errs := make([]error, len(paths))
	// Reading is I/O and hashing: a few files at a time.
	sem := make(chan struct{}, min(4, len(paths)))
	var wg sync.WaitGroup
	for i, p := range paths {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = readRPM(p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Header tags read by readRPM (rpm's include/rpm/rpmtag.h).
const (
	tagLicense         = 1014
	tagSourceRPM       = 1044
	tagRequireFlags    = 1048
	tagRequireName     = 1049
	tagRequireVersion  = 1050
	tagProvideName     = 1047
	tagProvideFlags    = 1112
	tagProvideVersion  = 1113
	tagModularityLabel = 5096
)

// readRPM reads one file's header and checksum.
func readRPM(path string) (RPM, error) {
	f, err := os.Open(path)
	if err != nil {
		return RPM{}, fmt.Errorf("pungi: %w", err)
	}
	defer f.Close()
	return decodeRPM(f, path)
}

// decodeRPM reads an RPM file's header from f, and the rest of it for its
// checksum; path names it in errors and in the result.
func decodeRPM(f io.Reader, path string) (RPM, error) {
	h := sha256.New()
	tee, err := guardHeaders(io.TeeReader(f, h))
	if err != nil {
		return RPM{}, fmt.Errorf("pungi: %s: not a readable RPM: %v", path, err)
	}
	pkg, err := readPackage(fullReader{bufio.NewReader(tee)})
	if err != nil {
		return RPM{}, fmt.Errorf("pungi: %s: not a readable RPM: %v", path, err)
	}
	// The rest of the file (what the buffered reader did not take).
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return RPM{}, fmt.Errorf("pungi: checksum %s: %w", path, err)
	}
	hdr := &pkg.Header
	r := RPM{
		Path:            path,
		Name:            pkg.Name(),
		Version:         pkg.Version(),
		Release:         pkg.Release(),
		Arch:            pkg.Architecture(),
		License:         hdr.GetTag(tagLicense).String(),
		SourceRPM:       hdr.GetTag(tagSourceRPM).String(),
		ModularityLabel: hdr.GetTag(tagModularityLabel).String(),
		SHA256:          hex.EncodeToString(h.Sum(nil)),
	}
	if r.Name == "" || r.Version == "" {
		return RPM{}, fmt.Errorf("pungi: %s: not a readable RPM: the header has no name or version", path)
	}
	if e := hdr.GetTag(1003).Int64(); e > 0 {
		r.Epoch = uint64(e)
	}
	// A source RPM has no SOURCERPM tag; its ARCH is the build host's.
	if r.SourceRPM == "" {
		r.Arch = "src"
	}
	r.Provides = deps(hdr, tagProvideName, tagProvideFlags, tagProvideVersion)
	r.Requires = slices.DeleteFunc(deps(hdr, tagRequireName, tagRequireFlags, tagRequireVersion),
		func(d string) bool { return strings.HasPrefix(d, "rpmlib(") })
	if len(r.Requires) == 0 {
		r.Requires = nil
	}
	return r, nil
}

// readPackage is rpm.Read that turns a panic on malformed input into an
// error.
func readPackage(r io.Reader) (pkg *rpm.Package, err error) {
	defer func() {
		if p := recover(); p != nil {
			pkg, err = nil, fmt.Errorf("malformed header (%v)", p)
		}
	}()
	return rpm.Read(r)
}

// fullReader makes every Read fill p unless the input ends: rpm.Read reads
// index entries with single Read calls, which a buffered reader may cut
// short at its buffer's end.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) { return io.ReadFull(f.r, p) }

// Dependency sense flags (rpm's rpmsenseFlags).
const (
	senseLess    = 1 << 1
	senseGreater = 1 << 2
	senseEqual   = 1 << 3
)

// deps formats a dependency list as rpm's %{PROVIDENEVRS} and
// %{REQUIRENEVRS} do: "name", "name >= evr", with the EVR as stored.
func deps(hdr *rpm.Header, nameTag, flagsTag, versionTag int) []string {
	names := hdr.GetTag(nameTag).StringSlice()
	flags := hdr.GetTag(flagsTag).Int64Slice()
	versions := hdr.GetTag(versionTag).StringSlice()
	var out []string
	for i, n := range names {
		var fl int64
		if i < len(flags) {
			fl = flags[i]
		}
		var b strings.Builder
		b.WriteString(n)
		op := ""
		if fl&senseLess != 0 {
			op += "<"
		}
		if fl&senseGreater != 0 {
			op += ">"
		}
		if fl&senseEqual != 0 {
			op += "="
		}
		if op != "" {
			b.WriteString(" " + op)
		}
		if i < len(versions) && versions[i] != "" {
			b.WriteString(" " + versions[i])
		}
		out = append(out, b.String())
	}
	return out
}
