package pungi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/modkit/modkit/internal/systool"
	"github.com/modkit/modkit/modulemd"
)

// RepoModule is one module stream of a repository and the RPM files built
// for it (binary and source).
type RepoModule struct {
	// Stream is the final module metadata. WriteRepo fills its artifacts
	// and content licences in place.
	Stream *modulemd.Stream
	// RPMs are paths of the module's RPM files.
	RPMs []string
}

// RepoOptions are the optional parts of a repository.
type RepoOptions struct {
	// Defaults and Obsoletes are added to modules.yaml for the modules the
	// repository carries (others are ignored, as Pungi does).
	Defaults  []*modulemd.Defaults
	Obsoletes []*modulemd.Obsoletes
	// ExtraRPMs are non-modular RPM files to include.
	ExtraRPMs []string
	// SourceDir, when set, receives the source RPMs as a separate
	// repository without module metadata (Pungi's source tree). When
	// empty, source RPMs are artifacts but no repository carries them.
	SourceDir string
	// Observe, when set, is called as each program (createrepo_c,
	// modifyrepo_c) starts; the function it returns, when not nil, is
	// called once the program has ended. modkit build uses it to account
	// for the time spent in programs.
	Observe func(program string) (ended func())
}

// Repo describes a written repository.
type Repo struct {
	Dir       string
	SourceDir string // empty when no source repository was written
	// Streams are the module streams with their artifacts filled in, in
	// modules.yaml order.
	Streams []*modulemd.Stream
	// RPMs are the packages in Dir (and SourceDir), by NEVRA.
	RPMs []RPM
	// ModulesYAML is the module metadata added to the repository.
	ModulesYAML []byte
}

// WriteRepo writes a module repository into dir: the modules' RPMs under
// Packages/, repodata from createrepo_c and modules.yaml added with
// `modifyrepo_c --mdtype=modules`. The repository is written beside dir and
// renamed into place, so dir is either the old or the complete new
// repository; calling WriteRepo again with the same input gives the same
// result.
func WriteRepo(ctx context.Context, dir string, modules []RepoModule, opts *RepoOptions) (*Repo, error) {
	if opts == nil {
		opts = &RepoOptions{}
	}
	if err := systool.Check("createrepo_c", "modifyrepo_c"); err != nil {
		return nil, fmt.Errorf("pungi: write repository %s: %w", dir, err)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	repo := &Repo{Dir: dir}
	idx := modulemd.NewIndex(nil)
	present := map[string]bool{}
	var binary, source []RPM
	for _, m := range modules {
		if m.Stream == nil {
			return nil, errors.New("pungi: WriteRepo: a RepoModule has no Stream")
		}
		rpms, err := ReadRPMs(ctx, m.RPMs)
		if err != nil {
			return nil, err
		}
		for _, r := range FillArtifacts(m.Stream, rpms) {
			if r.IsSource() {
				source = append(source, r)
			} else {
				binary = append(binary, r)
			}
		}
		if err := idx.AddStream(m.Stream); err != nil {
			return nil, fmt.Errorf("pungi: module %s: %w", m.Stream.NSVC(), err)
		}
		present[m.Stream.Name] = true
	}
	extra, err := ReadRPMs(ctx, opts.ExtraRPMs)
	if err != nil {
		return nil, err
	}
	for _, r := range extra {
		if r.IsSource() {
			source = append(source, r)
		} else {
			binary = append(binary, r)
		}
	}
	for _, d := range opts.Defaults {
		if present[d.Module] {
			if err := idx.AddDefaults(d); err != nil {
				return nil, fmt.Errorf("pungi: defaults of %s: %w", d.Module, err)
			}
		}
	}
	for _, o := range opts.Obsoletes {
		if present[o.Module] {
			if err := idx.AddObsoletes(o); err != nil {
				return nil, fmt.Errorf("pungi: obsoletes of %s: %w", o.Module, err)
			}
		}
	}
	if len(modules) > 0 {
		repo.ModulesYAML, err = idx.Dump()
		if err != nil {
			return nil, fmt.Errorf("pungi: modules.yaml: %w", err)
		}
	}
	repo.Streams = idx.Streams()

	// The binary and the source repository are independent: write them at
	// the same time.
	var srcErr error
	var wg sync.WaitGroup
	if opts.SourceDir != "" {
		sdir, err := filepath.Abs(opts.SourceDir)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			srcErr = writeRepoDir(ctx, sdir, source, nil, opts.Observe)
		}()
		repo.SourceDir = sdir
	}
	binErr := writeRepoDir(ctx, dir, binary, repo.ModulesYAML, opts.Observe)
	wg.Wait()
	if err := errors.Join(binErr, srcErr); err != nil {
		return nil, err
	}
	repo.RPMs = append(repo.RPMs, binary...)
	if opts.SourceDir != "" {
		repo.RPMs = append(repo.RPMs, source...)
	}
	slices.SortFunc(repo.RPMs, func(a, b RPM) int { return strings.Compare(a.NEVRA().String(), b.NEVRA().String()) })
	return repo, nil
}

