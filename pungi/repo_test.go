package pungi

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
)

func requireTools(t *testing.T, progs ...string) {
	t.Helper()
	testenv.RequireTools(t, progs...)
}

// buildRPM builds a tiny noarch package with rpmbuild and returns the paths
// of its binary and source RPMs.
func buildRPM(t *testing.T, dir, name, license string) (string, string) {
	t.Helper()
	spec := filepath.Join(dir, name+".spec")
	text := "Name: " + name + "\nVersion: 1.0\nRelease: 1\nSummary: test\nLicense: " + license +
		"\nBuildArch: noarch\n%description\ntest\n%install\nmkdir -p %{buildroot}/usr/share/" + name +
		"\necho " + name + " > %{buildroot}/usr/share/" + name + "/f\n%files\n/usr/share/" + name + "/f\n"
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(dir, "top-"+name)
	out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	return filepath.Join(top, "RPMS", "noarch", name+"-1.0-1.noarch.rpm"), filepath.Join(top, "SRPMS", name+"-1.0-1.src.rpm")
}

func TestWriteRepo(t *testing.T) {
	t.Parallel()
	requireTools(t, "rpm", "rpmbuild", "createrepo_c", "modifyrepo_c")
	ctx := context.Background()
	work := t.TempDir()
	fooBin, fooSrc := buildRPM(t, work, "foo", "MIT")
	devBin, _ := buildRPM(t, work, "foo-devel", "BSD-3-Clause")

	got, err := ReadRPMs(ctx, []string{fooBin, fooSrc})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Arch != "noarch" || got[1].Arch != "src" || got[0].SourceRPM != "foo-1.0-1.src.rpm" || got[1].SourceRPM != "" {
		t.Errorf("ReadRPMs: arch/sourcerpm = %s/%s, %s/%s", got[0].Arch, got[0].SourceRPM, got[1].Arch, got[1].SourceRPM)
	}
	if len(got[0].SHA256) != 64 || !strings.Contains(strings.Join(got[0].Provides, " "), "foo = 1.0-1") {
		t.Errorf("ReadRPMs: sha256 %q, provides %q", got[0].SHA256, got[0].Provides)
	}

	st := &modulemd.Stream{MDVersionNumber: 2, Name: "foo", Stream: "1", Version: 3, Context: "c0ffee42", Arch: "x86_64",
		Summary: "s", Description: "d", License: modulemd.License{Module: []string{"MIT"}}, Filter: []string{"foo-devel"},
		Profiles: map[string]modulemd.Profile{"default": {RPMs: []string{"foo"}}}}
	dir := filepath.Join(work, "repo")
	def := &modulemd.Defaults{MDVersionNumber: 1, Module: "foo", Stream: "1", Profiles: map[string][]string{"1": {"default"}}}
	other := &modulemd.Defaults{MDVersionNumber: 1, Module: "absent", Stream: "1"}
	for range 2 { // writing twice replaces the repository
		repo, err := WriteRepo(ctx, dir, []RepoModule{{Stream: st, RPMs: []string{fooBin, fooSrc, devBin}}},
			&RepoOptions{Defaults: []*modulemd.Defaults{def, other}, SourceDir: filepath.Join(work, "source")})
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, d := range []string{dir, repo.SourceDir} {
			m, _ := filepath.Glob(filepath.Join(d, "Packages", "*.rpm"))
			for _, f := range m {
				files = append(files, filepath.Base(f))
			}
		}
		if diff := cmp.Diff([]string{"foo-1.0-1.noarch.rpm", "foo-1.0-1.src.rpm"}, files); diff != "" {
			t.Errorf("packages (-want +got; the filtered foo-devel left out):\n%s", diff)
		}
	}
	yml, err := ReadModulesMetadata(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := modulemd.ReadIndex(bytes.NewReader(yml), nil)
	if err != nil {
		t.Fatalf("modules.yaml does not load: %v\n%s", err, yml)
	}
	if diff := cmp.Diff([]string{"foo"}, idx.ModuleNames()); diff != "" {
		t.Errorf("modules (-want +got; defaults of absent modules are dropped):\n%s", diff)
	}
	s := idx.Streams()[0]
	if diff := cmp.Diff([]string{"foo-0:1.0-1.noarch", "foo-0:1.0-1.src"}, s.Artifacts.RPMs); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	if idx.Defaults("foo") == nil || idx.Defaults("foo").Stream != "1" {
		t.Errorf("defaults of foo missing from modules.yaml")
	}
	// The metadata is stored gzip-compressed under repodata/.
	m, _ := filepath.Glob(filepath.Join(dir, "repodata", "*modules.yaml.gz"))
	if len(m) != 1 {
		t.Fatalf("repodata has %d modules.yaml.gz files, want 1", len(m))
	}
	f, _ := os.Open(m[0])
	defer f.Close()
	if _, err := gzip.NewReader(f); err != nil {
		t.Errorf("%s is not gzip: %v", m[0], err)
	}
}

func TestReadRPMsBadFile(t *testing.T) {
	t.Parallel()
	requireTools(t, "rpm")
	p := filepath.Join(t.TempDir(), "junk.rpm")
	if err := os.WriteFile(p, []byte("not an rpm"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadRPMs(context.Background(), []string{p})
	if err == nil || !strings.Contains(err.Error(), "junk.rpm: not a readable RPM") {
		t.Errorf("error = %v, want it to name the file", err)
	}
}

func TestVerifyRepoNoModules(t *testing.T) {
	t.Parallel()
	requireTools(t, "dnf", "rpm", "createrepo_c")
	dir := t.TempDir()
	if err := CreateRepo(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	_, err := VerifyRepo(context.Background(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), "has no modules metadata") {
		t.Errorf("error = %v, want 'has no modules metadata'", err)
	}
	if _, err := VerifyRepo(context.Background(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "is not a repository") {
		t.Errorf("error for a plain directory = %v, want 'is not a repository'", err)
	}
}
