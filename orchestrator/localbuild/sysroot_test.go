package localbuild

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// treeSpec packages a directory, an executable, a plain file, a file with
// two hard links, a relative and an absolute symbolic link and an empty
// file.
const treeSpec = `Name: tree
Version: 1
Release: 1
Summary: s
License: MIT
BuildArch: noarch
%description
d
%install
mkdir -p %{buildroot}/usr/share/tree/sub %{buildroot}/usr/bin
printf '#!/bin/sh\necho hi\n' > %{buildroot}/usr/bin/tree-hi
chmod 0755 %{buildroot}/usr/bin/tree-hi
echo data > %{buildroot}/usr/share/tree/sub/data
chmod 0640 %{buildroot}/usr/share/tree/sub/data
echo linked > %{buildroot}/usr/share/tree/a
ln %{buildroot}/usr/share/tree/a %{buildroot}/usr/share/tree/b
ln -s sub/data %{buildroot}/usr/share/tree/rel
ln -s /usr/bin/tree-hi %{buildroot}/usr/share/tree/abs
: > %{buildroot}/usr/share/tree/empty
%files
%dir /usr/share/tree
/usr/share/tree/sub
/usr/share/tree/a
/usr/share/tree/b
/usr/share/tree/rel
/usr/share/tree/abs
/usr/share/tree/empty
/usr/bin/tree-hi
`

// entry is what the test compares of an unpacked file.
type entry struct {
	Type, Perm, Content string
}

func snapshot(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." || rel == "var" || strings.HasPrefix(rel, "var/lib") || rel == "var/lib" {
			return nil // rpm's database
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := entry{Perm: info.Mode().Perm().String()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			e.Type = "symlink"
			e.Content, _ = os.Readlink(p)
		case info.IsDir():
			e.Type = "dir"
			e.Perm = "" // parents rpm creates itself get its umask
		default:
			e.Type = "file"
			b, _ := os.ReadFile(p)
			e.Content = string(b)
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnpackRPMsMatchesRPM unpacks the same package, built with every
// payload compression rpmbuild offers here, in Go and with rpm --root -i:
// the trees are the same.
func TestUnpackRPMsMatchesRPM(t *testing.T) {
	t.Parallel()
	requireTools(t, "rpm", "rpmbuild")
	work := t.TempDir()
	spec := filepath.Join(work, "tree.spec")
	if err := os.WriteFile(spec, []byte(treeSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, payload := range []string{"w9.gzdio", "w6.xzdio", "w19.zstdio", "w9.bzdio", "w6.lzdio", "w.ufdio"} {
		t.Run(payload, func(t *testing.T) {
			t.Parallel()
			top := filepath.Join(work, payload)
			out, err := exec.Command("rpmbuild", "-bb", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none",
				"--define", "_binary_payload "+payload, spec).CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "payload") || strings.Contains(string(out), "compress") {
					t.Skipf("rpmbuild here cannot write %s payloads: %s", payload, out)
				}
				t.Fatalf("rpmbuild: %v\n%s", err, out)
			}
			pkg := filepath.Join(top, "RPMS", "noarch", "tree-1-1.noarch.rpm")
			viaRPM := filepath.Join(top, "rpm-root")
			if out, err := exec.Command("rpm", "--root="+viaRPM, "--dbpath=/var/lib/rpm", "-i", "--nodeps", "--noscripts",
				"--nosignature", "--nodigest", "--ignorearch", "--", pkg).CombinedOutput(); err != nil {
				t.Fatalf("rpm -i: %v\n%s", err, out)
			}
			viaGo := filepath.Join(top, "go-root")
			if err := os.MkdirAll(viaGo, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := unpackRPMs(viaGo, []string{pkg}); err != nil {
				t.Fatal(err)
			}
			want, got := snapshot(t, viaRPM), snapshot(t, viaGo)
			if len(want) != 12 || want["usr/share/tree/abs"].Type != "symlink" || want["usr/bin/tree-hi"].Perm != "-rwxr-xr-x" {
				t.Fatalf("rpm unpacked an unexpected tree: %v", want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("unpacked tree (-rpm +unpackRPMs):\n%s", diff)
			}
			a, _ := os.Stat(filepath.Join(viaGo, "usr/share/tree/a"))
			b, _ := os.Stat(filepath.Join(viaGo, "usr/share/tree/b"))
			if a == nil || b == nil || !os.SameFile(a, b) {
				t.Errorf("usr/share/tree/a and b are not one file (hard link)")
			}
		})
	}
}

// TestUnpackRPMsErrors: a file that is not an RPM is an error naming it,
// and nothing leaves the target directory.
func TestUnpackRPMsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.rpm")
	if err := os.WriteFile(junk, []byte("not an rpm"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := unpackRPMs(filepath.Join(dir), []string{junk})
	if err == nil || !strings.Contains(err.Error(), "junk.rpm: not a readable RPM") {
		t.Errorf("error = %v, want it to name junk.rpm", err)
	}
	if err := unpackRPMs(filepath.Join(dir, "missing"), []string{junk}); err == nil {
		t.Error("no error for a missing target directory")
	}
}