// writeRepoDir builds a repository from rpms (and modules.yaml, when not
// nil) next to dir and renames it into place.
func writeRepoDir(ctx context.Context, dir string, rpms []RPM, modulesYAML []byte, observe func(string) func()) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("pungi: %w", err)
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("pungi: %w", err)
	}
	defer os.RemoveAll(stage)
	pkgs := filepath.Join(stage, "Packages")
	if err := os.MkdirAll(pkgs, 0o755); err != nil {
		return fmt.Errorf("pungi: %w", err)
	}
	seen := map[string]string{}
	for _, r := range rpms {
		base := filepath.Base(r.Path)
		if prev, dup := seen[base]; dup {
			if prev == r.SHA256 {
				continue
			}
			return fmt.Errorf("pungi: two different RPMs named %s (%s)", base, r.Path)
		}
		seen[base] = r.SHA256
		if err := linkOrCopy(r.Path, filepath.Join(pkgs, base)); err != nil {
			return fmt.Errorf("pungi: %w", err)
		}
	}
	if err := createRepo(ctx, stage, observe); err != nil {
		return err
	}
	if modulesYAML != nil {
		if err := addModulesMetadata(ctx, stage, modulesYAML, observe); err != nil {
			return err
		}
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = stage + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("pungi: %w", err)
		}
	}
	if err := os.Rename(stage, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return fmt.Errorf("pungi: %w", err)
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return nil
}

// CreateRepo runs createrepo_c over dir (recursively), replacing any
// repodata it had.
func CreateRepo(ctx context.Context, dir string) error {
	return createRepo(ctx, dir, nil)
}

func createRepo(ctx context.Context, dir string, observe func(string) func()) error {
	if err := systool.Check("createrepo_c"); err != nil {
		return fmt.Errorf("pungi: createrepo %s: %w", dir, err)
	}
	return run(ctx, observe, "createrepo_c", "--quiet", "--no-database", "--general-compress-type=gz", "--", dir)
}

// AddModulesMetadata adds modulesYAML to the repository at dir as its
// `modules` metadata (`modifyrepo_c --mdtype=modules`), replacing earlier
// module metadata.
func AddModulesMetadata(ctx context.Context, dir string, modulesYAML []byte) error {
	return addModulesMetadata(ctx, dir, modulesYAML, nil)
}

func addModulesMetadata(ctx context.Context, dir string, modulesYAML []byte, observe func(string) func()) error {
	if err := systool.Check("modifyrepo_c"); err != nil {
		return fmt.Errorf("pungi: add modules.yaml to %s: %w", dir, err)
	}
	repodata := filepath.Join(dir, "repodata")
	if href, _ := RepoDataHref(dir, "modules"); href != "" {
		if err := run(ctx, observe, "modifyrepo_c", "--remove", "modules", repodata); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "modkit-modules-")
	if err != nil {
		return fmt.Errorf("pungi: %w", err)
	}
	defer os.RemoveAll(tmp)
	// modifyrepo_c names the metadata after its input file.
	p := filepath.Join(tmp, "modules.yaml")
	if err := os.WriteFile(p, modulesYAML, 0o644); err != nil {
		return fmt.Errorf("pungi: %w", err)
	}
	return run(ctx, observe, "modifyrepo_c", "--mdtype=modules", "--compress-type=gz", p, repodata)
}

// ReadModulesMetadata returns the (decompressed) modules metadata of the
// repository at dir, or nil when it has none.
func ReadModulesMetadata(dir string) ([]byte, error) {
	href, err := RepoDataHref(dir, "modules")
	if err != nil || href == "" {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(href)))
	if err != nil {
		return nil, fmt.Errorf("pungi: %w", err)
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return nil, fmt.Errorf("pungi: %s: %w", href, err)
	}
	return io.ReadAll(r)
}

// run runs a program; observe (when not nil) is told when it starts and
// ends.
func run(ctx context.Context, observe func(string) func(), name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	var ended func()
	if observe != nil {
		ended = observe(name)
	}
	err := cmd.Run()
	if ended != nil {
		ended()
	}
	if err != nil {
		return fmt.Errorf("pungi: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
