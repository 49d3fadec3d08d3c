package pungi

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rpmQueryFormat makes rpm print what ReadRPMs reads: tab-separated fields,
// the dependencies separated by vertical tabs.
const rpmQueryFormat = `%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%|SOURCERPM?{%{ARCH}}:{src}|\t%|LICENSE?{%{LICENSE}}:{}|\t%|SOURCERPM?{%{SOURCERPM}}:{}|\t%|MODULARITYLABEL?{%{MODULARITYLABEL}}:{}|\t[%{PROVIDENEVRS}\v]\t[%{REQUIRENEVRS}\v]\n`

// rpmQuery reads the headers of paths with `rpm -qp`, the oracle for
// ReadRPMs.
func rpmQuery(t *testing.T, paths []string) []RPM {
	t.Helper()
	args := append([]string{"-qp", "--nosignature", "--nodigest", "--queryformat", rpmQueryFormat, "--"}, paths...)
	cmd := exec.Command("rpm", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rpm -qp: %v: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("rpm -qp printed %d lines for %d files", len(lines), len(paths))
	}
	var rpms []RPM
	for i, line := range lines {
		f := strings.Split(line, "\t")
		if len(f) != 10 {
			t.Fatalf("unexpected rpm output %q", line)
		}
		r := RPM{Path: paths[i], Name: f[0], Version: f[2], Release: f[3], Arch: f[4], License: f[5], SourceRPM: f[6], ModularityLabel: f[7]}
		if f[1] != "(none)" {
			e, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				t.Fatalf("epoch %q: %v", f[1], err)
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
		sum, err := exec.Command("sha256sum", paths[i]).Output()
		if err != nil {
			t.Fatal(err)
		}
		r.SHA256 = strings.Fields(string(sum))[0]
		rpms = append(rpms, r)
	}
	return rpms
}

// richSpec has an epoch, a subpackage, versioned and unversioned
// dependencies of every comparison, a file dependency and a modularity
// label.
const richSpec = `Name: rich
Epoch: 3
Version: 2.5
Release: 7%{?dist}
Summary: test
License: MIT AND (BSD-3-Clause OR GPL-2.0-or-later)
BuildArch: noarch
ModularityLabel: rich:stable:20240101:c0ffee42
Provides: rich-api = 2.5
Provides: rich(cap)
Requires: /bin/sh
Requires: other >= 1.0
Requires: other < 3
Requires: exact = 1:2.0-1
Requires: loose > 0.1
Requires: tight <= 9
%description
test
%package devel
Summary: devel
Requires: %{name} = %{epoch}:%{version}-%{release}
%description devel
devel
%install
mkdir -p %{buildroot}/usr/share/rich
echo rich > %{buildroot}/usr/share/rich/f
echo dev > %{buildroot}/usr/share/rich/d
%files
/usr/share/rich/f
%files devel
/usr/share/rich/d
`

// TestReadRPMsMatchesRPM reads built packages (binary, subpackage, source)
// in Go and with rpm -qp: every field agrees.
func TestReadRPMsMatchesRPM(t *testing.T) {
	t.Parallel()
	requireTools(t, "rpm", "rpmbuild")
	work := t.TempDir()
	spec := filepath.Join(work, "rich.spec")
	if err := os.WriteFile(spec, []byte(richSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(work, "top")
	out, err := exec.Command("rpmbuild", "-ba", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none",
		"--define", "dist .module+el9+1+abcdef12", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	simpleBin, simpleSrc := buildRPM(t, work, "simple", "MIT")
	paths := append(mustGlob(t, filepath.Join(top, "RPMS", "noarch", "*.rpm")), mustGlob(t, filepath.Join(top, "SRPMS", "*.rpm"))...)
	paths = append(paths, simpleBin, simpleSrc)
	if len(paths) != 5 {
		t.Fatalf("built %d packages, want 5: %v", len(paths), paths)
	}
	got, err := ReadRPMs(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	want := rpmQuery(t, paths)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadRPMs differs from rpm -qp (-rpm +ReadRPMs):\n%s", diff)
	}
	// The values the artifacts depend on, spelled out.
	var bin *RPM
	for i := range got {
		if got[i].Name == "rich" && got[i].Arch == "noarch" {
			bin = &got[i]
		}
	}
	if bin == nil || bin.Epoch != 3 || bin.ModularityLabel != "rich:stable:20240101:c0ffee42" ||
		bin.SourceRPM != "rich-2.5-7.module+el9+1+abcdef12.src.rpm" || bin.NEVRA().String() != "rich-3:2.5-7.module+el9+1+abcdef12.noarch" {
		t.Errorf("rich binary package read as %+v", bin)
	}
}

func mustGlob(t *testing.T, pat string) []string {
	t.Helper()
	m, err := filepath.Glob(pat)
	if err != nil || len(m) == 0 {
		t.Fatalf("nothing matches %s", pat)
	}
	return m
}

// TestReadRPMsErrors names the file that is not an RPM, whatever is wrong
// with it.
func TestReadRPMsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lead := make([]byte, 96)
	copy(lead, []byte{0xed, 0xab, 0xee, 0xdb, 3, 0})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty.rpm: not a readable RPM"},
		{"text", []byte("not an rpm at all, just text that is long enough to fill a lead......................................................"), "text.rpm: not a readable RPM"},
		{"lead-only", lead, "lead-only.rpm: not a readable RPM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, tt.name+".rpm")
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadRPMs(context.Background(), []string{p})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := ReadRPMs(context.Background(), []string{filepath.Join(dir, "missing.rpm")}); err == nil || !strings.Contains(err.Error(), "missing.rpm") {
		t.Errorf("missing file: error = %v, want it to name the file", err)
	}
}

// FuzzReadRPM feeds arbitrary bytes to the header reader: an error or a
// package, never a panic.
func FuzzReadRPM(f *testing.F) {
	lead := make([]byte, 96)
	copy(lead, []byte{0xed, 0xab, 0xee, 0xdb, 3, 0})
	hdr := append(append([]byte(nil), lead...), 0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 3, 0xe8, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 'x', 0, 0, 0)
	f.Add([]byte{})
	f.Add(lead)
	f.Add(hdr)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRPM(bytes.NewReader(data), "fuzz.rpm")
		if err == nil && (r.Name == "" || r.Version == "" || len(r.SHA256) != 64) {
			t.Errorf("no error but an incomplete package: %+v", r)
		}
	})
}
