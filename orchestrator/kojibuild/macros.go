package kojibuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// MacrosSRPM writes the module-build-macros spec of mb (the one the local
// builder builds: [orchestrator.MacrosSpec] with
// [orchestrator.MacrosConflicts]) into a new directory under dir and makes
// its source RPM with rpmbuild -bs. It returns the SRPM's path.
func MacrosSRPM(ctx context.Context, dir string, mb *orchestrator.ModuleBuild, st *modulemd.Stream) (string, error) {
	if mb.DistTag == "" {
		return "", fmt.Errorf("module build %s has no dist tag", mb.NSVC())
	}
	top, err := os.MkdirTemp(dir, "modkit-macros-")
	if err != nil {
		return "", err
	}
	spec := filepath.Join(top, orchestrator.MacrosPackage+".spec")
	if err := os.WriteFile(spec, []byte(orchestrator.MacrosSpec(mb, st, orchestrator.MacrosConflicts(st))), 0o644); err != nil {
		return "", err
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "rpmbuild", "-bs", "--define", "_topdir "+top, "--define", "_sourcedir "+top,
		"--define", "_specdir "+top, "--define", "_srcrpmdir "+top, spec)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", fmt.Errorf("rpmbuild is not installed (it makes the module-build-macros SRPM; install the rpm-build or rpm package): %w", err)
		}
		return "", fmt.Errorf("rpmbuild -bs %s: %v\n%s", spec, err, out.Bytes())
	}
	matches, _ := filepath.Glob(filepath.Join(top, orchestrator.MacrosPackage+"-*.src.rpm"))
	if len(matches) != 1 {
		return "", fmt.Errorf("rpmbuild -bs %s made %d source RPMs, want 1:\n%s", spec, len(matches), out.Bytes())
	}
	return matches[0], nil
}

// uploadMacros makes the module-build-macros SRPM and uploads it to
// cli-build/modkit-<module id>-<attempt>/, returning the build source.
func (b *Builder) uploadMacros(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (string, error) {
	st, err := decode(mb.Modulemd)
	if err != nil {
		return "", err
	}
	dir := b.opts.WorkDir
	if dir == "" {
		dir = os.TempDir()
	}
	path, err := MacrosSRPM(ctx, dir, mb, st)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(filepath.Dir(path))
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	upDir := fmt.Sprintf("cli-build/modkit-%d-%d", mb.ID, c.Attempt)
	name := filepath.Base(path)
	t := time.Now()
	_, err = b.c.Upload(ctx, f, upDir, name, &koji.UploadOptions{Overwrite: true})
	b.logCall(ctx, mb, c.ID, t, err, "upload %s to %s", name, upDir)
	if err != nil {
		return "", err
	}
	b.info(ctx, mb, c.ID, "Made %s with rpmbuild -bs and uploaded it to %s.", name, upDir)
	return upDir + "/" + name, nil
}

// decode reads the stored modulemd of a module build.
func decode(y string) (*modulemd.Stream, error) {
	docs, err := modulemd.Parse([]byte(y))
	if err != nil {
		return nil, fmt.Errorf("read stored modulemd: %w", err)
	}
	for _, d := range docs {
		if s, ok := d.(*modulemd.Stream); ok {
			return s, nil
		}
	}
	return nil, errors.New("read stored modulemd: no module stream document")
}
